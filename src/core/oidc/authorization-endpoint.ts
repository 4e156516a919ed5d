import type { Actor, AuditLog } from '../audit/index.js';
import {
  loginAfterOf,
  parseAuthorizationRequest,
  redirectBack,
  type AuthorizationError,
  type AuthorizationRequest,
} from './authorization-requests.js';
import { type Clock, createSecret, hashSecret, SECRET_PATTERN } from '../shared/index.js';
import type { Consents } from '../consents/index.js';
import { holdableScopes, type ScopeDefinition, type ScopeRegistry } from '../scopes/index.js';
import type { Session } from '../sessions/index.js';
import type { AuthorizationCodeStore, ClientRecord, ClientStore } from '../store/index.js';
import type { User } from '../users/index.js';

/** How long an authorization code may wait for its redemption (at most 60 s: OAuth 2.1 §4.1.2, RFC 9700 §4.2). */
export const AUTHORIZATION_CODE_SECONDS = 60;
/** How long an authorization request waits for the user to sign in and consent. */
export const INTERACTION_SECONDS = 600;

/** The user behind the browser, when it carries a session. */
export interface SignedIn {
  user: User;
  session: Session;
}

/** What the authorization endpoint answers; the HTTP layer turns each into a page or a redirect. */
export type AuthorizeOutcome =
  /** A request that cannot be sent back anywhere: shown to the user as a page (400). */
  | { kind: 'error-page'; error: AuthorizationError }
  /** Back to the app: with a code, or with an error. */
  | { kind: 'redirect'; location: string }
  /** The user must sign in (again, with `reauthenticate`); then the interaction resumes. */
  | { kind: 'sign-in'; interaction: string; loginHint: string | null; reauthenticate: boolean }
  /** The user must decide: the page lists what the app asks for. */
  | {
      kind: 'consent';
      interaction: string;
      client: { id: string; name: string };
      user: User;
      scopes: ScopeDefinition[];
    };

interface StoredInteraction {
  request: AuthorizationRequest;
}

/** The authorization endpoint's operations; see {@link createAuthorizationEndpoint}. */
export type AuthorizationEndpoint = ReturnType<typeof createAuthorizationEndpoint>;

/**
 * The authorization endpoint (RFC 6749 §4.1, OpenID Connect Core §3.1) as
 * core operations: check the request, send the user to sign in (again) and
 * to consent when needed, and send the browser back to the app with a
 * single-use code bound to the client, redirect URI, PKCE challenge and
 * session. A request that waits for the user is kept in the store (any
 * instance may resume it) under an unguessable interaction id, for
 * {@link INTERACTION_SECONDS}, and used once.
 */
