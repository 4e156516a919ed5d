import type { BasicAuthMode } from '../sign-in/index.js';
import type { ErrorCode, ResourceErrorCode } from '../errors/index.js';
import { parseScopes } from '../scopes/index.js';

/**
 * Every kind of credential Gatehouse accepts:
 * - `session`: the session cookie; `basic_user`: a user's name and password
 *   on the request. Both are the person and act as them.
 * - `api_key`, `user_token`: a user's API key or access token; they act for
 *   the user only within the scopes they carry.
 * - `client_token`, `basic_client`: a service client's own access token, or
 *   its id and secret; they act within the client's registered scopes.
 */
export type CredentialKind = 'session' | 'basic_user' | 'basic_client' | 'api_key' | 'user_token' | 'client_token';

/** What {@link authorize} needs to know of who a request acts for. */
export interface Authorizable {
  credential: CredentialKind;
  /** The user's roles now (none for a service client). */
  roles: readonly string[];
  /**
   * The scopes the credential holds now: what it carries, less anything its
   * holder may no longer hold; for a person, every scope they may hold.
   */
  scopes: readonly string[];
}

/** What a route needs. */
export interface Requirement {
  /** `session`: the session cookie only (account management); `any` (default): every credential kind. */
  credentials?: 'any' | 'session';
  /**
   * A role the user must have. A person (session, Basic password) with the
   * role passes; a delegated credential (API key, user token) must also
   * carry the scope of the same name (`admin` for the admin routes).
   */
  role?: string;
  /** Scopes the credential must hold, every one. */
  scopes?: readonly string[];
}

/** The credential a request presented, before it was checked. */
export type PresentedKind = 'none' | 'cookie' | 'bearer' | 'basic' | 'malformed';

/** The facts of a request that a decision depends on; adapters read them from their framework's request. */
export interface RequestFacts {
  /** The HTTP method (for forward auth, the original request's). */
  method: string;
  /** Whether a browser sent it from another site ({@link isCrossSite}). */
  crossSite: boolean;
  presented: PresentedKind;
  /** Who may use HTTP Basic here: the 401 challenge names it when anyone may. */
  basicAuth: BasicAuthMode;
}

/** A refusal: the status, stable code and challenge to answer with. */
export interface Refusal {
  allowed: false;
  status: 401 | 403;
  code: ErrorCode;
  /** The `WWW-Authenticate` value, when the answer carries one. */
  challenge?: string;
  /** The cookie named no session: the browser should drop it. */
  clearCookie?: boolean;
}

/** The answer of {@link authorize}. */
export type Decision = { allowed: true } | Refusal;

/** The Bearer challenge (RFC 6750 §3) every 401 carries. */
export const BEARER_CHALLENGE = 'Bearer realm="gatehouse"';
/** The challenge of a 401 when HTTP Basic is accepted too (RFC 7617 §2.1: the charset is UTF-8). */
export const BASIC_CHALLENGE = 'Basic realm="gatehouse", charset="UTF-8"';

