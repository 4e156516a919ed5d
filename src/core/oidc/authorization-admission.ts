import type { AuditLog } from '../audit/index.js';
import {
  loginAfterOf,
  parseAuthorizationRequest,
  redirectBack,
  type AuthorizationError,
  type AuthorizationRequest,
} from './authorization-requests.js';
import { type Clock, createSecret, hashSecret, SECRET_PATTERN } from '../shared/index.js';
import type { Consents } from '../consents/index.js';
import type { ScopeDefinition, ScopeRegistry } from '../scopes/index.js';
import type { Session } from '../sessions/index.js';
import type { AuthorizationCodeStore, ClientRecord, ClientStore } from '../store/index.js';
import type { User } from '../users/index.js';

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

/** What the authorization endpoint is given; see {@link createAuthorizationEndpoint}. */
export interface AuthorizationEndpointDeps {
  store: AuthorizationCodeStore & Pick<ClientStore, 'findClientById'>;
  clock: Clock;
  scopes: ScopeRegistry;
  consents: Consents;
  audit: AuditLog;
  issuer: () => string;
}

/** A checked request and its client, waiting or not; `loginAfter`: a sign-in older than this must be redone. */
export interface AdmittedRequest {
  request: AuthorizationRequest;
  client: ClientRecord;
  loginAfter: number | null;
}

/** The answer to an interaction that is unknown, expired or already answered. */
export const EXPIRED_INTERACTION: AuthorizeOutcome = {
  kind: 'error-page',
  error: {
    error: 'invalid_request',
    description: 'This sign-in request has expired or was already answered; go back to the app and start again.',
  },
};

/**
 * Admits an authorization request: checked (authorization-requests.ts), with
 * its client and when its sign-in must have happened; or the outcome of a
 * bad one: a page when it cannot be sent back, else a redirect to the app.
 */
export async function admitRequest(
  { store, clock, scopes: registry, issuer }: AuthorizationEndpointDeps,
  params: Record<string, unknown>,
): Promise<{ ok: true; admitted: AdmittedRequest } | { ok: false; outcome: AuthorizeOutcome }> {
  const parsed = await parseAuthorizationRequest(params, {
    findClient: (id) => store.findClientById(id),
    registeredScopes: async () => (await registry.list()).map((scope) => scope.name),
  });
  if (!parsed.ok) {
    if (parsed.redirect === null) return { ok: false, outcome: { kind: 'error-page', error: parsed.error } };
    return {
      ok: false,
      outcome: { kind: 'redirect', location: redirectBack(parsed.redirect, issuer(), parsed.error) },
    };
  }
  const loginAfter = loginAfterOf(parsed.request, clock.now());
  return { ok: true, admitted: { request: parsed.request, client: parsed.client, loginAfter } };
}

/** Keeps a request that waits for the user, under a new unguessable interaction id, for {@link INTERACTION_SECONDS}. */
export async function saveInteraction(
  { store, clock }: AuthorizationEndpointDeps,
  request: AuthorizationRequest,
  loginAfter: number | null,
): Promise<string> {
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

/** A waiting request by its interaction id, or `null` (unknown, expired, or its client is gone). */
export async function loadInteraction(
  { store, clock }: AuthorizationEndpointDeps,
  id: string,
): Promise<AdmittedRequest | null> {
  if (!SECRET_PATTERN.test(id)) return null;
  const record = await store.findAuthorizationRequest(hashSecret(id));
  if (!record || record.expiresAt <= clock.now()) return null;
  const client = await store.findClientById(record.clientId);
  if (!client) return null;
  const { request } = JSON.parse(record.parameters) as StoredInteraction;
  return { request, client, loginAfter: record.loginAfter };
}
