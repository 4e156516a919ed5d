import type { FastifyRequest } from 'fastify';
import type { BasicAuthMode } from '../core/sign-in/index.js';
import type { AuthCore } from '../core/index.js';
import type { Session } from '../core/sessions/index.js';
import type { User } from '../core/users/index.js';
import type { AuthGuards } from './guards.js';
import type { RateLimits } from './rate-limit.js';
import type { SessionCookieOptions } from './session-cookie.js';

/** The prefix of forward auth's identity headers unless configured (`X-Auth-User`, …). */
export const DEFAULT_FORWARD_AUTH_HEADER_PREFIX = 'X-Auth-';

/** Options of the forward-auth route. */
export interface ForwardAuthOptions {
  /** Prefix of the identity headers. Default {@link DEFAULT_FORWARD_AUTH_HEADER_PREFIX}. */
  headerPrefix?: string;
  /**
   * Gatehouse's public URL: where a browser without a session is sent
   * (`302`, with `return_to`) when the proxy asks with `?rd=URL`. Without
   * it, such a browser gets `401` like any client.
   */
  signInUrl?: string;
}

/** What every route and page module receives from the plugin. */
export interface RouteContext {
  core: AuthCore;
  cookie: SessionCookieOptions;
  guards: AuthGuards;
  origins: readonly string[] | undefined;
  /** The request-rate ceilings; routes name theirs with `config: { rateLimit: BY_ADDRESS | BY_CLIENT }`. */
  rateLimits: RateLimits;
  /** Who may use HTTP Basic. */
  basicAuth: BasicAuthMode;
  /** Whether the server asks for client certificates (RFC 8705). */
  clientCertificates: boolean;
  /** Forward auth's identity header prefix and sign-in URL. */
  forwardAuth: ForwardAuthOptions;
  /** Whether this deployment is an OpenID Provider: tokens and the pages (the sign-in and consent forms). */
  openIdProvider: boolean;
}

/**
 * The user and session of a request that passed `requireSession()`.
 * @throws {Error} when used on a route without that guard (a programming error).
 */
export function signedIn(request: FastifyRequest): { user: User; session: Session } {
  const principal = request.auth;
  if (!principal?.user || !principal.session) throw new Error('signedIn() used on a route without requireSession()');
  return { user: principal.user, session: principal.session };
}
