import type { Kysely, Selectable } from 'kysely';
import type { SigningKeyRecord, SigningKeyStore } from '../../core/store/index.js';
import type { Database, SigningKeysTable } from '../schema.js';
import { readOptionalTime } from './columns.js';

/** {@link SigningKeyStore} queries. */
export function createSigningKeyQueries(db: Kysely<Database>): SigningKeyStore {
  return {
    async listSigningKeys() {
      const rows = await db
        .selectFrom('signing_keys')
        .selectAll()
        .orderBy('created_at', 'desc')
        .orderBy('kid')
        .execute();
      return rows.map(toSigningKeyRecord);
    },

    async rotateSigningKey(key, retiredAt, expiresAt) {
      await db.transaction().execute(async (trx) => {
        await trx
          .updateTable('signing_keys')
          .set({ retired_at: retiredAt, expires_at: expiresAt })
          .where('retired_at', 'is', null)
          .where('alg', '=', key.alg)
          .execute();
        await trx
          .insertInto('signing_keys')
          .values({
            kid: key.kid,
            alg: key.alg,
            public_jwk: key.publicJwk,
            private_jwe: key.privateJwe,
            created_at: key.createdAt,
            retired_at: key.retiredAt,
            expires_at: key.expiresAt,
          })
          .execute();
      });
    },

    async purgeExpiredSigningKeys(now) {
      const result = await db
        .deleteFrom('signing_keys')
        .where('retired_at', 'is not', null)
        .where('expires_at', '<=', now)
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

function toSigningKeyRecord(row: Selectable<SigningKeysTable>): SigningKeyRecord {
  return {
    kid: row.kid,
    alg: row.alg as SigningKeyRecord['alg'],
    publicJwk: row.public_jwk,
    privateJwe: row.private_jwe,
    createdAt: Number(row.created_at),
    retiredAt: readOptionalTime(row.retired_at),
    expiresAt: readOptionalTime(row.expires_at),
  };
}
