import type { FastifyReply, FastifyRequest } from 'fastify';
import { isGatehouseError } from '../core/errors.js';
import type { AuthCore, BasicAuthMode } from '../core/index.js';
import type { Principal } from '../core/principals.js';
import { hasScopes, parseScopes } from '../core/scopes.js';
import { presentedCertificate } from './client-certificate.js';
import { readCredential } from './credentials.js';
import { isCrossSite, isUnsafeMethod } from './csrf.js';
import { sendProblem, WWW_AUTHENTICATE } from './problem.js';
import { clearSessionCookie, type SessionCookieOptions } from './session-cookie.js';

/**
 * A route hook that lets a request through or answers it with 401/403.
 * Use it as `onRequest` or `preValidation` so that an unauthenticated caller
 * learns nothing, not even whether its body would have been valid.
 */
export type AuthGuard = (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined>;

/** The guards Gatehouse adds to a Fastify app as `app.auth`. */
export interface AuthGuards {
  /** Any valid credential: session cookie, access token or API key. Else 401. */
  required(): AuthGuard;
  /** A session cookie only (account management: password, API keys, tokens). Else 401. */
  requireSession(): AuthGuard;
  /** Any valid credential whose user has the role. 401, or 403. */
  requireRole(role: string): AuthGuard;
  /** Any valid credential granted every one of the scopes (a session is not scope-limited). 401, or 403 `insufficient_scope`. */
  requireScope(...scopes: string[]): AuthGuard;
  /** The principal of a request, or `null`; resolved once per request, without answering. */
  resolve(request: FastifyRequest): Promise<Principal | null>;
}

/** What a guard asks of a request: read by the OpenAPI document, never at request time. */
export interface GuardRequirement {
  /** `session`: the session cookie only; `any`: cookie, access token or API key. */
  credentials: 'any' | 'session';
  role?: string;
  scopes?: string[];
}

const REQUIREMENT = Symbol('gatehouse.requirement');

function describeGuard(guard: AuthGuard, requirement: GuardRequirement): AuthGuard {
  Object.defineProperty(guard, REQUIREMENT, { value: requirement });
  return guard;
}

/** The requirement of a Gatehouse guard, or `undefined` for any other hook. */
export function guardRequirement(hook: unknown): GuardRequirement | undefined {
  return typeof hook === 'function' ? (hook as { [REQUIREMENT]?: GuardRequirement })[REQUIREMENT] : undefined;
}

const RESOLVED = Symbol('gatehouse.principal');
type Resolvable = FastifyRequest & { [RESOLVED]?: Promise<Principal | null> };

/** The challenge of a 401 when HTTP Basic is accepted too (RFC 7617 §2.1: the charset is UTF-8). */
export const BASIC_CHALLENGE = 'Basic realm="gatehouse", charset="UTF-8"';

/**
 * Builds the guards over a core, the cookie settings, the deployment's
 * origins (for CSRF checks) and who may use HTTP Basic (default `clients`).
 */
export function createGuards(
  core: AuthCore,
  cookie: SessionCookieOptions,
  origins?: readonly string[],
  basicAuth: BasicAuthMode = 'clients',
): AuthGuards {
  // Every 401 names each scheme that would be accepted (RFC 9110 §11.6.1).
  const withBasic = (bearer: string) => (basicAuth === 'off' ? bearer : `${bearer}, ${BASIC_CHALLENGE}`);
  function resolve(request: FastifyRequest): Promise<Principal | null> {
    const target = request as Resolvable;
    target[RESOLVED] ??= (async () => {
      const credential = readCredential(request, cookie);
      if (credential.kind === 'cookie') return core.principals.fromSessionToken(credential.token);
      if (credential.kind === 'bearer')
        return core.principals.fromBearer(credential.token, {
          certificateThumbprint: () => presentedCertificate(request)?.thumbprint,
        });
      if (credential.kind === 'basic') {
        return core.basicAuth.authenticate(basicAuth, credential.username, credential.password, {
          ip: request.ip,
          userAgent: request.headers['user-agent'] ?? null,
        });
      }
      return null;
    })();
    return target[RESOLVED];
  }

  async function authenticate(
    request: FastifyRequest,
    reply: FastifyReply,
    sessionOnly = false,
  ): Promise<Principal | null> {
    let principal: Principal | null;
    try {
      principal = await resolve(request);
    } catch (error) {
      // Answer here, whatever error handler the host application has: a
      // database outage is a 503 with Retry-After, never a 500.
      // Basic credentials of a user are throttled and hashed like a sign-in.
      if (isGatehouseError(error, 'ERR_THROTTLED') || isGatehouseError(error, 'ERR_BUSY')) {
        const retryAfterSeconds = Number(error.details?.retryAfterSeconds ?? 1);
        sendProblem(reply, error.code, undefined, { retryAfterSeconds });
        return null;
      }
      if (!isGatehouseError(error, 'ERR_UNAVAILABLE')) throw error;
      sendProblem(reply, 'ERR_UNAVAILABLE', error.message);
      return null;
    }
    if (principal && (!sessionOnly || principal.kind === 'session')) {
      // CSRF: a cookie is sent by the browser whoever made the page; a state
      // change on its strength must come from the deployment's own pages.
      // Browsers resend Basic credentials by themselves too.
      if (
        (principal.kind === 'session' || principal.kind === 'basic') &&
        isUnsafeMethod(request.method) &&
        isCrossSite(request, origins)
      ) {
        sendProblem(reply, 'ERR_CROSS_SITE');
        return null;
      }
      request.auth = principal;
      return principal;
    }
    const credential = readCredential(request, cookie);
    if (credential.kind === 'cookie' && !principal) {
      // A cookie that no longer names a session is useless: tell the browser to drop it.
      clearSessionCookie(reply, cookie);
    }
    if (credential.kind === 'bearer' || credential.kind === 'malformed') {
      // RFC 6750 §3.1: a credential was presented and is not acceptable here.
      sendProblem(reply, 'ERR_INVALID_TOKEN', undefined, {
        challenge: withBasic(`${WWW_AUTHENTICATE}, error="invalid_token"`),
      });
    } else if (credential.kind === 'basic' && basicAuth !== 'off') {
      // The same answer for an unknown name and a wrong password (as POST /login).
      sendProblem(reply, 'ERR_INVALID_CREDENTIALS', undefined, { challenge: withBasic(WWW_AUTHENTICATE) });
    } else {
      sendProblem(reply, 'ERR_UNAUTHENTICATED', undefined, { challenge: withBasic(WWW_AUTHENTICATE) });
    }
    return null;
  }

  return {
    resolve,
    required: () =>
      describeGuard(
        async function requireCredential(request, reply) {
          // Returning the reply after sending tells Fastify to stop here.
          return (await authenticate(request, reply)) ? undefined : reply;
        },
        { credentials: 'any' },
      ),
    requireSession: () =>
      describeGuard(
        async function requireSession(request, reply) {
          return (await authenticate(request, reply, true)) ? undefined : reply;
        },
        { credentials: 'session' },
      ),
    requireRole: (role) =>
      describeGuard(
        async function requireRole(request, reply) {
          const principal = await authenticate(request, reply);
          if (!principal) return reply;
          return principal.roles.includes(role) ? undefined : sendProblem(reply, 'ERR_FORBIDDEN');
        },
        { credentials: 'any', role },
      ),
    requireScope: (...scopes) => {
      // Misuse fails when the route is built, not at request time.
      if (scopes.length === 0) throw new TypeError('requireScope() needs at least one scope');
      const needed = parseScopes(scopes).join(' ');
      return describeGuard(
        async function requireScope(request, reply) {
          const principal = await authenticate(request, reply);
          if (!principal) return reply;
          if (hasScopes(principal.scopes, scopes)) return undefined;
          // RFC 6750 §3.1: say which scope is needed.
          return sendProblem(reply, 'ERR_INSUFFICIENT_SCOPE', undefined, {
            challenge: `${WWW_AUTHENTICATE}, error="insufficient_scope", scope="${needed}"`,
          });
        },
        { credentials: 'any', scopes: needed.split(' ') },
      );
    },
  };
}
