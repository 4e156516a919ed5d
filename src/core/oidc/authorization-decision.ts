import type { Actor } from '../audit/index.js';
import {
  EXPIRED_INTERACTION,
  saveInteraction,
  type AdmittedRequest,
  type AuthorizationEndpointDeps,
  type AuthorizeOutcome,
  type SignedIn,
} from './authorization-admission.js';
import { issueCode, refuse } from './authorization-code-issuance.js';
import type { AuthorizationRequest } from './authorization-requests.js';
import { holdableScopes } from '../scopes/index.js';
import { hashSecret } from '../shared/index.js';
import type { User } from '../users/index.js';

/** The scopes of the request the user may grant now (RFC 6749 §3.3: fewer than asked is allowed, and told). */
export async function grantable(
  { scopes: registry }: AuthorizationEndpointDeps,
  request: AuthorizationRequest,
  user: User,
): Promise<string[]> {
  const holdable = holdableScopes(await registry.list(), { kind: 'app', roles: user.roles });
  return request.scopes.filter((scope) => holdable.includes(scope));
}

/**
 * What to do with an admitted request for the browser's user: sign in
 * (again), consent, or a code. `interaction`: the stored request this
 * continues, if any.
 */
export async function decide(
  deps: AuthorizationEndpointDeps,
  { request, client, loginAfter }: AdmittedRequest,
  signedIn: SignedIn | null,
  { actor, interaction }: { actor: Actor; interaction: string | null },
): Promise<AuthorizeOutcome> {
  const { store, scopes: registry, consents } = deps;
  const promptNone = request.prompt.includes('none');
  if (signedIn === null || (loginAfter !== null && signedIn.session.authenticatedAt < loginAfter)) {
    if (promptNone)
      return refuse(deps, request, { error: 'login_required', description: 'The user is not signed in.' }, { actor });
    return {
      kind: 'sign-in',
      interaction: interaction ?? (await saveInteraction(deps, request, loginAfter)),
      loginHint: request.loginHint,
      reauthenticate: signedIn !== null,
    };
  }
  const granted = await grantable(deps, request, signedIn.user);
  const consent = await consents.find(signedIn.user.id, client.id);
  const asked = request.prompt.includes('consent');
  if (asked || (!client.firstParty && !consents.covers(consent, granted))) {
    if (promptNone) {
      return refuse(
        deps,
        request,
        { error: 'consent_required', description: 'The user has not agreed to this app yet.' },
        { actor, userId: signedIn.user.id },
      );
    }
    const definitions = await registry.list();
    return {
      kind: 'consent',
      // The sign-in is done: a resumed request no longer waits for one.
      interaction: interaction ?? (await saveInteraction(deps, request, null)),
      client: { id: client.id, name: client.name },
      user: signedIn.user,
      scopes: granted.map((name) => definitions.find((scope) => scope.name === name)!),
    };
  }
  // A first-party app asks nothing, but the consent is recorded all the same: it is what its tokens stand on.
  if (!consents.covers(consent, granted)) {
    await consents.grant(signedIn.user.id, client.id, granted, { actor, automatic: true });
  }
  if (interaction !== null && !(await store.deleteAuthorizationRequest(hashSecret(interaction))))
    return EXPIRED_INTERACTION;
  return issueCode(deps, request, signedIn, { granted, actor });
}
