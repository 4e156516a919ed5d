import type { Kysely } from 'kysely';
import type { AuditStore } from '../../core/store/index.js';
import type { Database } from '../schema.js';

/** {@link AuditStore} queries. */
export function createAuditQueries(db: Kysely<Database>): AuditStore {
  return {
    async appendAuditEvent(event) {
      await db
        .insertInto('audit_events')
        .values({
          id: event.id,
          at: event.at,
          type: event.type,
          actor: event.actor,
          user_id: event.userId,
          ip: event.ip,
          user_agent: event.userAgent,
          detail: JSON.stringify(event.detail),
        })
        .execute();
    },

    async listAuditEvents(filter) {
      let query = db.selectFrom('audit_events').selectAll();
      if (filter.userId !== undefined) query = query.where('user_id', '=', filter.userId);
      if (filter.type !== undefined) query = query.where('type', '=', filter.type);
      if (filter.since !== undefined) query = query.where('at', '>=', filter.since);
      const rows = await query.orderBy('at', 'desc').orderBy('id', 'desc').limit(filter.limit).execute();
      return rows.map((row) => ({
        id: row.id,
        at: Number(row.at),
        type: row.type,
        actor: row.actor,
        userId: row.user_id,
        ip: row.ip,
        userAgent: row.user_agent,
        detail: JSON.parse(row.detail) as Record<string, unknown>,
      }));
    },
  };
}
