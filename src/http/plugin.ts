import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { AuthCore } from '../core/index.js';
import type { Session } from '../core/sessions.js';
import type { User } from '../core/users.js';
import { handleError } from './error-handler.js';
import { sendProblem } from './problem.js';
import { registerAdminUserRoutes } from './routes/admin-users.js';
import { registerLessonRoutes } from './routes/lesson.js';
import { registerLoginRoutes } from './routes/login.js';
import { registerMeRoutes } from './routes/me.js';
import { clearSessionCookie, readSessionCookie, type SessionCookieOptions } from './session-cookie.js';

/** Who a request is from, once a guard has let it through. */
export interface RequestAuth {
  user: User;
  session: Session;
}

/**
 * A route hook that lets a request through or answers it with 401/403.
 * Use it as `onRequest` or `preValidation` so that an unauthenticated caller
 * learns nothing, not even whether its body would have been valid.
 */
export type AuthGuard = (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined>;

/** The guards Gatehouse adds to a Fastify app as `app.auth`. */
export interface AuthGuards {
  /** A guard that answers 401 unless the request is signed in. */
  required(): AuthGuard;
  /** A guard that answers 401 when not signed in, 403 without the role. */
  requireRole(role: string): AuthGuard;
  /** The signed-in identity of a request, or `null`; resolved once per request. */
  resolve(request: FastifyRequest): Promise<RequestAuth | null>;
}

declare module 'fastify' {
  interface FastifyInstance {
    auth: AuthGuards;
  }
  interface FastifyRequest {
    /** Set by the guards: the signed-in user and session. */
    auth: RequestAuth | null;
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
  /** Path prefix for Gatehouse's routes. Default none. */
  prefix?: string;
}

const RESOLVED = Symbol('gatehouse.resolved');

/**
 * The Gatehouse Fastify plugin: sign-in, sign-out, session and admin routes,
 * and guards for the app's own routes.
 *
 * @example
 * await app.register(gatehouse, { core });
 * app.get('/orders', { onRequest: app.auth.required() }, async (request) => listOrders(request.auth!.user.id));
 */
export const gatehouse = fp<GatehousePluginOptions>(
  async (app, options) => {
    const { core } = options;
    const cookie: SessionCookieOptions = {
      name: options.cookie?.name ?? '__Host-gatehouse',
      sameSite: options.cookie?.sameSite ?? 'lax',
      maxAgeSeconds: options.cookie?.maxAgeSeconds ?? core.policy.absoluteTimeoutSeconds,
    };
    if (!app.hasPlugin('@fastify/cookie')) await app.register(fastifyCookie);
    app.decorateRequest('auth', null);

    async function resolve(request: FastifyRequest): Promise<RequestAuth | null> {
      const cached = (request as unknown as Record<symbol, Promise<RequestAuth | null>>)[RESOLVED];
      if (cached) return cached;
      const token = readSessionCookie(request, cookie);
      const result = token === undefined ? Promise.resolve(null) : core.sessions.validateSessionToken(token);
      (request as unknown as Record<symbol, Promise<RequestAuth | null>>)[RESOLVED] = result;
      return result;
    }

    async function authenticate(request: FastifyRequest, reply: FastifyReply): Promise<RequestAuth | null> {
      const auth = await resolve(request);
      if (!auth) {
        // A cookie that no longer names a session is useless: tell the browser to drop it.
        if (readSessionCookie(request, cookie) !== undefined) clearSessionCookie(reply, cookie);
        sendProblem(reply, 'ERR_UNAUTHENTICATED');
        return null;
      }
      request.auth = auth;
      return auth;
    }

    const guards: AuthGuards = {
      resolve,
      required: () =>
        async function requireSession(request, reply) {
          // Returning the reply after sending tells Fastify to stop here.
          if (!(await authenticate(request, reply))) return reply;
          return undefined;
        },
      requireRole: (role) =>
        async function requireRole(request, reply) {
          const auth = await authenticate(request, reply);
          if (!auth) return reply;
          if (!auth.user.roles.includes(role)) return sendProblem(reply, 'ERR_FORBIDDEN');
          return undefined;
        },
    };
    app.decorate('auth', guards);

    // Gatehouse's own routes live in a child context: their body parsers and
    // error handler do not leak into the host application.
    await app.register(
      async (routes) => {
        // Bodies are JSON or form-encoded, nothing else: a text/plain body would
        // only reach the schema as a string and blur a 415 into a 400.
        routes.removeContentTypeParser('text/plain');
        await routes.register(fastifyFormbody);
        routes.setErrorHandler(handleError);
        const context = { core, cookie, guards };
        registerLoginRoutes(routes, context);
        registerMeRoutes(routes, context);
        registerAdminUserRoutes(routes, context);
        if (options.lessonRoutes ?? true) registerLessonRoutes(routes, context);
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
}

export type { FastifyInstance };
