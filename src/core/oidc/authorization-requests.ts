import { type AuthorizationErrorCode, GatehouseError } from '../errors/index.js';
import { checkCodeChallenge } from './pkce.js';
import { matchRedirectUri } from '../clients/index.js';
import { OFFLINE_ACCESS_SCOPE, OIDC_SCOPES, parseScopes } from '../scopes/index.js';
import type { ClientRecord } from '../store/index.js';

/** An authorization request that passed every check (OpenID Connect Core §3.1.2.1, RFC 7636). */
export interface AuthorizationRequest {
  clientId: string;
  /** Exactly as the app sent it; the token request must repeat it. */
  redirectUri: string;
  /** What the app asked for, known to the registry and allowed to the app. */
  scopes: string[];
  state: string | null;
  nonce: string | null;
  /** RFC 7636 `S256` challenge. */
  codeChallenge: string;
  prompt: Prompt[];
  /** Seconds: a sign-in older than this must be repeated. */
  maxAge: number | null;
  /** The username the app suggests (prefilled on the sign-in form). */
  loginHint: string | null;
}

export type Prompt = 'none' | 'login' | 'consent' | 'select_account';

/** An RFC 6749 §4.1.2.1 error: sent back to the app, or shown when it cannot be (no valid client and redirect URI). */
export interface AuthorizationError {
  error: AuthorizationErrorCode;
  description: string;
}

/** The outcome of reading an authorization request. */
export type ParsedAuthorizationRequest =
  /** No client or redirect URI to trust: shown on a page, never redirected (RFC 6749 §4.1.2.1). */
  | { ok: false; redirect: null; error: AuthorizationError }
  /** A valid client and redirect URI, a bad rest: sent back to the app. */
  | { ok: false; redirect: { uri: string; state: string | null }; error: AuthorizationError }
  | { ok: true; request: AuthorizationRequest; client: ClientRecord };

const PROMPTS: readonly Prompt[] = ['none', 'login', 'consent', 'select_account'];
const MAX_PARAMETER = { state: 2048, nonce: 512, login_hint: 256 } as const;

/**
 * One parameter of a request: `undefined` when absent or empty (RFC 6749
 * §3.1: sent without a value is omitted), `null` when repeated (§3.1: no
 * parameter more than once), else its value.
 */
function parameter(params: Record<string, unknown>, name: string): string | null | undefined {
  const value = params[name];
  if (value === undefined || value === '') return undefined;
  return typeof value === 'string' ? value : null;
}

/**
 * Reads and checks an authorization request. The client and redirect URI
 * come first: until both are known good, an error is shown to the user,
 * never sent anywhere (an open redirect otherwise). The redirect URI is
 * required (OpenID Connect Core §3.1.2.1) and compared exactly, with RFC
 * 8252's loopback port exception for public apps. Then `response_type=code`
 * only, PKCE with `S256` only, scopes the registry knows and the app may ask
 * for, and `prompt`, `max_age`, `nonce`, `login_hint` within bounds.
 */
