import { createHash } from 'node:crypto';
import type { AccessTokens } from './access-tokens.js';
import type { AuditLog } from './audit.js';
import type { Client } from './clients.js';
import type { Clock } from './clock.js';
import type { Consents } from './consents.js';
import type { GrantResult } from './grant-result.js';
import type { IdTokens } from './id-tokens.js';
import type { RefreshTokens } from './refresh-tokens.js';
import { holdableScopes, OFFLINE_ACCESS_SCOPE, OPENID_SCOPE, type ScopeRegistry } from './scope-registry.js';
import { constantTimeEqual, hashSecret, SECRET_PATTERN } from './secrets.js';
import type { SessionService } from './sessions.js';
import type { AuthorizationCodeRecord, AuthorizationCodeStore, RevocationStore } from './store/index.js';
import type { UserService } from './users.js';

/** How long an app's `offline_access` lasts from the sign-in that granted it, unless the user revokes it first. */
export const OFFLINE_ACCESS_SECONDS = 30 * 86_400;
/** How long a used code is remembered, so that a late replay still revokes what it issued (its tokens live no longer). */
export const CODE_REPLAY_MEMORY_SECONDS = 3600;
// RFC 7636 §4.1: 43 to 128 unreserved characters.
const CODE_VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

/** The authorization code grant; see {@link createCodeGrant}. */
export type CodeGrant = ReturnType<typeof createCodeGrant>;

/**
 * RFC 6749 §4.1.3 with PKCE (RFC 7636): a code for tokens. The code must be
 * the client's, unexpired, unused, redeemed with the same redirect URI and
 * the verifier of its challenge, and its session, user and consent must
 * still stand. A second redemption is a replay: it is refused and what the
 * first issued (access token and refresh family) is revoked (RFC 6749
 * §4.1.2, RFC 9700 §4.2.4), also when the two race.
 */
