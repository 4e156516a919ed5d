import type { Kysely, Selectable } from 'kysely';
import type { RefreshTokenRecord, RefreshTokenStore } from '../../core/store/index.js';
import type { Database, RefreshTokensTable } from '../schema.js';
import { readOptionalTime } from './columns.js';

/** {@link RefreshTokenStore} queries. */
export function createRefreshTokenQueries(db: Kysely<Database>): RefreshTokenStore {
  return {
    async createRefreshToken(token) {
      await db
        .insertInto('refresh_tokens')
        .values({
          id: token.id,
          token_hash: token.tokenHash,
          family_id: token.familyId,
          session_id: token.sessionId,
          user_id: token.userId,
          client_id: token.clientId,
          scope: token.scope,
          grant_id: token.grantId,
          created_at: token.createdAt,
          expires_at: token.expiresAt,
          used_at: token.usedAt,
        })
        .execute();
    },

    async findRefreshTokenByHash(tokenHash) {
      const row = await db
        .selectFrom('refresh_tokens')
        .selectAll()
        .where('token_hash', '=', tokenHash)
        .executeTakeFirst();
      return row ? toRefreshTokenRecord(row) : null;
    },

    async markRefreshTokenUsed(id, now) {
      // A conditional update is atomic in every SQL database: of two racing
      // refreshes, exactly one sees used_at still null.
      const result = await db
        .updateTable('refresh_tokens')
        .set({ used_at: now })
        .where('id', '=', id)
        .where('used_at', 'is', null)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    async deleteRefreshTokenFamily(familyId) {
      const result = await db.deleteFrom('refresh_tokens').where('family_id', '=', familyId).executeTakeFirst();
      return Number(result.numDeletedRows);
    },

    async deleteUserClientRefreshTokens(userId, clientId) {
      const result = await db
        .deleteFrom('refresh_tokens')
        .where('user_id', '=', userId)
        .where('client_id', '=', clientId)
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },

    async purgeExpiredRefreshTokens(now) {
      const result = await db.deleteFrom('refresh_tokens').where('expires_at', '<=', now).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

function toRefreshTokenRecord(row: Selectable<RefreshTokensTable>): RefreshTokenRecord {
  return {
    id: row.id,
    tokenHash: row.token_hash,
    familyId: row.family_id,
    sessionId: row.session_id,
    userId: row.user_id,
    clientId: row.client_id,
    scope: row.scope,
    grantId: row.grant_id,
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
    usedAt: readOptionalTime(row.used_at),
  };
}