export async function parseAuthorizationRequest(
  params: Record<string, unknown>,
  deps: { findClient: (id: string) => Promise<ClientRecord | null>; registeredScopes: () => Promise<string[]> },
): Promise<ParsedAuthorizationRequest> {
  const shown = (description: string): ParsedAuthorizationRequest => ({
    ok: false,
    redirect: null,
    error: { error: 'invalid_request', description },
  });
  const clientId = parameter(params, 'client_id');
  if (clientId === null) return shown('client_id is given more than once.');
  if (clientId === undefined) return shown('client_id is required.');
  const client = clientId.length <= 64 ? await deps.findClient(clientId) : null;
  if (!client || !client.grantTypes.includes('authorization_code')) {
    return shown('The app is not known here (no client with this client_id signs users in).');
  }
  const redirectUri = parameter(params, 'redirect_uri');
  if (redirectUri === null) return shown('redirect_uri is given more than once.');
  if (redirectUri === undefined) return shown('redirect_uri is required.');
  if (!matchRedirectUri(redirectUri, client.redirectUris, client.type)) {
    return shown('The redirect_uri is not one registered for this app.');
  }

  const rawState = parameter(params, 'state');
  const state = typeof rawState === 'string' && rawState.length <= MAX_PARAMETER.state ? rawState : null;
  const back = (error: AuthorizationError['error'], description: string): ParsedAuthorizationRequest => ({
    ok: false,
    redirect: { uri: redirectUri, state },
    error: { error, description },
  });
  if (rawState === null) return back('invalid_request', 'state is given more than once.');
  if (rawState !== undefined && state === null) return back('invalid_request', 'state is too long.');
  if (params.request !== undefined) return back('request_not_supported', 'Request objects are not supported.');
  if (params.request_uri !== undefined) return back('request_uri_not_supported', 'request_uri is not supported.');

  const single: Record<string, string | undefined> = {};
  for (const name of [
    'response_type',
    'response_mode',
    'scope',
    'nonce',
    'code_challenge',
    'code_challenge_method',
    'prompt',
    'max_age',
    'login_hint',
  ]) {
    const value = parameter(params, name);
    if (value === null) return back('invalid_request', `${name} is given more than once.`);
    single[name] = value;
  }
  if (single.response_type === undefined) return back('invalid_request', 'response_type is required.');
  if (single.response_type !== 'code') {
    return back('unsupported_response_type', 'Only response_type=code is supported (no implicit or hybrid flow).');
  }
  if (single.response_mode !== undefined && single.response_mode !== 'query') {
    return back('invalid_request', 'Only response_mode=query is supported.');
  }

  let scopes: string[];
  try {
    scopes = parseScopes(single.scope ?? '');
  } catch (error) {
    return back('invalid_scope', error instanceof GatehouseError ? error.message : 'The scope is not valid.');
  }
  const registered = await deps.registeredScopes();
  const refused = scopes.find(
    (scope) => !registered.includes(scope) || (!OIDC_SCOPES.includes(scope) && !client.scopes.includes(scope)),
  );
  if (refused !== undefined) {
    return back(
      'invalid_scope',
      `The scope ${JSON.stringify(refused)} does not exist or is not available to this app.`,
    );
  }
  // An app that may not refresh gets no offline access: the scope is dropped, not refused (Core §11).
  if (!client.grantTypes.includes('refresh_token')) scopes = scopes.filter((scope) => scope !== OFFLINE_ACCESS_SCOPE);

  const pkce = checkCodeChallenge(single.code_challenge, single.code_challenge_method);
  if (!pkce.ok) return back('invalid_request', pkce.description);

  const prompt = (single.prompt ?? '').split(' ').filter(Boolean);
  if (!prompt.every((value): value is Prompt => (PROMPTS as readonly string[]).includes(value))) {
    return back('invalid_request', `prompt takes ${PROMPTS.join(', ')}.`);
  }
  if (prompt.includes('none') && prompt.length > 1) {
    return back('invalid_request', 'prompt=none cannot be combined with other values.');
  }
  let maxAge: number | null = null;
  if (single.max_age !== undefined) {
    if (!/^\d{1,9}$/.test(single.max_age)) return back('invalid_request', 'max_age is a number of seconds.');
    maxAge = Number(single.max_age);
  }
  if ((single.nonce?.length ?? 0) > MAX_PARAMETER.nonce) return back('invalid_request', 'nonce is too long.');
  const loginHint =
    single.login_hint !== undefined && single.login_hint.length <= MAX_PARAMETER.login_hint ? single.login_hint : null;

  return {
    ok: true,
    client,
    request: {
      clientId: client.id,
      redirectUri,
      scopes,
      state,
      nonce: single.nonce ?? null,
      codeChallenge: pkce.challenge,
      prompt: prompt as Prompt[],
      maxAge,
      loginHint,
    },
  };
}

/**
 * The URI that sends the browser back to the app: the redirect URI with
 * `code` or `error` (and `error_description`), `state` when the app sent
 * one, and `iss` (RFC 9207, against mix-up attacks). An existing query is
 * kept (RFC 6749 §3.1.2).
 */
export function redirectBack(
  redirect: { uri: string; state: string | null },
  issuer: string,
  answer: { code: string } | AuthorizationError,
): string {
  const query = new URLSearchParams();
  if ('code' in answer) {
    query.set('code', answer.code);
  } else {
    query.set('error', answer.error);
    query.set('error_description', answer.description);
  }
  if (redirect.state !== null) query.set('state', redirect.state);
  query.set('iss', issuer);
  return `${redirect.uri}${redirect.uri.includes('?') ? '&' : '?'}${query.toString()}`;
}

/**
 * Whether a sign-in at `authTime` (ms) satisfies the request at `now`:
 * `prompt=login` asks for one after the request (`loginAfter`), `max_age` for
 * one no older than that many seconds.
 */
export function loginAfterOf(request: AuthorizationRequest, now: number): number | null {
  const bounds = [
    ...(request.prompt.includes('login') || request.prompt.includes('select_account') ? [now] : []),
    ...(request.maxAge !== null ? [now - request.maxAge * 1000] : []),
  ];
  return bounds.length === 0 ? null : Math.max(...bounds);
}
