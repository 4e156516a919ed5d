import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { GatehouseError } from '../core/errors.js';
import { addressKey } from '../core/throttle.js';
import type { AuthCore, BasicAuthMode } from '../core/index.js';
import type { Principal } from '../core/principals.js';
import type { Session } from '../core/sessions.js';
import type { User } from '../core/users.js';
import { useStrictBodyParsers } from './body-parsers.js';
import { handleError } from './error-handler.js';
import { createGuards, type AuthGuards } from './guards.js';
import { registerAdminAuditRoutes } from './routes/admin-audit.js';
import { registerAdminScopeRoutes } from './routes/admin-scopes.js';
import { registerAdminUserRoutes } from './routes/admin-users.js';
import { registerApiKeyRoutes } from './routes/api-keys.js';
import { registerForwardAuthRoutes, type ForwardAuthOptions } from './routes/forward-auth.js';
import { registerLessonRoutes } from './routes/lesson.js';
import { registerAdminPageRoutes } from './pages/admin-routes.js';
import { registerPageRoutes } from './pages/routes.js';
import { registerLoginRoutes } from './routes/login.js';
import { registerMeRoutes } from './routes/me.js';
import { registerOAuthRoutes } from './routes/oauth.js';
import { registerTwoFactorRoutes } from './routes/two-factor.js';
import { registerUserTokenRoutes } from './routes/user-tokens.js';
import { registerWellKnownRoutes } from './routes/well-known.js';
import type { SessionCookieOptions } from './session-cookie.js';

export type { AuthGuard, AuthGuards } from './guards.js';

declare module 'fastify' {
  interface FastifyInstance {
    auth: AuthGuards;
  }
  interface FastifyRequest {
    /** Set by the guards: who the request acts for. */
    auth: Principal | null;
  }
}

/** Options of {@link gatehouse}. */
export interface GatehousePluginOptions {
  /** The core to authenticate against. Required. */
  core: AuthCore;
  /** Session cookie settings; `maxAgeSeconds` defaults to the absolute session timeout. */
  cookie?: Partial<SessionCookieOptions>;
  /** Serve the seed lesson's `GET /get-info`. Default true. */
  lessonRoutes?: boolean;
  /** Serve the web pages (`GET /`, sign-in form, account page). Default false: a library user has their own. */
  pages?: boolean;
  /** Forward auth (`/auth/verify`): identity header prefix and where browsers sign in. */
  forwardAuth?: ForwardAuthOptions;
  /** Path prefix for Gatehouse's routes. Default none. */
  prefix?: string;
  /**
   * Origins (`https://host[:port]`) whose pages may make cookie-authenticated
   * state changes and sign in. Default: the origin each request was addressed to.
   */
  origins?: string[];
  /**
   * Who may send `Authorization: Basic` on every request: service clients
   * (`client_id:client_secret`), users (`username:password`, throttled like
   * sign-in), both, or nobody. Default `clients`.
   */
  basicAuth?: BasicAuthMode;
  /**
   * Whether the server asks for client certificates (RFC 8705): then the
   * metadata advertises `tls_client_auth`, `self_signed_tls_client_auth` and
   * certificate-bound tokens. Default false.
   */
  clientCertificates?: boolean;
  /** Requests per minute per IP address to `/login`, `/token` and `/oauth/*`. Default 300. */
  rateLimitPerMinute?: number;
  /** The request-rate limit counts IPv6 clients by this prefix length. Default 64. */
  ipv6PrefixLength?: number;
}

/**
 * The Gatehouse Fastify plugin: sign-in, sessions, tokens, API keys and admin
 * routes, and guards for the app's own routes.
 *
 * @example
 * await app.register(gatehouse, { core });
 * app.get('/orders', { onRequest: app.auth.requireScope('orders:read') }, async (request) => listOrders(request.auth!));
 */
export const gatehouse = fp<GatehousePluginOptions>(
  async (app, options) => {
    const { core } = options;
    const cookie: SessionCookieOptions = {
      name: options.cookie?.name ?? '__Host-gatehouse',
      sameSite: options.cookie?.sameSite ?? 'lax',
      maxAgeSeconds: options.cookie?.maxAgeSeconds ?? core.policy.absoluteTimeoutSeconds,
    };
    app.decorateRequest('auth', null);
    const origins = options.origins?.map((origin) => origin.toLowerCase());
    const guards = createGuards(core, cookie, origins, options.basicAuth ?? 'clients');
    app.decorate('auth', guards);

    // Gatehouse's own routes live in a child context: their body parsers and
    // error handler do not leak into the host application.
    await app.register(
      async (routes) => {
        // Bodies are JSON or form-encoded, strictly decoded, nothing else.
        useStrictBodyParsers(routes);
        routes.setErrorHandler(handleError);
        // A request-rate ceiling per IP on the endpoints that take secrets, under the per-account throttle.
        await routes.register(fastifyRateLimit, {
          global: false,
          // No counters in ordinary answers: every failed sign-in must look the same.
          addHeadersOnExceeding: {
            'x-ratelimit-limit': false,
            'x-ratelimit-remaining': false,
            'x-ratelimit-reset': false,
          },
          addHeaders: {
            'x-ratelimit-limit': false,
            'x-ratelimit-remaining': false,
            'x-ratelimit-reset': false,
            'retry-after': true,
          },
          // One key per IPv4 address or IPv6 network (a /64 by default): a client cannot rotate through its own addresses.
          keyGenerator: (request) => addressKey(request.ip, options.ipv6PrefixLength),
          errorResponseBuilder: (_request, context) =>
            new GatehouseError('ERR_THROTTLED', { details: { retryAfterSeconds: Math.ceil(context.ttl / 1000) } }),
        });
        const rateLimit = { max: options.rateLimitPerMinute ?? 300, timeWindow: 60_000 };
        const context = {
          core,
          cookie,
          guards,
          origins,
          rateLimit,
          basicAuth: options.basicAuth ?? 'clients',
          clientCertificates: options.clientCertificates ?? false,
        };
        registerLoginRoutes(routes, context);
        registerMeRoutes(routes, context);
        registerApiKeyRoutes(routes, context);
        registerTwoFactorRoutes(routes, context);
        registerAdminUserRoutes(routes, context);
        registerAdminAuditRoutes(routes, context);
        registerAdminScopeRoutes(routes, context);
        if (core.tokens) {
          registerWellKnownRoutes(routes, context);
          registerUserTokenRoutes(routes, context);
          await routes.register(async (oauth) => registerOAuthRoutes(oauth, context));
        }
        registerForwardAuthRoutes(routes, context, options.forwardAuth);
        if (options.lessonRoutes ?? true) registerLessonRoutes(routes, context);
        if (options.pages === true) {
          registerPageRoutes(routes, context);
          registerAdminPageRoutes(routes, context);
        }
      },
      { prefix: options.prefix ?? '' },
    );
  },
  { name: 'gatehouse', fastify: '5.x' },
);

/** What each route module receives. */
export interface RouteContext {
  core: AuthCore;
  cookie: SessionCookieOptions;
  guards: AuthGuards;
  origins: readonly string[] | undefined;
  /** Route config for @fastify/rate-limit on the endpoints that take secrets. */
  rateLimit: { max: number; timeWindow: number };
  /** Who may use HTTP Basic. */
  basicAuth: BasicAuthMode;
  /** Whether the server asks for client certificates (RFC 8705). */
  clientCertificates: boolean;
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

export type { FastifyInstance };
