import type { Actor } from '../audit/index.js';
import {
  admitRequest,
  EXPIRED_INTERACTION,
  loadInteraction,
  type AuthorizationEndpointDeps,
  type AuthorizeOutcome,
  type SignedIn,
} from './authorization-admission.js';
import { issueCode, refuse } from './authorization-code-issuance.js';
import { decide, grantable } from './authorization-decision.js';
import { hashSecret } from '../shared/index.js';

export {
  INTERACTION_SECONDS,
  type AuthorizationEndpointDeps,
  type AuthorizeOutcome,
  type SignedIn,
} from './authorization-admission.js';
export { AUTHORIZATION_CODE_SECONDS } from './authorization-code-issuance.js';

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
 *
 * Its steps live beside it: request admission and waiting interactions
 * (authorization-admission.ts), the sign-in and consent decision
 * (authorization-decision.ts), code issuance (authorization-code-issuance.ts).
 */
export function createAuthorizationEndpoint(deps: AuthorizationEndpointDeps) {
  const { store, consents } = deps;
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
      const admission = await admitRequest(deps, params);
      if (!admission.ok) return admission.outcome;
      return decide(deps, admission.admitted, signedIn, { actor, interaction: null });
    },

    /** Where a waiting request will send the browser back, or `null` (unknown or expired): what its pages' forms lead to. */
    async pendingRedirectUri(interaction: string): Promise<string | null> {
      return (await loadInteraction(deps, interaction))?.request.redirectUri ?? null;
    },

    /** Continues a stored request once the user has signed in. */
    async resume(interaction: string, signedIn: SignedIn | null, actor: Actor): Promise<AuthorizeOutcome> {
      const loaded = await loadInteraction(deps, interaction);
      if (!loaded) return EXPIRED_INTERACTION;
      return decide(deps, loaded, signedIn, { actor, interaction });
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
      const loaded = await loadInteraction(deps, interaction);
      if (!loaded) return EXPIRED_INTERACTION;
      const { request, client, loginAfter } = loaded;
      if (loginAfter !== null && signedIn.session.authenticatedAt < loginAfter) return EXPIRED_INTERACTION;
      if (!(await store.deleteAuthorizationRequest(hashSecret(interaction)))) return EXPIRED_INTERACTION;
      if (!allow) {
        return refuse(
          deps,
          request,
          { error: 'access_denied', description: 'The user did not allow the app.' },
          { actor, userId: signedIn.user.id },
        );
      }
      const granted = await grantable(deps, request, signedIn.user);
      await consents.grant(signedIn.user.id, client.id, granted, { actor });
      return issueCode(deps, request, signedIn, { granted, actor });
    },
  };
}
