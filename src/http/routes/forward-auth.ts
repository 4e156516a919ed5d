import type { FastifyInstance, HTTPMethods } from 'fastify';
import type { Principal } from '../../core/principals.js';
import { isCrossSite, isUnsafeMethod } from '../csrf.js';
import type { RouteContext } from '../plugin.js';
import { sendProblem } from '../problem.js';

/** The identity headers `/auth/verify` answers with, for the proxy to pass upstream. */
export const IDENTITY_HEADERS = {
  user: 'x-auth-user',
  subject: 'x-auth-subject',
  roles: 'x-auth-roles',
  scopes: 'x-auth-scopes',
  kind: 'x-auth-kind',
} as const;

// Header values are ASCII; a user name with other characters is percent-encoded (RFC 3986), never dropped or mangled.
const ASCII_PRINTABLE = /^[\x20-\x7e]*$/;
const headerValue = (text: string) => (ASCII_PRINTABLE.test(text) ? text : encodeURIComponent(text));

/** What the upstream learns about the caller: names and ids, never a credential. */
function identity(principal: Principal): Record<string, string> {
  const headers: Record<string, string> = {
    [IDENTITY_HEADERS.user]: headerValue(principal.user?.username ?? principal.clientId ?? ''),
    [IDENTITY_HEADERS.subject]: principal.user?.id ?? principal.clientId ?? '',
    [IDENTITY_HEADERS.roles]: principal.roles.join(','),
    [IDENTITY_HEADERS.kind]: principal.kind,
  };
  // A session is not limited by scope: no header rather than a made-up "all".
  if (principal.scopes !== null) headers[IDENTITY_HEADERS.scopes] = principal.scopes.join(' ');
  return headers;
}

const METHODS: HTTPMethods[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/**
 * Forward auth for reverse proxies (nginx `auth_request`, Traefik
 * `forwardAuth`, Caddy `forward_auth`): `/auth/verify`, any method, answers
 * 200 with identity headers when the request carries a valid session cookie,
 * access token or API key, and 401 otherwise. The proxy sends the original
 * request's headers; with `X-Original-Method` (or Traefik's
 * `X-Forwarded-Method`) a cookie-authenticated state change from another
 * site is refused (403) here too.
 */
export function registerForwardAuthRoutes(app: FastifyInstance, { guards, origins }: RouteContext): void {
  app.route({
    method: METHODS,
    url: '/auth/verify',
    preValidation: guards.required(),
    handler: async (request, reply) => {
      const principal = request.auth!;
      const original = request.headers['x-original-method'] ?? request.headers['x-forwarded-method'];
      const method = typeof original === 'string' ? original.toUpperCase() : request.method;
      if (principal.kind === 'session' && isUnsafeMethod(method) && isCrossSite(request, origins)) return sendProblem(reply, 'ERR_CROSS_SITE');
      return reply.code(200).headers(identity(principal)).send();
    },
  });
}
