import type { Actor, AuditLog } from '../audit/index.js';
import { type Clock, createId, createSecret, hashSecret, SECRET_PATTERN } from '../shared/index.js';
import type { SessionRecord, SessionStore, UserStore } from '../store/index.js';
import { toUser, type User } from '../users/index.js';

/** How long sessions live. */
export interface SessionPolicy {
  /** Seconds without activity after which a session ends. Default 1800 (30 min, OWASP). */
  idleTimeoutSeconds: number;
  /**
   * Seconds after the sign-in that began a session after which it ends
   * whatever the activity; a later sign-in that continues it does not move
   * this. Default 43200 (12 h).
   */
  absoluteTimeoutSeconds: number;
  /**
   * At most one last-seen write per session per this many seconds. Default 60.
   * Never more than a quarter of the idle timeout: a session in use must be
   * written often enough to outlive its idle timeout until its absolute one.
   */
  touchIntervalSeconds: number;
}

/** The session cookie's name unless configured: `__Host-` makes browsers insist on Secure, Path=/ and no Domain. */
export const SESSION_COOKIE_NAME = '__Host-gatehouse';

/** The defaults of {@link SessionPolicy}. */
export const DEFAULT_SESSION_POLICY: Readonly<SessionPolicy> = Object.freeze({
  idleTimeoutSeconds: 1800,
  absoluteTimeoutSeconds: 43_200,
  touchIntervalSeconds: 60,
});

/** A session as shown to its owner and to administrators. Carries no credential. */
export interface Session {
  id: string;
  userId: string;
  createdAt: number;
  /**
   * When the user last proved who they are in this session (OpenID Connect
   * `auth_time`): when it began, or the latest sign-in that continued it.
   */
  authenticatedAt: number;
  lastSeenAt: number;
  /** When the session ends if not used again: the earlier of idle and absolute expiry. */
  expiresAt: number;
  /** When the session ends whatever happens. */
  absoluteExpiresAt: number;
  ip: string | null;
  userAgent: string | null;
  /**
   * How the user signed in at `authenticatedAt`, as RFC 8176 `amr` values:
   * `pwd`; `pwd otp mfa` with a second factor.
   */
  authMethods: string[];
}

/** RFC 8176 authentication method references a sign-in may record. */
export type AuthMethod = 'pwd' | 'otp' | 'mfa' | 'hwk' | 'swk' | 'user' | 'pin';

/** Where a session was started from; shown to the user in their session list. */
export interface SessionOrigin {
  ip?: string | null;
  userAgent?: string | null;
  /**
   * The session token the browser presented with its sign-in (its cookie),
   * if any: a sign-in of that session's user continues it with a new token,
   * a sign-in of anyone else ends it (see `SessionService.startSignedInSession`).
   * Never stored nor recorded.
   */
  sessionToken?: string | null;
}

const USER_AGENT_MAX = 512;

/** The session operations; see {@link createSessionService}. */
export type SessionService = ReturnType<typeof createSessionService>;

/**
 * Server-side sessions. A session is found by the SHA-256 of its bearer token
 * (Lucia's design); the token itself exists only in the cookie. Validation
 * writes at most once per {@link SessionPolicy.touchIntervalSeconds}, so a
 * signed-in request is normally a single read.
 */
