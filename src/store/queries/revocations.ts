import type { Kysely } from 'kysely';
import type { RevocationStore } from '../../core/store/index.js';
import type { Database } from '../schema.js';

/** {@link RevocationStore} queries. */
export function createRevocationQueries(db: Kysely<Database>): RevocationStore {
  return {
    async revokeTokenId(jti, expiresAt) {
      // Insert-or-nothing is atomic: of two racing uses of one id, one inserts.
      const result = await db
        .insertInto('revoked_tokens')
        .values({ jti, expires_at: expiresAt })
        .onConflict((conflict) => conflict.column('jti').doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
    },

    async isTokenIdRevoked(jti) {
      return (
        (await db.selectFrom('revoked_tokens').select('jti').where('jti', '=', jti).executeTakeFirst()) !== undefined
      );
    },

    async purgeExpiredRevocations(now) {
      const result = await db.deleteFrom('revoked_tokens').where('expires_at', '<=', now).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
