import type { Kysely, Selectable } from 'kysely';
import type { ClientRecord, ClientStore } from '../../core/store/index.js';
import type { ClientsTable, Database } from '../schema.js';
import { isUniqueViolation } from './unique.js';
import { readList, writeList } from './columns.js';

/** {@link ClientStore} queries. */
export function createClientQueries(db: Kysely<Database>): ClientStore {
  return {
    async createClient(client) {
      try {
        await db
          .insertInto('clients')
          .values({
            id: client.id,
            name: client.name,
            secret_hash: client.secretHash,
            public_jwk: client.publicJwk,
            tls_subject: client.tlsSubject,
            tls_thumbprint: client.tlsThumbprint,
            scopes: writeList(client.scopes),
            type: client.type,
            grant_types: writeList(client.grantTypes),
            redirect_uris: writeList(client.redirectUris),
            post_logout_redirect_uris: writeList(client.postLogoutRedirectUris),
            first_party: client.firstParty ? 1 : 0,
            id_token_alg: client.idTokenAlg,
            created_at: client.createdAt,
            updated_at: client.updatedAt,
          })
          .execute();
        return true;
      } catch (error) {
        if (isUniqueViolation(error)) return false;
        throw error;
      }
    },

    async findClientById(id) {
      const row = await db.selectFrom('clients').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toClientRecord(row) : null;
    },

    async findClientByName(name) {
      const row = await db.selectFrom('clients').selectAll().where('name', '=', name).executeTakeFirst();
      return row ? toClientRecord(row) : null;
    },

    async listClients() {
      return (await db.selectFrom('clients').selectAll().orderBy('name').execute()).map(toClientRecord);
    },

    async updateClientSecret(id, secretHash, updatedAt) {
      const result = await db
        .updateTable('clients')
        .set({ secret_hash: secretHash, updated_at: updatedAt })
        .where('id', '=', id)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    async deleteClient(id) {
      return db.transaction().execute(async (trx) => {
        // Its refresh tokens hold no foreign key (the user client, `gatehouse`, has no row): delete them here.
        await trx.deleteFrom('refresh_tokens').where('client_id', '=', id).execute();
        const result = await trx.deleteFrom('clients').where('id', '=', id).executeTakeFirst();
        return result.numDeletedRows > 0n;
      });
    },
  };
}

function toClientRecord(row: Selectable<ClientsTable>): ClientRecord {
  return {
    id: row.id,
    name: row.name,
    secretHash: row.secret_hash,
    publicJwk: row.public_jwk,
    tlsSubject: row.tls_subject ?? null,
    tlsThumbprint: row.tls_thumbprint ?? null,
    scopes: readList(row.scopes),
    type: row.type === 'public' ? 'public' : 'confidential',
    grantTypes: readList(row.grant_types),
    redirectUris: readList(row.redirect_uris),
    postLogoutRedirectUris: readList(row.post_logout_redirect_uris),
    firstParty: Number(row.first_party) === 1,
    idTokenAlg: row.id_token_alg ?? null,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}
