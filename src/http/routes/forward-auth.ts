import type { FastifyInstance, HTTPMethods } from 'fastify';
import type { Principal } from '../../core/principals/index.js';
import { protectedSiteReturn } from '../../core/sign-in/index.js';
import { securityOf } from '../openapi.js';
import { DEFAULT_FORWARD_AUTH_HEADER_PREFIX, type ForwardAuthOptions, type RouteContext } from '../route-context.js';

export type { ForwardAuthOptions };

/**
 * A name as a header value: every UTF-8 byte outside RFC 3986's unreserved
 * set (letters, digits, `-._~`) percent-encoded, `%` included, so that one
 * value names one user (`zoë` is `zo%C3%AB`, the name `zo%C3%AB` is
 * `zo%25C3%25AB`); upstreams decode it with `decodeURIComponent`.
 */
export function encodeIdentity(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** What the upstream learns about the caller: names and ids, never a credential. */
function identity(principal: Principal, prefix: string): Record<string, string> {
  const headers: Record<string, string> = {
    [`${prefix}user`]: encodeIdentity(principal.user?.username ?? principal.clientId ?? ''),
    [`${prefix}subject`]: principal.user?.id ?? principal.clientId ?? '',
    [`${prefix}roles`]: principal.roles.join(','),
    [`${prefix}kind`]: principal.credential,
    // What the credential holds now (for a person: every scope they may hold), so an upstream checks one header for every kind.
    [`${prefix}scopes`]: principal.scopes.join(' '),
  };
  return headers;
}

const METHODS: HTTPMethods[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/**
 * Forward auth for reverse proxies (nginx `auth_request`, Traefik
 * `forwardAuth`, Caddy `forward_auth`): `/auth/verify`, any method, answers
 * 200 with identity headers when the request carries a valid session cookie,
 * access token, API key or Basic credentials, and 401 otherwise. The proxy
 * sends the original request's headers; with `X-Original-Method` (or
 * Traefik's `X-Forwarded-Method`) the core's decision is made for the
 * original method, so a cookie- or Basic-authenticated state change from
 * another site is refused (403) here exactly as the guards refuse it.
 */
export function registerForwardAuthRoutes(
  app: FastifyInstance,
  { guards, origins, basicAuth, forwardAuth: options }: RouteContext,
): void {
  const prefix = (options.headerPrefix ?? DEFAULT_FORWARD_AUTH_HEADER_PREFIX).toLowerCase();
  app.route({
    method: METHODS,
    url: '/auth/verify',
    schema: {
      tags: ['proxy'],
      summary: 'Forward auth: 200 with identity headers, or 401 (or 302 to sign in)',
      // Forward auth accepts what `required()` accepts (it answers with that guard).
      security: securityOf({ credentials: 'any' }, basicAuth),
      'x-problems': ['Problem401', 'Problem403', 'Problem503'],
    },
    handler: async (request, reply) => {
      // A browser without a credential may be sent to sign in instead of a 401.
      const resolved = await guards.resolve(request).catch(() => null);
      const back =
        resolved === null ? protectedSiteReturn(request.query as Record<string, unknown> | undefined, origins) : null;
      if (back && options.signInUrl && String(request.headers.accept ?? '').includes('text/html')) {
        return reply
          .code(302)
          .header('location', `${options.signInUrl.replace(/\/$/, '')}/?return_to=${encodeURIComponent(back)}`)
          .send();
      }
      const original = request.headers['x-original-method'] ?? request.headers['x-forwarded-method'];
      const method = typeof original === 'string' ? original.toUpperCase() : request.method;
      // The same decision as every guard's, for the original request's method; it answers 401/403/503 itself.
      const principal = await guards.check(request, reply, { credentials: 'any' }, { method });
      if (!principal) return reply;
      return reply.code(200).headers(identity(principal, prefix)).send();
    },
  });
}
