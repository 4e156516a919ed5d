/** A server-side session. The bearer token itself is never stored, only its SHA-256. */
export interface SessionRecord {
  /** Public id, used to list and revoke; not a credential. */
  id: string;
  tokenHash: string;
  userId: string;
  createdAt: number;
  /** When the user last proved who they are: at `createdAt`, or a later sign-in that continued the session. */
  authenticatedAt: number;
  lastSeenAt: number;
  /** When the row may be purged: the earlier of idle and absolute expiry at the time of the last write. */
  expiresAt: number;
  ip: string | null;
  userAgent: string | null;
  /** How the user proved who they are at sign-in, as RFC 8176 `amr` values (`pwd`, `otp`, `mfa`, `hwk`, `user`…). */
  authMethods: string[];
}

/** What a sign-in that continues a session writes: its new token, when and how, and its activity. */
export type SessionRotation = Pick<
  SessionRecord,
  'tokenHash' | 'authenticatedAt' | 'authMethods' | 'lastSeenAt' | 'expiresAt'
>;

/** Sessions: a handful of operations, each one atomic. */
export interface SessionStore {
  createSession(session: SessionRecord): Promise<void>;
  findSessionByTokenHash(tokenHash: string): Promise<SessionRecord | null>;
  findSessionById(id: string): Promise<SessionRecord | null>;
  /** Sessions of one user (or of everyone when `userId` is omitted), newest first. */
  listSessions(filter: { userId?: string }): Promise<SessionRecord[]>;
  /** Records activity; the caller throttles how often. */
  touchSession(id: string, lastSeenAt: number, expiresAt: number): Promise<void>;
  /**
   * Gives the session a new token and records a new sign-in of its user, only
   * while its token is still `fromTokenHash` (of two concurrent sign-ins
   * presenting one token, one rotates it); returns whether it did.
   */
  rotateSessionToken(id: string, fromTokenHash: string, next: SessionRotation): Promise<boolean>;
  /** Deletes one session; returns `false` when it did not exist. */
  deleteSession(id: string): Promise<boolean>;
  /** Deletes every session of a user except `keepId`; returns how many went. */
  deleteUserSessions(userId: string, options?: { keepId?: string }): Promise<number>;
  /** Deletes sessions whose `expiresAt` is at or before `now`; returns how many went. */
  purgeExpiredSessions(now: number): Promise<number>;
  /** How many sessions have an `expiresAt` after `now` (live, or idle-expired but not yet touched since). */
  countSessions(now: number): Promise<number>;
}