const PERSON: ReadonlySet<CredentialKind> = new Set(['session', 'basic_user']);
const DELEGATED: ReadonlySet<CredentialKind> = new Set(['api_key', 'user_token']);
// Credentials a browser sends by itself, whoever made the page: state changes on their strength must be same-site.
const AMBIENT: ReadonlySet<CredentialKind> = new Set(['session', 'basic_user', 'basic_client']);
const BEARER_KINDS: ReadonlySet<CredentialKind> = new Set(['api_key', 'user_token', 'client_token']);
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Whether a credential acts as the person (a session, a user's Basic password), unlimited by scope. */
export function actsAsPerson(credential: CredentialKind): boolean {
  return PERSON.has(credential);
}

/** Whether a method changes state (RFC 9110 §9.2.1: not safe). */
export function isUnsafeMethod(method: string): boolean {
  return !SAFE_METHODS.has(method.toUpperCase());
}

/**
 * Whether a browser sent a request from another site (OWASP CSRF
 * Prevention: verifying origin with standard headers). `Sec-Fetch-Site:
 * cross-site` is decisive; otherwise an `Origin` header must be one of
 * `allowedOrigins`, by default the origin the request was addressed to.
 * Clients that send neither header (curl, scripts, services) are not browsers
 * acting for someone else.
 */
export function isCrossSite(
  request: { headers: Record<string, string | string[] | undefined>; protocol: string; host: string },
  allowedOrigins: readonly string[] | undefined,
): boolean {
  if (request.headers['sec-fetch-site'] === 'cross-site') return true;
  const origin = request.headers.origin;
  if (origin === undefined) return false;
  if (typeof origin !== 'string') return true;
  // "null" is an opaque origin (sandboxed frame, data: URL): never ours.
  if (origin === 'null') return true;
  const allowed =
    allowedOrigins && allowedOrigins.length > 0 ? allowedOrigins : [`${request.protocol}://${request.host}`];
  return !allowed.includes(origin.toLowerCase());
}

/**
 * Checks a requirement when a route is built, not at request time.
 * @throws {TypeError} for an empty scope list or a malformed scope.
 */
export function defineRequirement(requirement: Requirement): Readonly<Requirement> {
  if (requirement.scopes !== undefined) {
    if (requirement.scopes.length === 0) throw new TypeError('a scope requirement needs at least one scope');
    try {
      return Object.freeze({ ...requirement, scopes: Object.freeze(parseScopes(requirement.scopes)) });
    } catch {
      throw new TypeError(`invalid scope in ${JSON.stringify(requirement.scopes)}`);
    }
  }
  return Object.freeze({ ...requirement });
}

/**
 * The one authorization decision of Gatehouse: whether `principal` (`null`:
 * no valid credential) may make a request with `facts` to a route that
 * needs `requirement`, and if not, the status, code and challenge to answer
 * with. The Fastify guards, `gatehouse/express`, forward auth, `/metrics`
 * and `gatehouse/verify`'s hook all ask it and only translate its answer.
 *
 * The rules, in order:
 * 1. No valid credential: 401 (`ERR_INVALID_TOKEN` for a presented bearer
 *    or malformed header, `ERR_INVALID_CREDENTIALS` for Basic, else
 *    `ERR_UNAUTHENTICATED`), with a challenge for each accepted scheme.
 * 2. Session-only routes (account management) refuse every other kind: 403
 *    `ERR_SESSION_REQUIRED`.
 * 3. Credentials a browser sends by itself (cookie, Basic) on a cross-site
 *    state change: 403 `ERR_CROSS_SITE`.
 * 4. A role: the user must have it (403 `ERR_FORBIDDEN`), and a delegated
 *    credential must hold the scope of that name (403 `ERR_INSUFFICIENT_SCOPE`).
 * 5. Scopes: the credential must hold every one (403 `ERR_INSUFFICIENT_SCOPE`).
 * A 403 to a bearer credential carries RFC 6750's `insufficient_scope` challenge.
 */
export function authorize(principal: Authorizable | null, requirement: Requirement, facts: RequestFacts): Decision {
  if (principal === null) return unauthenticated(facts);
  const bearer = BEARER_KINDS.has(principal.credential);
  const forbidden = (code: ErrorCode, scope?: string): Refusal => ({
    allowed: false,
    status: 403,
    code,
    ...(bearer && { challenge: insufficientScope(scope) }),
  });
  if (requirement.credentials === 'session' && principal.credential !== 'session') {
    return forbidden('ERR_SESSION_REQUIRED');
  }
  if (AMBIENT.has(principal.credential) && facts.crossSite && isUnsafeMethod(facts.method)) {
    return { allowed: false, status: 403, code: 'ERR_CROSS_SITE' };
  }
  if (requirement.role !== undefined) {
    if (!principal.roles.includes(requirement.role)) return forbidden('ERR_FORBIDDEN', requirement.role);
    if (DELEGATED.has(principal.credential) && !principal.scopes.includes(requirement.role)) {
      return forbidden('ERR_INSUFFICIENT_SCOPE', requirement.role);
    }
  }
  const scopes = requirement.scopes ?? [];
  if (scopes.length > 0 && !scopes.every((scope) => principal.scopes.includes(scope))) {
    // RFC 6750 §3.1: say which scopes are needed; sent to every kind, so a browser's developer sees it too.
    return {
      allowed: false,
      status: 403,
      code: 'ERR_INSUFFICIENT_SCOPE',
      challenge: insufficientScope(scopes.join(' ')),
    };
  }
  return { allowed: true };
}

/** A Bearer challenge naming an RFC 6750 §3.1 error (a code of the OAuth registry). */
function bearerError(error: ResourceErrorCode): string {
  return `${BEARER_CHALLENGE}, error="${error}"`;
}

function insufficientScope(scope: string | undefined): string {
  return `${bearerError('insufficient_scope')}${scope === undefined ? '' : `, scope="${scope}"`}`;
}

function unauthenticated(facts: RequestFacts): Refusal {
  // Every 401 names each scheme that would be accepted (RFC 9110 §11.6.1).
  const withBasic = (bearer: string) => (facts.basicAuth === 'off' ? bearer : `${bearer}, ${BASIC_CHALLENGE}`);
  switch (facts.presented) {
    case 'bearer':
    case 'malformed':
      // RFC 6750 §3.1: a credential was presented and is not acceptable here.
      return {
        allowed: false,
        status: 401,
        code: 'ERR_INVALID_TOKEN',
        challenge: withBasic(bearerError('invalid_token')),
      };
    case 'basic':
      // The same answer for an unknown name and a wrong password (as POST /login).
      return {
        allowed: false,
        status: 401,
        code: facts.basicAuth === 'off' ? 'ERR_UNAUTHENTICATED' : 'ERR_INVALID_CREDENTIALS',
        challenge: withBasic(BEARER_CHALLENGE),
      };
    case 'cookie':
      return {
        allowed: false,
        status: 401,
        code: 'ERR_UNAUTHENTICATED',
        challenge: withBasic(BEARER_CHALLENGE),
        clearCookie: true,
      };
    case 'none':
      return { allowed: false, status: 401, code: 'ERR_UNAUTHENTICATED', challenge: withBasic(BEARER_CHALLENGE) };
  }
}