export function createCodeGrant(deps: {
  store: AuthorizationCodeStore & Pick<RevocationStore, 'revokeTokenId'>;
  clock: Clock;
  accessTokens: AccessTokens;
  refreshTokens: RefreshTokens;
  idTokens: IdTokens;
  sessions: SessionService;
  users: UserService;
  scopes: ScopeRegistry;
  consents: Consents;
  audit: AuditLog;
}) {
  const { store, clock, accessTokens, refreshTokens, audit } = deps;
  const refused = (description: string): GrantResult => ({ ok: false, error: 'invalid_grant', description });
  const invalidCode = refused('The authorization code is not valid.');

  /** Revokes what a code issued (idempotent), once it was presented twice. */
  async function revokeIssued(record: AuthorizationCodeRecord): Promise<void> {
    if (record.accessTokenId !== null) {
      await store.revokeTokenId(record.accessTokenId, clock.now() + accessTokens.lifetimeSeconds * 1000 + 60_000);
    }
    if (record.refreshFamilyId !== null) await refreshTokens.revokeRefreshFamily(record.refreshFamilyId);
  }

  async function replayed(record: AuthorizationCodeRecord, origin: { ip?: string | null }): Promise<GrantResult> {
    await store.markAuthorizationCodeReplayed(record.codeHash, clock.now());
    await revokeIssued(record);
    await audit.record({
      type: 'authorization_code.replay',
      actor: record.clientId,
      userId: record.userId,
      ip: origin.ip ?? null,
      detail: { clientId: record.clientId, revokedAccessToken: record.accessTokenId !== null },
    });
    return invalidCode;
  }

  return {
    async redeem(
      client: Client,
      input: { code: string | undefined; redirectUri: string | undefined; codeVerifier: string | undefined },
      origin: { ip?: string | null },
    ): Promise<GrantResult> {
      if (!client.grantTypes.includes('authorization_code')) {
        return {
          ok: false,
          error: 'unauthorized_client',
          description: 'This client does not use authorization codes.',
        };
      }
      if (input.code === undefined || !SECRET_PATTERN.test(input.code)) return invalidCode;
      const record = await store.findAuthorizationCode(hashSecret(input.code));
      if (!record || record.clientId !== client.id) return invalidCode;
      if (record.usedAt !== null) return replayed(record, origin);
      const now = clock.now();
      if (now >= record.expiresAt) return refused('The authorization code has expired.');
      if (input.redirectUri !== record.redirectUri) {
        return refused('redirect_uri is not the one the code was issued for.');
      }
      const verifier = input.codeVerifier ?? '';
      const challenge = createHash('sha256').update(verifier).digest('base64url');
      if (!CODE_VERIFIER.test(verifier) || !constantTimeEqual(challenge, record.codeChallenge)) {
        return refused('code_verifier does not match the code_challenge (PKCE).');
      }
      // The atomic step: of concurrent redemptions exactly one goes on; the others are replays.
      if (!(await store.markAuthorizationCodeUsed(record.codeHash, now))) {
        return replayed((await store.findAuthorizationCode(record.codeHash)) ?? record, origin);
      }
      const user = await deps.users.findUserById(record.userId);
      const session = await deps.sessions.findSession(record.sessionId);
      const consent = await deps.consents.find(record.userId, client.id);
      if (!user || user.disabled || !session || !consent) return refused('The sign-in behind the code has ended.');

      const holdable = holdableScopes(await deps.scopes.list(), { kind: 'app', roles: user.roles });
      const granted = record.scopes.filter((scope) => holdable.includes(scope) && consent.scopes.includes(scope));
      // offline_access: tokens that stand on the consent, not on the browser session.
      const offline = granted.includes(OFFLINE_ACCESS_SCOPE) && client.grantTypes.includes('refresh_token');
      const sid = offline ? undefined : session.id;
      const access = await accessTokens.issueAccessToken({
        sub: user.id,
        clientId: client.id,
        scopes: granted,
        roles: user.roles,
        sid,
      });
      const refresh = client.grantTypes.includes('refresh_token')
        ? await refreshTokens.issueRefreshToken({
            userId: user.id,
            sessionId: offline ? null : session.id,
            clientId: client.id,
            scope: granted.join(' '),
            expiresAt: offline ? record.authTime + OFFLINE_ACCESS_SECONDS * 1000 : session.absoluteExpiresAt,
          })
        : null;
      await store.setAuthorizationCodeTokens(record.codeHash, access.jti, refresh?.familyId ?? null);
      // A replay that raced this redemption saw nothing to revoke yet: look again now that there is.
      const after = await store.findAuthorizationCode(record.codeHash);
      if (after?.replayedAt !== null) {
        await revokeIssued({ ...record, accessTokenId: access.jti, refreshFamilyId: refresh?.familyId ?? null });
        return invalidCode;
      }
      const idToken = granted.includes(OPENID_SCOPE)
        ? await deps.idTokens.issue({
            user,
            clientId: client.id,
            alg: client.idTokenAlg,
            scopes: granted,
            authTime: record.authTime,
            amr: record.authMethods,
            nonce: record.nonce,
            sid: session.id,
          })
        : undefined;
      await audit.record({
        type: 'authorization_code.redeem',
        actor: client.id,
        userId: user.id,
        ip: origin.ip ?? null,
        detail: { clientId: client.id, jti: access.jti, scope: granted.join(' '), offline },
      });
      return {
        ok: true,
        accessToken: access.token,
        expiresIn: access.expiresIn,
        ...(refresh && { refreshToken: refresh.token }),
        ...(idToken !== undefined && { idToken }),
        scopes: granted,
      };
    },

    /** Forgets codes past their replay memory and expired pending requests; returns how many. */
    async purgeExpired(): Promise<number> {
      const now = clock.now();
      return (
        (await store.purgeExpiredAuthorizationCodes(now - CODE_REPLAY_MEMORY_SECONDS * 1000)) +
        (await store.purgeExpiredAuthorizationRequests(now))
      );
    },
  };
}
