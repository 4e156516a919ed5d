import type { Kysely, Selectable } from 'kysely';
import type { ApiKeyRecord, ApiKeyStore } from '../../core/store/index.js';
import type { ApiKeysTable, Database } from '../schema.js';
import { readList, writeList, readOptionalTime } from './columns.js';

/** {@link ApiKeyStore} queries. */
export function createApiKeyQueries(db: Kysely<Database>): ApiKeyStore {
  return {
    async createApiKey(key) {
      await db
        .insertInto('api_keys')
        .values({
          id: key.id,
          user_id: key.userId,
          name: key.name,
          secret_hash: key.secretHash,
          scopes: writeList(key.scopes),
          created_at: key.createdAt,
          expires_at: key.expiresAt,
          last_used_at: key.lastUsedAt,
        })
        .execute();
    },

    async findApiKeyByHash(secretHash) {
      const row = await db.selectFrom('api_keys').selectAll().where('secret_hash', '=', secretHash).executeTakeFirst();
      return row ? toApiKeyRecord(row) : null;
    },

    async listApiKeys(userId) {
      const rows = await db
        .selectFrom('api_keys')
        .selectAll()
        .where('user_id', '=', userId)
        .orderBy('created_at', 'desc')
        .orderBy('id')
        .execute();
      return rows.map(toApiKeyRecord);
    },

    async deleteApiKey(id, userId) {
      const result = await db
        .deleteFrom('api_keys')
        .where('id', '=', id)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return result.numDeletedRows > 0n;
    },

    async touchApiKey(id, lastUsedAt) {
      await db.updateTable('api_keys').set({ last_used_at: lastUsedAt }).where('id', '=', id).execute();
    },

    async deleteUserApiKeys(userId) {
      const result = await db.deleteFrom('api_keys').where('user_id', '=', userId).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

function toApiKeyRecord(row: Selectable<ApiKeysTable>): ApiKeyRecord {
  return {
    id: row.id,
    userId: row.user_id,
    name: row.name,
    secretHash: row.secret_hash,
    scopes: readList(row.scopes),
    createdAt: Number(row.created_at),
    expiresAt: readOptionalTime(row.expires_at),
    lastUsedAt: readOptionalTime(row.last_used_at),
  };
}
