import type { Kysely } from 'kysely';
import type { TwoFactorStore } from '../../core/store/index.js';
import type { Database } from '../schema.js';
import { readOptionalTime } from './columns.js';

/** {@link TwoFactorStore} queries. */
export function createTwoFactorQueries(db: Kysely<Database>): TwoFactorStore {
  return {
    async findTwoFactor(userId) {
      const row = await db.selectFrom('two_factor').selectAll().where('user_id', '=', userId).executeTakeFirst();
      if (!row) return null;
      return {
        userId: row.user_id,
        secretJwe: row.secret_jwe,
        confirmedAt: readOptionalTime(row.confirmed_at),
        lastStep: Number(row.last_step),
        createdAt: Number(row.created_at),
      };
    },

    async putPendingTwoFactor(record) {
      return db.transaction().execute(async (trx) => {
        // Only an unconfirmed enrolment may be replaced: a confirmed one is removed on purpose, never overwritten.
        await trx
          .deleteFrom('two_factor')
          .where('user_id', '=', record.userId)
          .where('confirmed_at', 'is', null)
          .execute();
        const inserted = await trx
          .insertInto('two_factor')
          .values({
            user_id: record.userId,
            secret_jwe: record.secretJwe,
            confirmed_at: null,
            last_step: record.lastStep,
            created_at: record.createdAt,
          })
          .onConflict((conflict) => conflict.column('user_id').doNothing())
          .executeTakeFirst();
        return Number(inserted.numInsertedOrUpdatedRows ?? 0n) > 0;
      });
    },

    async confirmTwoFactor(userId, confirmedAt, step, recoveryCodeHashes) {
      return db.transaction().execute(async (trx) => {
        const updated = await trx
          .updateTable('two_factor')
          .set({ confirmed_at: confirmedAt, last_step: step })
          .where('user_id', '=', userId)
          .where('confirmed_at', 'is', null)
          .executeTakeFirst();
        if (updated.numUpdatedRows === 0n) return false;
        await trx.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
        if (recoveryCodeHashes.length > 0) {
          await trx
            .insertInto('recovery_codes')
            .values(recoveryCodeHashes.map((hash) => ({ user_id: userId, code_hash: hash, used_at: null })))
            .execute();
        }
        return true;
      });
    },

    async advanceTwoFactorStep(userId, step) {
      const updated = await db
        .updateTable('two_factor')
        .set({ last_step: step })
        .where('user_id', '=', userId)
        .where('last_step', '<', step)
        .executeTakeFirst();
      return updated.numUpdatedRows > 0n;
    },

    async deleteTwoFactor(userId) {
      return db.transaction().execute(async (trx) => {
        await trx.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
        const deleted = await trx.deleteFrom('two_factor').where('user_id', '=', userId).executeTakeFirst();
        return deleted.numDeletedRows > 0n;
      });
    },

    async useRecoveryCode(userId, codeHash, usedAt) {
      const updated = await db
        .updateTable('recovery_codes')
        .set({ used_at: usedAt })
        .where('user_id', '=', userId)
        .where('code_hash', '=', codeHash)
        .where('used_at', 'is', null)
        .executeTakeFirst();
      return updated.numUpdatedRows > 0n;
    },

    async countUnusedRecoveryCodes(userId) {
      const row = await db
        .selectFrom('recovery_codes')
        .select((eb) => eb.fn.countAll<number | string | bigint>().as('n'))
        .where('user_id', '=', userId)
        .where('used_at', 'is', null)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },

    async createLoginChallenge(challenge) {
      await db
        .insertInto('login_challenges')
        .values({
          token_hash: challenge.tokenHash,
          user_id: challenge.userId,
          created_at: challenge.createdAt,
          expires_at: challenge.expiresAt,
        })
        .execute();
    },

    async findLoginChallenge(tokenHash, now) {
      const row = await db
        .selectFrom('login_challenges')
        .select('user_id')
        .where('token_hash', '=', tokenHash)
        .where('expires_at', '>', now)
        .executeTakeFirst();
      return row ? { userId: row.user_id } : null;
    },

    async deleteLoginChallenge(tokenHash) {
      const deleted = await db.deleteFrom('login_challenges').where('token_hash', '=', tokenHash).executeTakeFirst();
      return deleted.numDeletedRows > 0n;
    },

    async deleteUserLoginChallenges(userId) {
      const deleted = await db.deleteFrom('login_challenges').where('user_id', '=', userId).executeTakeFirst();
      return Number(deleted.numDeletedRows);
    },

    async purgeExpiredLoginChallenges(now) {
      const deleted = await db.deleteFrom('login_challenges').where('expires_at', '<=', now).executeTakeFirst();
      return Number(deleted.numDeletedRows);
    },
  };
}
