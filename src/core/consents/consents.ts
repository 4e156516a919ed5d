import { APPLICATION, type Actor, type AuditLog } from '../audit/index.js';
import { type Clock, createId } from '../shared/index.js';
import { GatehouseError } from '../errors/index.js';
import type { ClientStore, ConsentRecord, ConsentStore, RefreshTokenStore } from '../store/index.js';

/** An app a user let in, as the account page lists it. */
export interface AppAccess {
  clientId: string;
  /** The client's name, or its id when it was removed meanwhile. */
  name: string;
  scopes: string[];
  /** When the user first agreed, and when last (more scopes), ms. */
  createdAt: number;
  updatedAt: number;
}

/**
 * Why every grant of an account ends (the `reason` of a `grant.end` audit
 * event): whoever held the old credential, or an old session, may be why.
 */
export type GrantEndReason =
  | 'password_reset'
  | 'password_change'
  | 'two_factor_enabled'
  | 'passkey_added'
  | 'sign_out_everywhere'
  | 'user_deleted';

/** The consent operations; see {@link createConsents}. */
export type Consents = ReturnType<typeof createConsents>;

/**
 * What a user agreed an app (an OpenID Connect client) may have, per user
 * and client: remembered, so that the next sign-in to the app asks nothing
 * new; listed on the account page; revocable, which ends the app's refresh
 * tokens for the user at once and makes its access tokens stop counting at
 * Gatehouse (the principal resolver asks for the consent on every request).
 *
 * A consent is a grant: it has a grant id that every app token carries
 * (`gid`), and only tokens of the consent's current grant count. Ending a
 * grant (a code replay, a credential change) gives the consent a new id and
 * ends the app's refresh tokens, so every token of the old grant is refused
 * at once, while the user is not asked to consent again; a consent given
 * after a revocation is a new grant too.
 */
export function createConsents(deps: {
  store: ConsentStore & Pick<RefreshTokenStore, 'deleteUserClientRefreshTokens'> & Pick<ClientStore, 'findClientById'>;
  clock: Clock;
  audit: AuditLog;
}) {
  const { store, clock, audit } = deps;

  /**
   * Ends the user's current grant to the client (with `onlyGrantId`, only while it is still that grant): every token of it is
   * refused from now on, its refresh tokens end, and the consent stands on
   * under a new grant id. Returns the refresh tokens ended.
   */
  async function endGrant(userId: string, clientId: string, onlyGrantId?: string): Promise<number> {
    // One statement, no read first: a consent revoked meanwhile is not brought back, and a
    // concurrent widening of the consent cannot write the old grant id over the new one.
    const renewed = await store.renewConsentGrant(userId, clientId, {
      id: createId(),
      updatedAt: clock.now(),
      onlyFrom: onlyGrantId,
    });
    // That grant had ended already: its refresh tokens went with it, and the grant since is not this one's.
    if (!renewed && onlyGrantId !== undefined) return 0;
    return store.deleteUserClientRefreshTokens(userId, clientId);
  }

  return {
    /** The consent of a user to a client, or `null`. */
    find(userId: string, clientId: string): Promise<ConsentRecord | null> {
      return store.findConsent(userId, clientId);
    },

    /** Whether a consent covers every one of `scopes`. */
    covers(consent: ConsentRecord | null, scopes: readonly string[]): boolean {
      return consent !== null && scopes.every((scope) => consent.scopes.includes(scope));
    },

    /**
     * Records that the user agreed to `scopes` for the client, beside what
     * they agreed before. `automatic`: a first-party app, whose users are
     * not asked (recorded all the same: it is what lets its tokens count).
     */
    async grant(
      userId: string,
      clientId: string,
      scopes: readonly string[],
      options: { actor: Actor; automatic?: boolean },
    ): Promise<ConsentRecord> {
      const now = clock.now();
      const previous = await store.findConsent(userId, clientId);
      const merged = [...new Set([...(previous?.scopes ?? []), ...scopes])];
      const record: ConsentRecord = {
        userId,
        clientId,
        scopes: merged,
        // More scopes keep the grant; a consent after none (a revocation) is a new one.
        grantId: previous?.grantId ?? createId(),
        createdAt: previous?.createdAt ?? now,
        updatedAt: now,
      };
      if (previous && merged.length === previous.scopes.length) return previous;
      await store.putConsent(record);
      await audit.record({
        type: 'consent.grant',
        ...audit.from(options.actor),
        userId,
        detail: { clientId, scopes: merged, ...(options.automatic && { firstParty: true }) },
      });
      return record;
    },

    /** The apps a user let in, most recent first. */
    async listForUser(userId: string): Promise<AppAccess[]> {
      const consents = await store.listUserConsents(userId);
      return Promise.all(
        consents.map(async (consent) => ({
          clientId: consent.clientId,
          name: (await store.findClientById(consent.clientId))?.name ?? consent.clientId,
          scopes: [...consent.scopes],
          createdAt: consent.createdAt,
          updatedAt: consent.updatedAt,
        })),
      );
    },

    /** Ends the user's current grant to the client (a replayed code); see the function of that name above. */
    endGrant,

    /**
     * Ends every grant of an account, `offline_access` ones included: the one
     * operation behind a password reset or change, two-factor turned on, an
     * administrator's sign-out everywhere and a deletion, so that each of
     * them ends the same set. Recorded as a `grant.end` event with `reason`.
     * Returns how many grants ended.
     */
    async endUserGrants(userId: string, options: { actor: Actor; reason: GrantEndReason }): Promise<number> {
      const consents = await store.listUserConsents(userId);
      let refreshTokensEnded = 0;
      for (const consent of consents) refreshTokensEnded += await endGrant(userId, consent.clientId);
      await audit.record({
        type: 'grant.end',
        ...audit.from(options.actor),
        userId,
        detail: { reason: options.reason, grants: consents.length, refreshTokensEnded },
      });
      return consents.length;
    },

    /**
     * Withdraws a user's consent to a client: its refresh tokens for the
     * user end, and its access tokens stop counting here.
     * @throws {GatehouseError} `ERR_NOT_FOUND` when there was none.
     */
    async revoke(userId: string, clientId: string, actor: Actor = APPLICATION): Promise<void> {
      if (!(await store.deleteConsent(userId, clientId))) throw new GatehouseError('ERR_NOT_FOUND');
      const ended = await store.deleteUserClientRefreshTokens(userId, clientId);
      await audit.record({
        type: 'consent.revoke',
        ...audit.from(actor),
        userId,
        detail: { clientId, refreshTokensEnded: ended },
      });
    },
  };
}
