import type { Clock } from './clock.js';
import { createId, createSecret, hashSecret, SECRET_PATTERN } from './secrets.js';
import type { RefreshTokenStore } from './store/index.js';

/** Prefix of refresh tokens, so that a leak scanner can recognise them and nobody mistakes one for a JWT. */
export const REFRESH_TOKEN_PREFIX = 'ghr_';

/** What a refresh token stands for once exchanged. */
export interface RefreshGrant {
  userId: string;
  sessionId: string;
  scope: string | null;
  /** The next refresh token of the family. */
  refreshToken: string;
}

/** The refresh-token operations; see {@link createRefreshTokens}. */
export type RefreshTokens = ReturnType<typeof createRefreshTokens>;

/**
 * Opaque, rotating refresh tokens bound to a session (RFC 9700 §4.14): each
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
    sessionId: string;
    scope: string | null;
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
      scope: input.scope,
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
    /** Starts a new family for a session; the token lives no longer than `expiresAt` (the session's absolute end). */
    issueRefreshToken(input: {
      userId: string;
      sessionId: string;
      scope: string | null;
      expiresAt: number;
    }): Promise<string> {
      return issue({ ...input, familyId: createId() });
    },

    /**
     * Exchanges a refresh token for the next one, or `null` when it is
     * malformed, unknown, expired, or spent. A spent token (reuse, or the
     * loser of two concurrent refreshes) ends its whole family, unless it was
     * spent within the grace window.
     * `isSessionLive` says whether the session behind it still stands.
     */
    async rotateRefreshToken(
      token: string,
      isSessionLive: (sessionId: string) => Promise<boolean>,
    ): Promise<RefreshGrant | null> {
      const secret = parse(token);
      if (secret === null) return null;
      const record = await store.findRefreshTokenByHash(hashSecret(secret));
      if (!record) return null;
      const now = clock.now();
      if (record.usedAt !== null && !isWithinGrace(record.usedAt, now)) {
        await store.deleteRefreshTokenFamily(record.familyId);
        return null;
      }
      if (now >= record.expiresAt || !(await isSessionLive(record.sessionId))) return null;
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
        scope: record.scope,
        familyId: record.familyId,
        expiresAt: record.expiresAt,
      });
      return { userId: record.userId, sessionId: record.sessionId, scope: record.scope, refreshToken };
    },

    /** Ends the family of a refresh token (RFC 7009 revocation); returns whether it existed. */
    async revokeRefreshToken(token: string): Promise<boolean> {
      const secret = parse(token);
      if (secret === null) return false;
      const record = await store.findRefreshTokenByHash(hashSecret(secret));
      if (!record) return false;
      await store.deleteRefreshTokenFamily(record.familyId);
      return true;
    },

    /** Deletes expired refresh tokens; returns how many. */
    purgeExpiredRefreshTokens(): Promise<number> {
      return store.purgeExpiredRefreshTokens(clock.now());
    },
  };
}
