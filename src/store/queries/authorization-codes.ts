import type { Kysely, Selectable } from 'kysely';
import type { AuthorizationCodeRecord, AuthorizationCodeStore } from '../../core/store/index.js';
import type { AuthorizationCodesTable, Database } from '../schema.js';
import { readList, readOptionalTime, writeList } from './columns.js';

/** {@link AuthorizationCodeStore} queries. */
export function createAuthorizationCodeQueries(db: Kysely<Database>): AuthorizationCodeStore {
  return {
    async createAuthorizationCode(code) {
      await db
        .insertInto('authorization_codes')
        .values({
          code_hash: code.codeHash,
          client_id: code.clientId,
          user_id: code.userId,
          session_id: code.sessionId,
          redirect_uri: code.redirectUri,
          scopes: writeList(code.scopes),
          code_challenge: code.codeChallenge,
          nonce: code.nonce,
          auth_time: code.authTime,
          auth_methods: writeList(code.authMethods),
          created_at: code.createdAt,
          expires_at: code.expiresAt,
          used_at: code.usedAt,
          replayed_at: code.replayedAt,
          access_token_id: code.accessTokenId,
          refresh_family_id: code.refreshFamilyId,
          grant_id: code.grantId,
        })
        .execute();
    },

    async findAuthorizationCode(codeHash) {
      const row = await db
        .selectFrom('authorization_codes')
        .selectAll()
        .where('code_hash', '=', codeHash)
        .executeTakeFirst();
      return row ? toAuthorizationCodeRecord(row) : null;
    },

    async markAuthorizationCodeUsed(codeHash, now) {
      // Conditional, so atomic: of two racing redemptions exactly one sees used_at still null.
      const result = await db
        .updateTable('authorization_codes')
        .set({ used_at: now })
        .where('code_hash', '=', codeHash)
        .where('used_at', 'is', null)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    async markAuthorizationCodeReplayed(codeHash, now) {
      await db
        .updateTable('authorization_codes')
        .set({ replayed_at: now })
        .where('code_hash', '=', codeHash)
        .where('replayed_at', 'is', null)
        .execute();
    },

    async setAuthorizationCodeTokens(codeHash, accessTokenId, refreshFamilyId, grantId) {
      await db
        .updateTable('authorization_codes')
        .set({ access_token_id: accessTokenId, refresh_family_id: refreshFamilyId, grant_id: grantId })
        .where('code_hash', '=', codeHash)
        .execute();
    },

    async purgeExpiredAuthorizationCodes(now) {
      const result = await db.deleteFrom('authorization_codes').where('expires_at', '<=', now).executeTakeFirst();
      return Number(result.numDeletedRows);
    },

    async createAuthorizationRequest(request) {
      await db
        .insertInto('authorization_requests')
        .values({
          id_hash: request.idHash,
          client_id: request.clientId,
          parameters: request.parameters,
          login_after: request.loginAfter,
          created_at: request.createdAt,
          expires_at: request.expiresAt,
        })
        .execute();
    },

    async findAuthorizationRequest(idHash) {
      const row = await db
        .selectFrom('authorization_requests')
        .selectAll()
        .where('id_hash', '=', idHash)
        .executeTakeFirst();
      return row
        ? {
            idHash: row.id_hash,
            clientId: row.client_id,
            parameters: row.parameters,
            loginAfter: readOptionalTime(row.login_after),
            createdAt: Number(row.created_at),
            expiresAt: Number(row.expires_at),
          }
        : null;
    },

    async deleteAuthorizationRequest(idHash) {
      const result = await db.deleteFrom('authorization_requests').where('id_hash', '=', idHash).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },

    async purgeExpiredAuthorizationRequests(now) {
      const result = await db.deleteFrom('authorization_requests').where('expires_at', '<=', now).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

function toAuthorizationCodeRecord(row: Selectable<AuthorizationCodesTable>): AuthorizationCodeRecord {
  return {
    codeHash: row.code_hash,
    clientId: row.client_id,
    userId: row.user_id,
    sessionId: row.session_id,
    redirectUri: row.redirect_uri,
    scopes: readList(row.scopes),
    codeChallenge: row.code_challenge,
    nonce: row.nonce,
    authTime: Number(row.auth_time),
    authMethods: readList(row.auth_methods),
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
    usedAt: readOptionalTime(row.used_at),
    replayedAt: readOptionalTime(row.replayed_at),
    accessTokenId: row.access_token_id,
    refreshFamilyId: row.refresh_family_id,
    grantId: row.grant_id,
  };
}
