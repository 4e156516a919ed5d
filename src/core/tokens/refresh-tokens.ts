import { type Clock, createId, createSecret, hashSecret, SECRET_PATTERN } from '../shared/index.js';
import type { RefreshTokenRecord, RefreshTokenStore } from '../store/index.js';

/** Prefix of refresh tokens, so that a leak scanner can recognise them and nobody mistakes one for a JWT. */
export const REFRESH_TOKEN_PREFIX = 'ghr_';

/** What a refresh token stands for once exchanged. */
export interface RefreshGrant {
  userId: string;
  /** The session it is bound to, or `null` for an app's `offline_access` token. */
  sessionId: string | null;
  clientId: string;
  scope: string | null;
  /** The grant an app's token belongs to (see {@link RefreshTokenRecord.grantId}). */
  grantId: string | null;
  /** The next refresh token of the family. */
  refreshToken: string;
}

/** The refresh-token operations; see {@link createRefreshTokens}. */
export type RefreshTokens = ReturnType<typeof createRefreshTokens>;

/**
 * Opaque, rotating refresh tokens bound to a session or, for an app's
 * `offline_access`, to the user's consent (RFC 9700 §4.14): each
 * use returns a new token of the same family; a spent token used again is
 * reuse, and ends the whole family (only that family, never the user's other
 * sessions). Ending the session ends its refresh tokens (foreign key).
 */
export function createRefreshTokens({
  store,
  clock,
  reuseGraceSeconds = 0,
}: {
  store: RefreshTokenStore;
  clock: Clock;
  reuseGraceSeconds?: number;
}) {
  const graceMs = reuseGraceSeconds * 1000;
  // Within the grace window a second use of a just-spent token is a racing
  // client (two tabs, a retry after a lost response), not theft: it gets its
  // own next token instead of ending the family. Off (0) by default.
  const isWithinGrace = (usedAt: number | null, now: number) =>
    usedAt !== null && graceMs > 0 && now - usedAt <= graceMs;

  async function issue(input: {
    userId: string;
    sessionId: string | null;
    clientId: string;
    scope: string | null;
    grantId: string | null;
    familyId: string;
    expiresAt: number;
  }) {
    const secret = createSecret();
    await store.createRefreshToken({
      id: createId(),
      tokenHash: hashSecret(secret),
      familyId: input.familyId,
      sessionId: input.sessionId,
      userId: input.userId,
      clientId: input.clientId,
      scope: input.scope,
      grantId: input.grantId,
      createdAt: clock.now(),
      expiresAt: input.expiresAt,
      usedAt: null,
    });
    return `${REFRESH_TOKEN_PREFIX}${secret}`;
  }

  function parse(token: string): string | null {
    if (!token.startsWith(REFRESH_TOKEN_PREFIX)) return null;
    const secret = token.slice(REFRESH_TOKEN_PREFIX.length);
    return SECRET_PATTERN.test(secret) ? secret : null;
  }

  return {
    /**
     * Starts a new family, for a session (its token lives no longer than
     * `expiresAt`, the session's absolute end) or, with `sessionId: null`, an
     * app's `offline_access` grant. Returns the token and its family id.
     */
    async issueRefreshToken(input: {
      userId: string;
      sessionId: string | null;
      clientId: string;
      scope: string | null;
      /** An app's: the grant (consent) it is issued under. */
      grantId?: string | null;
      expiresAt: number;
    }): Promise<{ token: string; familyId: string }> {
      const familyId = createId();
      return { token: await issue({ ...input, grantId: input.grantId ?? null, familyId }), familyId };
    },

    /** Ends a family (a replayed authorization code revokes what it issued). */
    async revokeRefreshFamily(familyId: string): Promise<void> {
      await store.deleteRefreshTokenFamily(familyId);
    },

    /**
     * Exchanges a refresh token for the next one, or `null` when it is
     * malformed, unknown, expired, or spent. A spent token (reuse, or the
     * loser of two concurrent refreshes) ends its whole family, unless it was
     * spent within the grace window. A token of another client than
     * `clientId` is refused before anything changes (RFC 6749 §6: it is
     * bound to its client). `isLive` says whether what it stands on (the
     * session, or the app's consent) still stands.
     */
    async rotateRefreshToken(
      token: string,
      options: { clientId: string; isLive: (record: RefreshTokenRecord) => Promise<boolean> },
    ): Promise<RefreshGrant | null> {
      const secret = parse(token);
      if (secret === null) return null;
      const record = await store.findRefreshTokenByHash(hashSecret(secret));
      if (!record || record.clientId !== options.clientId) return null;
      const now = clock.now();
      if (record.usedAt !== null && !isWithinGrace(record.usedAt, now)) {
        await store.deleteRefreshTokenFamily(record.familyId);
        return null;
      }
      if (now >= record.expiresAt || !(await options.isLive(record))) return null;
      // The atomic step: of two concurrent exchanges exactly one marks it used.
      if (record.usedAt === null && !(await store.markRefreshTokenUsed(record.id, now))) {
        const spent = await store.findRefreshTokenByHash(record.tokenHash);
        if (!spent || !isWithinGrace(spent.usedAt, now)) {
          await store.deleteRefreshTokenFamily(record.familyId);
          return null;
        }
      }
      const refreshToken = await issue({
        userId: record.userId,
        sessionId: record.sessionId,
        clientId: record.clientId,
        scope: record.scope,
        grantId: record.grantId,
        familyId: record.familyId,
        expiresAt: record.expiresAt,
      });
      return {
        userId: record.userId,
        sessionId: record.sessionId,
        clientId: record.clientId,
        scope: record.scope,
        grantId: record.grantId,
        refreshToken,
      };
    },

    /**
     * Ends the family of a refresh token (RFC 7009 revocation); returns the
     * client it was issued to, or `null` when it is no refresh token of ours.
     * `mayRevoke` decides, from that client, whether the caller may.
     */
    async revokeRefreshToken(token: string, mayRevoke: (clientId: string) => boolean): Promise<string | null> {
      const secret = parse(token);
      if (secret === null) return null;
      const record = await store.findRefreshTokenByHash(hashSecret(secret));
      if (!record) return null;
      if (mayRevoke(record.clientId)) await store.deleteRefreshTokenFamily(record.familyId);
      return record.clientId;
    },

    /** Deletes expired refresh tokens; returns how many. */
    purgeExpiredRefreshTokens(): Promise<number> {
      return store.purgeExpiredRefreshTokens(clock.now());
    },
  };
}
