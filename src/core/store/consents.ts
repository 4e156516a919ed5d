/** A user's consent to an app (OpenID Connect client): the scopes they agreed it may have. */
export interface ConsentRecord {
  userId: string;
  clientId: string;
  /** The scopes agreed to, in registry order; a request within them needs no new consent. */
  scopes: string[];
  /**
   * The grant this consent stands for now: every app token carries it
   * (`gid`), and only tokens of the current grant count. A new consent (after
   * a revocation) and a grant ended by a code replay or a credential change
   * get a new one; more scopes keep it.
   */
  grantId: string;
  createdAt: number;
  updatedAt: number;
}

/** Consents, one per user and client. */
export interface ConsentStore {
  findConsent(userId: string, clientId: string): Promise<ConsentRecord | null>;
  /** Creates or replaces the consent of `userId` to `clientId`. */
  putConsent(consent: ConsentRecord): Promise<void>;
  /** Returns `false` when there was none. */
  deleteConsent(userId: string, clientId: string): Promise<boolean>;
  /** A user's consents, newest first. */
  listUserConsents(userId: string): Promise<ConsentRecord[]>;
}
