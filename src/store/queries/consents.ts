import type { Kysely, Selectable } from 'kysely';
import type { ConsentRecord, ConsentStore } from '../../core/store/index.js';
import type { ConsentsTable, Database } from '../schema.js';
import { readList, writeList } from './columns.js';

/** {@link ConsentStore} queries. */
export function createConsentQueries(db: Kysely<Database>): ConsentStore {
  return {
    async findConsent(userId, clientId) {
      const row = await db
        .selectFrom('consents')
        .selectAll()
        .where('user_id', '=', userId)
        .where('client_id', '=', clientId)
        .executeTakeFirst();
      return row ? toConsentRecord(row) : null;
    },

    async putConsent(consent) {
      // One statement on both dialects: SQLite and PostgreSQL share ON CONFLICT … DO UPDATE.
      await db
        .insertInto('consents')
        .values({
          user_id: consent.userId,
          client_id: consent.clientId,
          scopes: writeList(consent.scopes),
          grant_id: consent.grantId,
          created_at: consent.createdAt,
          updated_at: consent.updatedAt,
        })
        .onConflict((conflict) =>
          // Never the grant id: see ConsentStore.putConsent.
          conflict.columns(['user_id', 'client_id']).doUpdateSet({
            scopes: writeList(consent.scopes),
            updated_at: consent.updatedAt,
          }),
        )
        .execute();
    },

    async renewConsentGrant(userId, clientId, grant) {
      let update = db
        .updateTable('consents')
        .set({ grant_id: grant.id, updated_at: grant.updatedAt })
        .where('user_id', '=', userId)
        .where('client_id', '=', clientId);
      if (grant.onlyFrom !== undefined) update = update.where('grant_id', '=', grant.onlyFrom);
      const result = await update.executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    async deleteConsent(userId, clientId) {
      const result = await db
        .deleteFrom('consents')
        .where('user_id', '=', userId)
        .where('client_id', '=', clientId)
        .executeTakeFirst();
      return result.numDeletedRows > 0n;
    },

    async listUserConsents(userId) {
      const rows = await db
        .selectFrom('consents')
        .selectAll()
        .where('user_id', '=', userId)
        .orderBy('updated_at', 'desc')
        .execute();
      return rows.map(toConsentRecord);
    },
  };
}

function toConsentRecord(row: Selectable<ConsentsTable>): ConsentRecord {
  return {
    userId: row.user_id,
    clientId: row.client_id,
    scopes: readList(row.scopes),
    grantId: row.grant_id,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}
