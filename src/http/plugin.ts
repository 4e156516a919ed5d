import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { DEFAULT_BASIC_AUTH_MODE, type LimiterFactory } from '../core/sign-in/index.js';
import type { AuthCore, BasicAuthMode } from '../core/index.js';
import type { Principal } from '../core/principals/index.js';
import { useStrictBodyParsers } from './body-parsers.js';
import { handleError } from './error-handler.js';
import { createGuards, type AuthGuards } from './guards.js';
import { registerAdminPageRoutes } from './pages/admin-routes.js';
import { registerAuthorizeRoutes } from './oauth/authorize.js';
import { registerPasskeyPageRoutes } from './pages/passkey-routes.js';
import { registerPageRoutes } from './pages/routes.js';
import { registerTwoFactorPageRoutes } from './pages/two-factor-routes.js';
import { createRateLimits, useRateLimits } from './rate-limit.js';
import type { RouteContext } from './route-context.js';
import { registerAdminAuditRoutes } from './routes/admin-audit.js';
import { registerAdminClientRoutes } from './routes/admin-clients.js';
import { registerAdminConsentRoutes } from './routes/admin-consents.js';
import { registerAdminScopeRoutes } from './routes/admin-scopes.js';
import { registerAdminUserRoutes } from './routes/admin-users.js';
import { registerApiKeyRoutes } from './routes/api-keys.js';
import { registerForwardAuthRoutes, type ForwardAuthOptions } from './routes/forward-auth.js';
import { registerLessonRoutes } from './routes/lesson.js';
import { registerLoginRoutes } from './routes/login.js';
import { registerMeRoutes } from './routes/me.js';
import { registerOAuthRoutes } from './oauth/token.js';
import { registerPasskeyRoutes } from './routes/passkeys.js';
import { registerTwoFactorRoutes } from './routes/two-factor.js';
import { registerUserInfoRoutes } from './routes/userinfo.js';
import { registerUserTokenRoutes } from './routes/user-tokens.js';
import { registerWellKnownRoutes } from './routes/well-known.js';
import { SESSION_COOKIE_NAME, type SessionCookieOptions } from './session-cookie.js';

export type { AuthGuard, AuthGuards } from './guards.js';
export type { RouteContext } from './route-context.js';
export { signedIn } from './route-context.js';

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
  /**
   * Unauthenticated requests per minute per IP address to `/login`, `/token`
   * and `/oauth/*` (sign-ins, bad or missing client credentials). Default 300.
   */
  rateLimitPerMinute?: number;
  /** Requests per minute per authenticated client to `/oauth/*`, instead of its address's. Default 6000. */
  clientRateLimitPerMinute?: number;
  /** The request-rate limit counts IPv6 clients by this prefix length. Default 64. */
  ipv6PrefixLength?: number;
  /** Request-rate counters shared by every instance (store/limiters.ts) and the deployment's key prefix. Default: this process's memory. */
  sharedCounters?: { limiters: LimiterFactory; keyPrefix: string };
}

/** A module of routes: how to register it, and when it applies. */
interface RouteModule {
  register(app: FastifyInstance, context: RouteContext): void | Promise<void>;
  when?(options: GatehousePluginOptions, core: AuthCore): boolean;
}

const hasTokens = (_options: GatehousePluginOptions, core: AuthCore) => core.tokens !== null;
const hasPages = (options: GatehousePluginOptions) => options.pages === true;
// The authorization endpoint sends browsers to the sign-in page and shows the consent page: it needs both.
const isOpenIdProvider = (options: GatehousePluginOptions, core: AuthCore) => hasPages(options) && core.openId !== null;

/** Every route and page module of the plugin, in the order they are registered: the one list. */
const ROUTE_MODULES: readonly RouteModule[] = [
  { register: registerLoginRoutes },
  { register: registerMeRoutes },
  { register: registerApiKeyRoutes },
  { register: registerTwoFactorRoutes, when: (_options, core) => core.twoFactor !== null },
  { register: registerPasskeyRoutes, when: (_options, core) => core.passkeys !== null },
  { register: registerAdminUserRoutes },
  { register: registerAdminAuditRoutes },
  { register: registerAdminScopeRoutes },
  { register: registerAdminClientRoutes },
  { register: registerAdminConsentRoutes },
  { register: registerWellKnownRoutes, when: hasTokens },
  { register: registerUserTokenRoutes, when: hasTokens },
  // In a context of its own: the OAuth endpoints answer errors as RFC 6749 JSON and take form bodies only.
  {
    register: async (app, context) => app.register(async (oauth) => registerOAuthRoutes(oauth, context)),
    when: hasTokens,
  },
  { register: registerForwardAuthRoutes },
  { register: registerLessonRoutes, when: (options) => options.lessonRoutes ?? true },
  { register: registerPageRoutes, when: hasPages },
  { register: registerTwoFactorPageRoutes, when: (options, core) => hasPages(options) && core.twoFactor !== null },
  { register: registerPasskeyPageRoutes, when: (options, core) => hasPages(options) && core.passkeys !== null },
  { register: registerAdminPageRoutes, when: hasPages },
  { register: registerAuthorizeRoutes, when: isOpenIdProvider },
  { register: registerUserInfoRoutes, when: isOpenIdProvider },
];

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
      name: options.cookie?.name ?? SESSION_COOKIE_NAME,
      sameSite: options.cookie?.sameSite ?? 'lax',
      maxAgeSeconds: options.cookie?.maxAgeSeconds ?? core.policy.absoluteTimeoutSeconds,
    };
    app.decorateRequest('auth', null);
    const origins = options.origins?.map((origin) => origin.toLowerCase());
    const basicAuth = options.basicAuth ?? DEFAULT_BASIC_AUTH_MODE;
    const guards = createGuards(core, cookie, origins, basicAuth);
    app.decorate('auth', guards);

    // Gatehouse's own routes live in a child context: their body parsers and
    // error handler do not leak into the host application.
    await app.register(
      async (routes) => {
        // Bodies are JSON or form-encoded, strictly decoded, nothing else.
        useStrictBodyParsers(routes);
        routes.setErrorHandler(handleError);
        // A request-rate ceiling on the endpoints that take secrets, under the per-account throttle:
        // per address for unauthenticated requests, per client for authenticated ones.
        const rateLimits = createRateLimits({
          addressPerMinute: options.rateLimitPerMinute,
          clientPerMinute: options.clientRateLimitPerMinute,
          ipv6PrefixLength: options.ipv6PrefixLength,
          limiters: options.sharedCounters?.limiters,
          keyPrefix: options.sharedCounters?.keyPrefix,
        });
        useRateLimits(routes, rateLimits);
        const context: RouteContext = {
          core,
          cookie,
          guards,
          origins,
          rateLimits,
          basicAuth,
          clientCertificates: options.clientCertificates ?? false,
          forwardAuth: options.forwardAuth ?? {},
          openIdProvider: isOpenIdProvider(options, core),
        };
        for (const module of ROUTE_MODULES) {
          if (module.when?.(options, core) ?? true) await module.register(routes, context);
        }
      },
      { prefix: options.prefix ?? '' },
    );
  },
  { name: 'gatehouse', fastify: '5.x' },
);

export type { FastifyInstance };
