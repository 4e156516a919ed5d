import type { AccessTokens, GrantResult, RefreshTokens } from '../tokens/index.js';
import type { AuditLog } from '../audit/index.js';
import type { Client } from '../clients/index.js';
import { type Clock, hashSecret, SECRET_PATTERN } from '../shared/index.js';
import type { Consents } from '../consents/index.js';
import type { IdTokens } from './id-tokens.js';
import { verifierMatches } from './pkce.js';
import { holdableScopes, OFFLINE_ACCESS_SCOPE, OPENID_SCOPE, type ScopeRegistry } from '../scopes/index.js';
import type { SessionService } from '../sessions/index.js';
import type { AuthorizationCodeRecord, AuthorizationCodeStore, RevocationStore } from '../store/index.js';
import type { UserService } from '../users/index.js';

/** How long an app's `offline_access` lasts from the sign-in that granted it, unless the user revokes it first. */
export const OFFLINE_ACCESS_SECONDS = 30 * 86_400;
/** How long a used code is remembered, so that a late replay still revokes what it issued (its tokens live no longer). */
export const CODE_REPLAY_MEMORY_SECONDS = 3600;

/** The authorization code grant; see {@link createCodeGrant}. */
export type CodeGrant = ReturnType<typeof createCodeGrant>;

/**
 * RFC 6749 §4.1.3 with PKCE (RFC 7636): a code for tokens. The code must be
 * the client's, unexpired, unused, redeemed with the same redirect URI and
 * the verifier of its challenge, and its session, user and consent must
 * still stand. A second redemption by the client, with the redirect URI and
 * verifier, is a replay: it is refused and the grant the first one issued
 * under ends, every access token and refresh token of it (RFC 6749 §4.1.2,
 * RFC 9700 §4.2.4), also when the two race. A second presentation that fails
 * those checks is refused and revokes nothing (RFC 9700 §4.5).
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

  /**
   * A used code presented again by its client, with its redirect URI and
   * verifier: the code leaked, so the grant it came from ends (every token
   * of it, refreshes' included). Only such a replay revokes.
   */
  async function replayed(record: AuthorizationCodeRecord, origin: { ip?: string | null }): Promise<GrantResult> {
    await store.markAuthorizationCodeReplayed(record.codeHash, clock.now());
    await revokeIssued(record);
    // The grant the code was redeemed under, not one the user made since (unknown yet when racing the redemption: the current one).
    await deps.consents.endGrant(record.userId, record.clientId, record.grantId ?? undefined);
    await audit.record({
      type: 'authorization_code.replay',
      actor: record.clientId,
      userId: record.userId,
      ip: origin.ip ?? null,
      detail: { clientId: record.clientId, revokedAccessToken: record.accessTokenId !== null, grantEnded: true },
    });
    return invalidCode;
  }

  /**
   * RFC 9700 §4.5: a used code presented without its client, redirect URI
   * or verifier proves nothing but that someone saw it; revoking on it would
   * let anyone who did sign the user out of the app. It is refused and
   * recorded, and ends nothing.
   */
  async function refusedReplay(
    record: AuthorizationCodeRecord,
    failed: 'client' | 'redirect_uri' | 'code_verifier',
    origin: { ip?: string | null },
    answer: GrantResult,
  ): Promise<GrantResult> {
    if (record.usedAt === null) return answer;
    await audit.record({
      type: 'authorization_code.replay_refused',
      actor: record.clientId,
      userId: record.userId,
      ip: origin.ip ?? null,
      detail: { clientId: record.clientId, failed },
    });
    return answer;
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
      if (!record) return invalidCode;
      // The client, the redirect URI and the verifier first, used code or not: only their holder may end a grant.
      if (record.clientId !== client.id) return refusedReplay(record, 'client', origin, invalidCode);
      if (input.redirectUri !== record.redirectUri) {
        const answer = refused('redirect_uri is not the one the code was issued for.');
        return refusedReplay(record, 'redirect_uri', origin, answer);
      }
      if (!verifierMatches(input.codeVerifier, record.codeChallenge)) {
        const answer = refused('code_verifier does not match the code_challenge (PKCE).');
        return refusedReplay(record, 'code_verifier', origin, answer);
      }
      if (record.usedAt !== null) return replayed(record, origin);
      const now = clock.now();
      if (now >= record.expiresAt) return refused('The authorization code has expired.');
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
        grantId: consent.grantId,
      });
      const refresh = client.grantTypes.includes('refresh_token')
        ? await refreshTokens.issueRefreshToken({
            userId: user.id,
            sessionId: offline ? null : session.id,
            clientId: client.id,
            scope: granted.join(' '),
            grantId: consent.grantId,
            expiresAt: offline ? record.authTime + OFFLINE_ACCESS_SECONDS * 1000 : session.absoluteExpiresAt,
          })
        : null;
      await store.setAuthorizationCodeTokens(record.codeHash, access.jti, refresh?.familyId ?? null, consent.grantId);
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
