import type { Actor } from '../audit/index.js';
import type { AuthorizationEndpointDeps, AuthorizeOutcome, SignedIn } from './authorization-admission.js';
import { redirectBack, type AuthorizationError, type AuthorizationRequest } from './authorization-requests.js';
import { createSecret, hashSecret } from '../shared/index.js';

/** How long an authorization code may wait for its redemption (at most 60 s: OAuth 2.1 §4.1.2, RFC 9700 §4.2). */
export const AUTHORIZATION_CODE_SECONDS = 60;

/** Sends the browser back to the app with `error` (audited as `authorize.refused`). */
export async function refuse(
  { audit, issuer }: AuthorizationEndpointDeps,
  request: AuthorizationRequest,
  error: AuthorizationError,
  { actor, userId = null }: { actor: Actor; userId?: string | null },
): Promise<AuthorizeOutcome> {
  await audit.record({
    type: 'authorize.refused',
    ...audit.from(actor),
    userId,
    detail: { clientId: request.clientId, error: error.error },
  });
  return {
    kind: 'redirect',
    location: redirectBack({ uri: request.redirectUri, state: request.state }, issuer(), error),
  };
}

/**
 * Issues the single-use code, bound to the client, redirect URI, PKCE
 * challenge and session, and sends the browser back to the app with it.
 */
export async function issueCode(
  { store, clock, audit, issuer }: AuthorizationEndpointDeps,
  request: AuthorizationRequest,
  signedIn: SignedIn,
  { granted, actor }: { granted: string[]; actor: Actor },
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
    grantId: null,
  });
  await audit.record({
    type: 'authorization_code.issue',
    ...audit.from(actor),
    userId: signedIn.user.id,
    detail: { clientId: request.clientId, scope: granted.join(' '), sessionId: signedIn.session.id },
  });
  return {
    kind: 'redirect',
    location: redirectBack({ uri: request.redirectUri, state: request.state }, issuer(), { code }),
  };
}
