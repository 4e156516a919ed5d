import type { Kysely, Selectable } from 'kysely';
import type { SessionRecord, SessionStore } from '../../core/store/index.js';
import type { Database, SessionsTable } from '../schema.js';
import { readList, writeList } from './columns.js';

/** {@link SessionStore} queries. */
export function createSessionQueries(db: Kysely<Database>): SessionStore {
  return {
    async createSession(session) {
      await db.insertInto('sessions').values(toSessionRow(session)).execute();
    },

    async findSessionByTokenHash(tokenHash) {
      const row = await db.selectFrom('sessions').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
      return row ? toSessionRecord(row) : null;
    },

    async findSessionById(id) {
      const row = await db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toSessionRecord(row) : null;
    },

    async listSessions(filter) {
      let query = db.selectFrom('sessions').selectAll();
      if (filter.userId !== undefined) query = query.where('user_id', '=', filter.userId);
      const rows = await query.orderBy('created_at', 'desc').orderBy('id').execute();
      return rows.map(toSessionRecord);
    },

    async touchSession(id, lastSeenAt, expiresAt) {
      await db
        .updateTable('sessions')
        .set({ last_seen_at: lastSeenAt, expires_at: expiresAt })
        .where('id', '=', id)
        .execute();
    },

    async rotateSessionToken(id, fromTokenHash, next) {
      const result = await db
        .updateTable('sessions')
        .set({
          token_hash: next.tokenHash,
          authenticated_at: next.authenticatedAt,
          auth_methods: writeList(next.authMethods),
          last_seen_at: next.lastSeenAt,
          expires_at: next.expiresAt,
        })
        .where('id', '=', id)
        .where('token_hash', '=', fromTokenHash)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    async deleteSession(id) {
      const result = await db.deleteFrom('sessions').where('id', '=', id).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },

    async deleteUserSessions(userId, options = {}) {
      let query = db.deleteFrom('sessions').where('user_id', '=', userId);
      if (options.keepId !== undefined) query = query.where('id', '!=', options.keepId);
      const result = await query.executeTakeFirst();
      return Number(result.numDeletedRows);
    },

    async countSessions(now) {
      // An index range scan on sessions_expires_at.
      const row = await db
        .selectFrom('sessions')
        .select((eb) => eb.fn.countAll<number | string | bigint>().as('n'))
        .where('expires_at', '>', now)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },

    async purgeExpiredSessions(now) {
      const result = await db.deleteFrom('sessions').where('expires_at', '<=', now).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

function toSessionRow(session: SessionRecord): SessionsTable {
  return {
    id: session.id,
    token_hash: session.tokenHash,
    user_id: session.userId,
    created_at: session.createdAt,
    authenticated_at: session.authenticatedAt,
    last_seen_at: session.lastSeenAt,
    expires_at: session.expiresAt,
    ip: session.ip,
    user_agent: session.userAgent,
    auth_methods: writeList(session.authMethods),
  };
}

function toSessionRecord(row: Selectable<SessionsTable>): SessionRecord {
  return {
    id: row.id,
    tokenHash: row.token_hash,
    userId: row.user_id,
    // PostgreSQL's bigint arrives as a string; Number() is exact below 2^53 ms.
    createdAt: Number(row.created_at),
    authenticatedAt: Number(row.authenticated_at),
    lastSeenAt: Number(row.last_seen_at),
    expiresAt: Number(row.expires_at),
    ip: row.ip,
    userAgent: row.user_agent,
    authMethods: readList(row.auth_methods),
  };
}
