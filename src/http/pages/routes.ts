import type { FastifyInstance, FastifyReply } from 'fastify';
import { isGatehouseError } from '../../core/errors.js';
import { sameSiteOnly } from '../csrf.js';
import { signedIn, type RouteContext } from '../plugin.js';
import { AUTH_BODY_LIMIT, IdParams } from '../schemas.js';
import { signIn, signOut } from '../sign-in.js';
import { FAVICON_SVG, PAGE_CSP, STYLESHEET } from './assets.js';
import { accountPage, signInPage } from './views.js';

/** The one answer to every failed sign-in, as on `POST /login`: it never says which part was wrong. */
const WRONG = 'Invalid username or password.';

function sendPage(reply: FastifyReply, status: number, page: string): FastifyReply {
  return (
    reply
      .code(status)
      .header('content-security-policy', PAGE_CSP)
      // Not no-referrer here: with it, browsers send `Origin: null` on form
      // posts, which the CSRF check must refuse. same-origin still sends no
      // referrer to any other site.
      .header('referrer-policy', 'same-origin')
      .type('text/html; charset=utf-8')
      .send(page)
  );
}

/** Goes back to the page after a form post (303: the browser follows with GET). */
function backHome(reply: FastifyReply): FastifyReply {
  return reply.code(303).header('location', '/').send();
}

/**
 * The web pages: `GET /` (the sign-in form, or the account page when signed
 * in) and the form posts behind them. Plain HTML forms, no script; every
 * post is same-origin only (the guards' CSRF check, or `sameSiteOnly` for
 * sign-in and sign-out).
 */
export function registerPageRoutes(app: FastifyInstance, context: RouteContext): void {
  const { core, guards, origins, rateLimit } = context;
  const sameSite = sameSiteOnly(origins);

  app.get('/', async (request, reply) => {
    const principal = await guards.resolve(request);
    if (principal?.kind !== 'session') return sendPage(reply, 200, signInPage());
    const sessions = await core.sessions.listSessions({ userId: principal.user!.id });
    return sendPage(reply, 200, accountPage(principal.user!, sessions, principal.session!.id));
  });

  app.post('/ui/sign-in', { config: { rateLimit }, onRequest: sameSite, bodyLimit: AUTH_BODY_LIMIT }, async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const username = typeof body.username === 'string' ? body.username : '';
    const password = typeof body.password === 'string' ? body.password : '';
    try {
      await signIn(context, request, reply, { username, password });
      return backHome(reply);
    } catch (error) {
      if (isGatehouseError(error, 'ERR_THROTTLED') || isGatehouseError(error, 'ERR_BUSY')) {
        const seconds = Math.max(1, Math.ceil(Number(error.details?.retryAfterSeconds ?? 1)));
        const wait = error.code === 'ERR_BUSY' ? 'Too many sign-ins right now' : 'Too many attempts';
        reply.header('retry-after', String(seconds));
        return sendPage(reply, error.code === 'ERR_BUSY' ? 503 : 429, signInPage({ error: `${wait}; try again in ${seconds} second${seconds === 1 ? '' : 's'}.`, username }));
      }
      if (isGatehouseError(error, 'ERR_INVALID_CREDENTIALS') || isGatehouseError(error, 'ERR_VALIDATION')) {
        // 200, as sign-in pages do (Keycloak, Ory): the form is shown again; a
        // 401 here would only add an error to the browser's console.
        return sendPage(reply, 200, signInPage({ error: WRONG, username }));
      }
      throw error;
    }
  });

  app.post('/ui/sign-out', { onRequest: sameSite, bodyLimit: AUTH_BODY_LIMIT }, async (request, reply) => {
    await signOut(context, request, reply);
    return backHome(reply);
  });

  const session = { preValidation: guards.requireSession(), bodyLimit: AUTH_BODY_LIMIT };
  app.post('/ui/sessions/:id/revoke', { ...session, schema: { params: IdParams } }, async (request, reply) => {
    const { user } = signedIn(request);
    // Only the user's own sessions: another id revokes nothing.
    await core.sessions.revokeSession((request.params as { id: string }).id, { ownerId: user.id });
    return backHome(reply);
  });
  app.post('/ui/sessions/revoke-others', session, async (request, reply) => {
    const { user, session: current } = signedIn(request);
    await core.sessions.revokeUserSessions(user.id, { keepSessionId: current.id });
    return backHome(reply);
  });

  // Cacheable: they hold nothing about anyone.
  app.get('/assets/app.css', async (_request, reply) => reply.header('cache-control', 'public, max-age=3600').type('text/css; charset=utf-8').send(STYLESHEET));
  app.get('/favicon.svg', async (_request, reply) => reply.header('cache-control', 'public, max-age=86400').type('image/svg+xml').send(FAVICON_SVG));
  app.get('/favicon.ico', async (_request, reply) => reply.code(301).header('location', '/favicon.svg').send());
}
