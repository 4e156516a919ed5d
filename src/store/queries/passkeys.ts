import type { Kysely, Selectable } from 'kysely';
import type { PasskeyChallengeKind, PasskeyRecord, PasskeyStore } from '../../core/store/index.js';
import type { Database, PasskeysTable } from '../schema.js';
import { readList, readOptionalTime, writeList } from './columns.js';
import { isUniqueViolation } from './unique.js';

/** {@link PasskeyStore} queries. */
export function createPasskeyQueries(db: Kysely<Database>): PasskeyStore {
  return {
    async createPasskey(passkey) {
      try {
        await db
          .insertInto('passkeys')
          .values({
            id: passkey.id,
            user_id: passkey.userId,
            credential_id: passkey.credentialId,
            public_key: passkey.publicKey,
            counter: passkey.counter,
            transports: writeList(passkey.transports),
            device_type: passkey.deviceType,
            backed_up: passkey.backedUp ? 1 : 0,
            aaguid: passkey.aaguid,
            name: passkey.name,
            created_at: passkey.createdAt,
            last_used_at: passkey.lastUsedAt,
          })
          .execute();
        return true;
      } catch (error) {
        if (isUniqueViolation(error)) return false;
        throw error;
      }
    },

    async findPasskeyByCredentialId(credentialId) {
      const row = await db
        .selectFrom('passkeys')
        .selectAll()
        .where('credential_id', '=', credentialId)
        .executeTakeFirst();
      return row ? toPasskeyRecord(row) : null;
    },

    async listPasskeys(userId) {
      const rows = await db
        .selectFrom('passkeys')
        .selectAll()
        .where('user_id', '=', userId)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      return rows.map(toPasskeyRecord);
    },

    async recordPasskeyUse(id, use) {
      // Compare-and-set on the counter: of two uses racing with the same counter value, one wins.
      const updated = await db
        .updateTable('passkeys')
        .set({ counter: use.counter, backed_up: use.backedUp ? 1 : 0, last_used_at: use.usedAt })
        .where('id', '=', id)
        .where('counter', '=', use.expectedCounter)
        .executeTakeFirst();
      return updated.numUpdatedRows > 0n;
    },

    async renamePasskey(userId, id, name) {
      const updated = await db
        .updateTable('passkeys')
        .set({ name })
        .where('id', '=', id)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return updated.numUpdatedRows > 0n;
    },

    async deletePasskey(userId, id) {
      const deleted = await db
        .deleteFrom('passkeys')
        .where('id', '=', id)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return deleted.numDeletedRows > 0n;
    },

    async deleteUserPasskeys(userId) {
      const deleted = await db.deleteFrom('passkeys').where('user_id', '=', userId).executeTakeFirst();
      return Number(deleted.numDeletedRows);
    },

    async createPasskeyChallenge(challenge) {
      await db
        .insertInto('passkey_challenges')
        .values({
          challenge_hash: challenge.challengeHash,
          kind: challenge.kind,
          user_id: challenge.userId,
          login_challenge_hash: challenge.loginChallengeHash,
          created_at: challenge.createdAt,
          expires_at: challenge.expiresAt,
        })
        .execute();
    },

    async takePasskeyChallenge(challengeHash, now) {
      const row = await db
        .selectFrom('passkey_challenges')
        .selectAll()
        .where('challenge_hash', '=', challengeHash)
        .executeTakeFirst();
      if (!row) return null;
      // Deleted whether or not it is still good: used or expired, it never works again. Only the request whose
      // delete removed the row may use it, so a burst of finishes with one challenge has one winner.
      const deleted = await db
        .deleteFrom('passkey_challenges')
        .where('challenge_hash', '=', challengeHash)
        .executeTakeFirst();
      if (deleted.numDeletedRows === 0n || Number(row.expires_at) <= now) return null;
      return {
        challengeHash: row.challenge_hash,
        kind: row.kind as PasskeyChallengeKind,
        userId: row.user_id,
        loginChallengeHash: row.login_challenge_hash,
        createdAt: Number(row.created_at),
        expiresAt: Number(row.expires_at),
      };
    },

    async purgeExpiredPasskeyChallenges(now) {
      const deleted = await db.deleteFrom('passkey_challenges').where('expires_at', '<=', now).executeTakeFirst();
      return Number(deleted.numDeletedRows);
    },
  };
}

function toPasskeyRecord(row: Selectable<PasskeysTable>): PasskeyRecord {
  return {
    id: row.id,
    userId: row.user_id,
    credentialId: row.credential_id,
    publicKey: row.public_key,
    counter: Number(row.counter),
    transports: readList(row.transports),
    deviceType: row.device_type,
    backedUp: Number(row.backed_up) === 1,
    aaguid: row.aaguid,
    name: row.name,
    createdAt: Number(row.created_at),
    lastUsedAt: readOptionalTime(row.last_used_at),
  };
}
