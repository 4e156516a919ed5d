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
  /**
   * Creates the consent of `userId` to `clientId`, or replaces its scopes and
   * `updatedAt`: an existing consent keeps its grant id (only
   * {@link renewConsentGrant} changes it), so a write from a stale read can
   * never bring back a grant that ended meanwhile.
   */
  putConsent(consent: ConsentRecord): Promise<void>;
  /**
   * Gives an existing consent a new grant id, atomically; never creates one
   * (a consent revoked meanwhile stays revoked). With `onlyFrom`, only while
   * its grant id is still that one. Returns `false` when nothing changed.
   */
  renewConsentGrant(
    userId: string,
    clientId: string,
    grant: { id: string; updatedAt: number; onlyFrom?: string },
  ): Promise<boolean>;
  /** Returns `false` when there was none. */
  deleteConsent(userId: string, clientId: string): Promise<boolean>;
  /** A user's consents, newest first. */
  listUserConsents(userId: string): Promise<ConsentRecord[]>;
}
