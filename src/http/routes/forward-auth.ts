import type { FastifyInstance, HTTPMethods } from 'fastify';
import type { Principal } from '../../core/principals.js';
import { isCrossSite, isUnsafeMethod } from '../csrf.js';
import { securityOf } from '../openapi.js';
import type { RouteContext } from '../plugin.js';
import { sendProblem } from '../problem.js';

/** Options of the forward-auth route. */
export interface ForwardAuthOptions {
  /** Prefix of the identity headers. Default `X-Auth-` (`X-Auth-User`, …). */
  headerPrefix?: string;
  /**
   * Gatehouse's public URL: where a browser without a session is sent
   * (`302`, with `return_to`) when the proxy asks with `?rd=URL`. Without
   * it, such a browser gets `401` like any client.
   */
  signInUrl?: string;
}

// Header values are ASCII; a user name with other characters is percent-encoded (RFC 3986), never dropped or mangled.
const ASCII_PRINTABLE = /^[\x20-\x7e]*$/;
const headerValue = (text: string) => (ASCII_PRINTABLE.test(text) ? text : encodeURIComponent(text));

/** What the upstream learns about the caller: names and ids, never a credential. */
function identity(principal: Principal, prefix: string): Record<string, string> {
  const headers: Record<string, string> = {
    [`${prefix}user`]: headerValue(principal.user?.username ?? principal.clientId ?? ''),
    [`${prefix}subject`]: principal.user?.id ?? principal.clientId ?? '',
    [`${prefix}roles`]: principal.roles.join(','),
    [`${prefix}kind`]: principal.kind,
  };
  // A session is not limited by scope: no header rather than a made-up "all".
  if (principal.scopes !== null) headers[`${prefix}scopes`] = principal.scopes.join(' ');
  return headers;
}

/**
 * The `rd` (return) URL of a forward-auth request, when it is safe to send a
 * browser back to: an https URL on one of the deployment's configured origins
 * (never an open redirect).
 */
export function returnTo(query: unknown, origins: readonly string[] | undefined): string | null {
  const rd =
    (query as Record<string, unknown> | undefined)?.rd ?? (query as Record<string, unknown> | undefined)?.return_to;
  if (typeof rd !== 'string' || rd.length > 2048 || !origins || origins.length === 0) return null;
  let url: URL;
  try {
    url = new URL(rd);
  } catch {
    return null;
  }
  return url.protocol === 'https:' && url.username === '' && url.password === '' && origins.includes(url.origin)
    ? url.href
    : null;
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
export function registerForwardAuthRoutes(
  app: FastifyInstance,
  { guards, origins, basicAuth }: RouteContext,
  options: ForwardAuthOptions = {},
): void {
  const prefix = (options.headerPrefix ?? 'X-Auth-').toLowerCase();
  const required = guards.required();
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
      // The guard answers 401 (or 503) itself; a browser may be sent to sign in instead.
      const principal = await guards.resolve(request).catch(() => null);
      if (!principal) {
        const back = returnTo(request.query, origins);
        if (back && options.signInUrl && String(request.headers.accept ?? '').includes('text/html')) {
          return reply
            .code(302)
            .header('location', `${options.signInUrl.replace(/\/$/, '')}/?return_to=${encodeURIComponent(back)}`)
            .send();
        }
        return required(request, reply);
      }
      request.auth = principal;
      const original = request.headers['x-original-method'] ?? request.headers['x-forwarded-method'];
      const method = typeof original === 'string' ? original.toUpperCase() : request.method;
      if (principal.kind === 'session' && isUnsafeMethod(method) && isCrossSite(request, origins))
        return sendProblem(reply, 'ERR_CROSS_SITE');
      return reply.code(200).headers(identity(principal, prefix)).send();
    },
  });
}
