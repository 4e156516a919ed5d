import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  authorize,
  defineRequirement,
  isCrossSite,
  type Decision,
  type Refusal,
  type Requirement,
} from '../core/authorization/index.js';
import { DEFAULT_BASIC_AUTH_MODE, type BasicAuthMode } from '../core/sign-in/index.js';
import type { AuthCore } from '../core/index.js';
import type { Principal } from '../core/principals/index.js';
import { presentedCertificate } from './client-certificate.js';
import { readCredential } from './credentials.js';
import { sendProblemAnswer } from './problem.js';
import { clearSessionCookie, type SessionCookieOptions } from './session-cookie.js';
import { refusalAnswer, resolveFailureAnswer } from '../wire/index.js';

/**
 * A route hook that lets a request through or answers it with 401/403.
 * Use it as `onRequest` or `preValidation` so that an unauthenticated caller
 * learns nothing, not even whether its body would have been valid.
 */
export type AuthGuard = (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined>;

/** The guards Gatehouse adds to a Fastify app as `app.auth`. */
export interface AuthGuards {
  /** Any valid credential: session cookie, access token, API key or Basic. Else 401. */
  required(): AuthGuard;
  /** A session cookie only (account management: password, API keys, tokens). 401, or 403 `ERR_SESSION_REQUIRED`. */
  requireSession(): AuthGuard;
  /** A user with the role; a delegated credential (API key, token) also needs the scope of that name. 401, or 403. */
  requireRole(role: string): AuthGuard;
  /** A credential holding every one of the scopes (a session: scopes its user may hold). 401, or 403 `insufficient_scope`. */
  requireScope(...scopes: string[]): AuthGuard;
  /** A guard for any {@link Requirement}. */
  require(requirement: Requirement): AuthGuard;
  /** The principal of a request, or `null`; resolved once per request, without answering. */
  resolve(request: FastifyRequest): Promise<Principal | null>;
  /**
   * Asks the core's decision for this request and answers a refusal (or a
   * throttled, busy or unavailable credential check) on `reply`. Returns the
   * principal when the request may go on, else `null` (the reply is sent).
   */
  check(
    request: FastifyRequest,
    reply: FastifyReply,
    requirement: Requirement,
    options?: CheckOptions,
  ): Promise<Principal | null>;
  /**
   * The principal of a request and the core's decision on it, without
   * answering (for a page that shows a refusal as HTML).
   * @throws {GatehouseError} as {@link AuthGuards.resolve}'s credential check does.
   */
  decide(
    request: FastifyRequest,
    requirement: Requirement,
    options?: { method?: string },
  ): Promise<{ principal: Principal | null; decision: Decision }>;
}

/** Options of {@link AuthGuards.check}. */
export interface CheckOptions {
  /** The method the decision is made for (forward auth: the original request's). Default the request's. */
  method?: string;
  /**
   * A page's own answer to a refusal (HTML instead of problem+json): it maps
   * the decision, and decides nothing. Returns `undefined` to leave the
   * refusal to the default problem+json answer.
   */
  answerRefusal?: (refusal: Refusal, principal: Principal | null) => FastifyReply | undefined;
}

/** What a guard asks of a request: read by the OpenAPI document, never at request time. */
export type GuardRequirement = Readonly<Requirement>;

const REQUIREMENT = Symbol('gatehouse.requirement');

/** The requirement of a Gatehouse guard, or `undefined` for any other hook. */
export function guardRequirement(hook: unknown): GuardRequirement | undefined {
  return typeof hook === 'function' ? (hook as { [REQUIREMENT]?: GuardRequirement })[REQUIREMENT] : undefined;
}

const RESOLVED = Symbol('gatehouse.principal');
type Resolvable = FastifyRequest & { [RESOLVED]?: Promise<Principal | null> };

/** Answers a refusal of {@link authorize}: status, code, challenge, and a dead cookie cleared. */
export function sendRefusal(reply: FastifyReply, refusal: Refusal, cookie: SessionCookieOptions): FastifyReply {
  if (refusal.clearCookie) clearSessionCookie(reply, cookie);
  return sendProblemAnswer(reply, refusalAnswer(refusal));
}

/**
 * Builds the guards over a core, the cookie settings, the deployment's
 * origins (for CSRF checks) and who may use HTTP Basic (default `clients`).
 * Every guard asks the core's {@link authorize} and only translates its answer.
 */
export function createGuards(
  core: AuthCore,
  cookie: SessionCookieOptions,
  origins?: readonly string[],
  basicAuth: BasicAuthMode = DEFAULT_BASIC_AUTH_MODE,
): AuthGuards {
  function resolve(request: FastifyRequest): Promise<Principal | null> {
    const target = request as Resolvable;
    target[RESOLVED] ??= core.principals.resolve(readCredential(request, cookie), {
      basicAuth,
      connection: { certificateThumbprint: () => presentedCertificate(request)?.thumbprint },
      origin: { ip: request.ip, userAgent: request.headers['user-agent'] ?? null },
    });
    return target[RESOLVED];
  }

  async function decide(
    request: FastifyRequest,
    requirement: Requirement,
    options: { method?: string } = {},
  ): Promise<{ principal: Principal | null; decision: Decision }> {
    const principal = await resolve(request);
    const decision = authorize(principal, requirement, {
      method: options.method ?? request.method,
      crossSite: isCrossSite(request, origins),
      presented: readCredential(request, cookie).kind,
      basicAuth,
    });
    return { principal, decision };
  }

  async function check(
    request: FastifyRequest,
    reply: FastifyReply,
    requirement: Requirement,
    options: CheckOptions = {},
  ): Promise<Principal | null> {
    let decided: { principal: Principal | null; decision: Decision };
    try {
      decided = await decide(request, requirement, options);
    } catch (error) {
      // Answer here, whatever error handler the host application has: a
      // database outage is a 503 with Retry-After, never a 500; a user's
      // Basic password is throttled and hashed like a sign-in.
      const answer = resolveFailureAnswer(error);
      if (answer === null) throw error;
      sendProblemAnswer(reply, answer);
      return null;
    }
    const { principal, decision } = decided;
    if (!decision.allowed) {
      if (options.answerRefusal?.(decision, principal) === undefined) sendRefusal(reply, decision, cookie);
      return null;
    }
    request.auth = principal;
    return principal;
  }

  function guard(requirement: Requirement): AuthGuard {
    const defined = defineRequirement(requirement);
    const hook: AuthGuard = async function gatehouseGuard(request, reply) {
      // Returning the reply after sending tells Fastify to stop here.
      return (await check(request, reply, defined)) ? undefined : reply;
    };
    Object.defineProperty(hook, REQUIREMENT, { value: defined });
    return hook;
  }

  return {
    resolve,
    decide,
    check,
    require: guard,
    required: () => guard({ credentials: 'any' }),
    requireSession: () => guard({ credentials: 'session' }),
    requireRole: (role) => guard({ credentials: 'any', role }),
    // Misuse (no scope, a malformed one) fails here, when the route is built.
    requireScope: (...scopes) => guard({ credentials: 'any', scopes }),
  };
}