export function createSessionService({
  store,
  clock,
  policy,
  audit,
}: {
  store: SessionStore & Pick<UserStore, 'findUserById'>;
  clock: Clock;
  policy: SessionPolicy;
  /** Records revocations made with an actor, and what a sign-in does to the browser's session. */
  audit?: AuditLog;
}) {
  const idleMs = policy.idleTimeoutSeconds * 1000;
  const absoluteMs = policy.absoluteTimeoutSeconds * 1000;
  // A quarter of the idle timeout at most (issue #15): with the read cache's
  // lifetime on top, last-seen is still well inside the idle window.
  const touchMs = Math.min(policy.touchIntervalSeconds * 1000, idleMs / 4);

  const absoluteExpiry = (record: SessionRecord) => record.createdAt + absoluteMs;
  const expiry = (record: SessionRecord) => Math.min(record.lastSeenAt + idleMs, absoluteExpiry(record));

  const normalised = (methods: readonly string[]) => [...new Set(methods)].sort();
  const where = (origin: SessionOrigin) => ({ ip: origin.ip ?? null, userAgent: origin.userAgent ?? null });

  async function findPresented(token: string | null | undefined): Promise<SessionRecord | null> {
    if (typeof token !== 'string' || !SECRET_PATTERN.test(token)) return null;
    return store.findSessionByTokenHash(hashSecret(token));
  }

  /** The session under a new token, signed in again at `now` with `authMethods`; `null` when its token moved first. */
  async function rotate(
    record: SessionRecord,
    now: number,
    authMethods: string[],
  ): Promise<{ token: string; session: Session } | null> {
    const token = createSecret();
    // A copy: the read cache shares records with its callers.
    const next: SessionRecord = {
      ...record,
      tokenHash: hashSecret(token),
      authenticatedAt: now,
      authMethods,
      lastSeenAt: now,
    };
    // The absolute end stays counted from `createdAt` (as Keycloak's SSO
    // session max lifespan): signing in again does not lengthen a session.
    next.expiresAt = expiry(next);
    const rotated = await store.rotateSessionToken(record.id, record.tokenHash, next);
    return rotated ? { token, session: toSession(next) } : null;
  }

  /**
   * Starts a session for a user, signed in with `authMethods` (default a
   * password); returns the bearer token (to be sent once, in the cookie) and the session.
   */
  async function createSession(
    userId: string,
    origin: SessionOrigin = {},
    authMethods: readonly AuthMethod[] = ['pwd'],
  ): Promise<{ token: string; session: Session }> {
    const token = createSecret();
    const now = clock.now();
    const record: SessionRecord = {
      id: createId(),
      tokenHash: hashSecret(token),
      userId,
      createdAt: now,
      authenticatedAt: now,
      lastSeenAt: now,
      expiresAt: 0,
      ip: origin.ip ?? null,
      userAgent: origin.userAgent?.slice(0, USER_AGENT_MAX) ?? null,
      authMethods: normalised(authMethods),
    };
    record.expiresAt = expiry(record);
    await store.createSession(record);
    return { token, session: toSession(record) };
  }

  function toSession(record: SessionRecord): Session {
    return {
      id: record.id,
      userId: record.userId,
      createdAt: record.createdAt,
      authenticatedAt: record.authenticatedAt,
      lastSeenAt: record.lastSeenAt,
      expiresAt: expiry(record),
      absoluteExpiresAt: absoluteExpiry(record),
      ip: record.ip,
      userAgent: record.userAgent,
      authMethods: [...record.authMethods],
    };
  }

  return {
    createSession,

    /**
     * The session of a sign-in whose credentials were just checked, decided
     * once for every door (password, second step, passkey). When the browser
     * presented a live session of the same user (`origin.sessionToken`: a
     * re-authentication, `prompt=login`, `max_age`, a step-up), that session
     * goes on under a new token: the presented one stops working at once
     * (session fixation, OWASP), while its id, its apps' refresh tokens and
     * its absolute end stay, and `authenticatedAt` and `authMethods` become
     * this sign-in's. Audited as `session.rotate`. A session of anyone else
     * ends (audited as `session.revoke`, reason `other_user_signed_in`), and
     * a new one starts, as it does without a presented session.
     * Returns the new token and whether the session was `continued`.
     */
    async startSignedInSession(
      userId: string,
      origin: SessionOrigin,
      authMethods: readonly AuthMethod[],
    ): Promise<{ token: string; session: Session; continued: boolean }> {
      const presented = await findPresented(origin.sessionToken);
      const now = clock.now();
      if (presented && presented.userId === userId && now < expiry(presented)) {
        const continued = await rotate(presented, now, normalised(authMethods));
        if (continued) {
          await audit?.record({
            type: 'session.rotate',
            actor: userId,
            userId,
            ...where(origin),
            detail: { sessionId: presented.id, authMethods: continued.session.authMethods },
          });
          return { ...continued, continued: true };
        }
        // A concurrent sign-in with the same token rotated it first: this one starts its own session.
      } else if (presented) {
        const ended = await store.deleteSession(presented.id);
        if (ended && presented.userId !== userId && now < expiry(presented)) {
          await audit?.record({
            type: 'session.revoke',
            actor: userId,
            userId: presented.userId,
            ...where(origin),
            detail: { sessionId: presented.id, reason: 'other_user_signed_in' },
          });
        }
      }
      return { ...(await createSession(userId, origin, authMethods)), continued: false };
    },

    /**
     * The session and user a bearer token belongs to, or `null` when the token
     * is malformed, unknown, expired (idle or absolute), or its user is
     * disabled or gone. An expired session is deleted on sight.
     */
    async validateSessionToken(token: string): Promise<{ session: Session; user: User } | null> {
      if (!SECRET_PATTERN.test(token)) return null;
      const record = await store.findSessionByTokenHash(hashSecret(token));
      if (!record) return null;
      const now = clock.now();
      if (now >= expiry(record)) {
        await store.deleteSession(record.id);
        return null;
      }
      const userRecord = await store.findUserById(record.userId);
      if (!userRecord || userRecord.disabled) return null;
      if (now - record.lastSeenAt >= touchMs) {
        record.lastSeenAt = now;
        record.expiresAt = expiry(record);
        await store.touchSession(record.id, record.lastSeenAt, record.expiresAt);
      }
      return { session: toSession(record), user: toUser(userRecord) };
    },

    /** One session by its public id, or `null`. */
    async findSession(id: string): Promise<Session | null> {
      const record = await store.findSessionById(id);
      return record && clock.now() < expiry(record) ? toSession(record) : null;
    },

    /**
     * Counts a use of the session (a refresh of its tokens) as activity, as a
     * request with its cookie would: a client that refreshes keeps its session.
     */
    async recordActivity(id: string): Promise<void> {
      const record = await store.findSessionById(id);
      const now = clock.now();
      if (!record || now >= expiry(record) || now - record.lastSeenAt < touchMs) return;
      record.lastSeenAt = now;
      record.expiresAt = expiry(record);
      await store.touchSession(record.id, record.lastSeenAt, record.expiresAt);
    },

    /** Live sessions of one user, or of everyone; newest first. */
    async listSessions(filter: { userId?: string } = {}): Promise<Session[]> {
      const now = clock.now();
      return (await store.listSessions(filter)).filter((record) => now < expiry(record)).map(toSession);
    },

    /**
     * Ends one session. With `ownerId`, only when it belongs to that user, so
     * that a user cannot learn or end the sessions of another.
     * Returns whether a session was ended.
     */
    async revokeSession(
      id: string,
      options: {
        ownerId?: string;
        /** Who ends it; recorded as `session.revoke` (or `logout`). Absent: an internal step, not audited. */
        actor?: Actor;
        /** The user ending their own current session. */
        logout?: boolean;
      } = {},
    ): Promise<boolean> {
      const record = await store.findSessionById(id);
      if (options.ownerId !== undefined && (!record || record.userId !== options.ownerId)) return false;
      const ended = await store.deleteSession(id);
      if (ended && options.actor && audit) {
        await audit.record({
          type: options.logout ? 'logout' : 'session.revoke',
          ...audit.from(options.actor),
          userId: record?.userId ?? null,
          detail: { sessionId: id },
        });
      }
      return ended;
    },

    /** Ends every session of a user but `keepSessionId`; returns how many ended. Audited when an actor is given. */
    async revokeUserSessions(userId: string, options: { keepSessionId?: string; actor?: Actor } = {}): Promise<number> {
      const count = await store.deleteUserSessions(userId, { keepId: options.keepSessionId });
      if (options.actor && audit) {
        await audit.record({
          type: 'session.revoke',
          ...audit.from(options.actor),
          userId,
          detail: options.keepSessionId === undefined ? { count } : { others: count },
        });
      }
      return count;
    },

    /** Deletes expired sessions; returns how many. */
    purgeExpiredSessions(): Promise<number> {
      return store.purgeExpiredSessions(clock.now());
    },
  };
}