export function createAuthorizationEndpoint(deps: {
  store: AuthorizationCodeStore & Pick<ClientStore, 'findClientById'>;
  clock: Clock;
  scopes: ScopeRegistry;
  consents: Consents;
  audit: AuditLog;
  issuer: () => string;
}) {
  const { store, clock, scopes: registry, consents, audit } = deps;
  const errorPage = (description: string): AuthorizeOutcome => ({
    kind: 'error-page',
    error: { error: 'invalid_request', description },
  });
  const expired = errorPage(
    'This sign-in request has expired or was already answered; go back to the app and start again.',
  );

  async function refuse(
    request: AuthorizationRequest,
    error: AuthorizationError,
    actor: Actor,
    userId: string | null = null,
  ): Promise<AuthorizeOutcome> {
    await audit.record({
      type: 'authorize.refused',
      ...audit.from(actor),
      userId,
      detail: { clientId: request.clientId, error: error.error },
    });
    return {
      kind: 'redirect',
      location: redirectBack({ uri: request.redirectUri, state: request.state }, deps.issuer(), error),
    };
  }

  async function saveInteraction(request: AuthorizationRequest, loginAfter: number | null): Promise<string> {
    const id = createSecret();
    const now = clock.now();
    const stored: StoredInteraction = { request };
    await store.createAuthorizationRequest({
      idHash: hashSecret(id),
      clientId: request.clientId,
      parameters: JSON.stringify(stored),
      loginAfter,
      createdAt: now,
      expiresAt: now + INTERACTION_SECONDS * 1000,
    });
    return id;
  }

  async function loadInteraction(
    id: string,
  ): Promise<{ request: AuthorizationRequest; client: ClientRecord; loginAfter: number | null } | null> {
    if (!SECRET_PATTERN.test(id)) return null;
    const record = await store.findAuthorizationRequest(hashSecret(id));
    if (!record || record.expiresAt <= clock.now()) return null;
    const client = await store.findClientById(record.clientId);
    if (!client) return null;
    const { request } = JSON.parse(record.parameters) as StoredInteraction;
    return { request, client, loginAfter: record.loginAfter };
  }

  /** The scopes of the request the user may grant now (RFC 6749 §3.3: fewer than asked is allowed, and told). */
  async function grantable(request: AuthorizationRequest, user: User): Promise<string[]> {
    const holdable = holdableScopes(await registry.list(), { kind: 'app', roles: user.roles });
    return request.scopes.filter((scope) => holdable.includes(scope));
  }

  async function issueCode(
    request: AuthorizationRequest,
    signedIn: SignedIn,
    granted: string[],
    actor: Actor,
  ): Promise<AuthorizeOutcome> {
    const code = createSecret();
    const now = clock.now();
    await store.createAuthorizationCode({
      codeHash: hashSecret(code),
      clientId: request.clientId,
      userId: signedIn.user.id,
      sessionId: signedIn.session.id,
      redirectUri: request.redirectUri,
      scopes: granted,
      codeChallenge: request.codeChallenge,
      nonce: request.nonce,
      authTime: signedIn.session.authenticatedAt,
      authMethods: signedIn.session.authMethods,
      createdAt: now,
      expiresAt: now + AUTHORIZATION_CODE_SECONDS * 1000,
      usedAt: null,
      replayedAt: null,
      accessTokenId: null,
      refreshFamilyId: null,
    });
    await audit.record({
      type: 'authorization_code.issue',
      ...audit.from(actor),
      userId: signedIn.user.id,
      detail: { clientId: request.clientId, scope: granted.join(' '), sessionId: signedIn.session.id },
    });
    return {
      kind: 'redirect',
      location: redirectBack({ uri: request.redirectUri, state: request.state }, deps.issuer(), { code }),
    };
  }

  /**
   * What to do with a checked request for the browser's user: sign in
   * (again), consent, or a code. `interaction`: the stored request this
   * continues, if any.
   */
  async function proceed(
    { request, client, loginAfter }: { request: AuthorizationRequest; client: ClientRecord; loginAfter: number | null },
    signedIn: SignedIn | null,
    actor: Actor,
    interaction: string | null,
  ): Promise<AuthorizeOutcome> {
    const promptNone = request.prompt.includes('none');
    if (signedIn === null || (loginAfter !== null && signedIn.session.authenticatedAt < loginAfter)) {
      if (promptNone)
        return refuse(request, { error: 'login_required', description: 'The user is not signed in.' }, actor);
      return {
        kind: 'sign-in',
        interaction: interaction ?? (await saveInteraction(request, loginAfter)),
        loginHint: request.loginHint,
        reauthenticate: signedIn !== null,
      };
    }
    const granted = await grantable(request, signedIn.user);
    const consent = await consents.find(signedIn.user.id, client.id);
    const asked = request.prompt.includes('consent');
    if (asked || (!client.firstParty && !consents.covers(consent, granted))) {
      if (promptNone) {
        return refuse(
          request,
          { error: 'consent_required', description: 'The user has not agreed to this app yet.' },
          actor,
          signedIn.user.id,
        );
      }
      const definitions = await registry.list();
      return {
        kind: 'consent',
        // The sign-in is done: a resumed request no longer waits for one.
        interaction: interaction ?? (await saveInteraction(request, null)),
        client: { id: client.id, name: client.name },
        user: signedIn.user,
        scopes: granted.map((name) => definitions.find((scope) => scope.name === name)!),
      };
    }
    // A first-party app asks nothing, but the consent is recorded all the same: it is what its tokens stand on.
    if (!consents.covers(consent, granted)) {
      await consents.grant(signedIn.user.id, client.id, granted, { actor, automatic: true });
    }
    if (interaction !== null && !(await store.deleteAuthorizationRequest(hashSecret(interaction)))) return expired;
    return issueCode(request, signedIn, granted, actor);
  }

  return {
    /**
     * `GET|POST /oauth/authorize`: checks the request and says what comes
     * next for the browser's user (`signedIn`: its session, if any).
     */
    async authorize(
      params: Record<string, unknown>,
      signedIn: SignedIn | null,
      actor: Actor,
    ): Promise<AuthorizeOutcome> {
      const parsed = await parseAuthorizationRequest(params, {
        findClient: (id) => store.findClientById(id),
        registeredScopes: async () => (await registry.list()).map((scope) => scope.name),
      });
      if (!parsed.ok) {
        if (parsed.redirect === null) return { kind: 'error-page', error: parsed.error };
        return { kind: 'redirect', location: redirectBack(parsed.redirect, deps.issuer(), parsed.error) };
      }
      const loginAfter = loginAfterOf(parsed.request, clock.now());
      return proceed({ request: parsed.request, client: parsed.client, loginAfter }, signedIn, actor, null);
    },

    /** Where a waiting request will send the browser back, or `null` (unknown or expired): what its pages' forms lead to. */
    async pendingRedirectUri(interaction: string): Promise<string | null> {
      return (await loadInteraction(interaction))?.request.redirectUri ?? null;
    },

    /** Continues a stored request once the user has signed in. */
    async resume(interaction: string, signedIn: SignedIn | null, actor: Actor): Promise<AuthorizeOutcome> {
      const loaded = await loadInteraction(interaction);
      if (!loaded) return expired;
      return proceed(loaded, signedIn, actor, interaction);
    },

    /**
     * The user's answer on the consent page: allowed, the consent is
     * remembered and a code issued; refused, the app gets `access_denied`.
     * Either way the interaction is used up.
     */
    async answerConsent(
      interaction: string,
      signedIn: SignedIn,
      allow: boolean,
      actor: Actor,
    ): Promise<AuthorizeOutcome> {
      const loaded = await loadInteraction(interaction);
      if (!loaded) return expired;
      const { request, client, loginAfter } = loaded;
      if (loginAfter !== null && signedIn.session.authenticatedAt < loginAfter) return expired;
      if (!(await store.deleteAuthorizationRequest(hashSecret(interaction)))) return expired;
      if (!allow) {
        return refuse(
          request,
          { error: 'access_denied', description: 'The user did not allow the app.' },
          actor,
          signedIn.user.id,
        );
      }
      const granted = await grantable(request, signedIn.user);
      await consents.grant(signedIn.user.id, client.id, granted, { actor });
      return issueCode(request, signedIn, granted, actor);
    },
  };
}
