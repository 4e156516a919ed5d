import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isCrossSite } from '../csrf.js';
import { sendProblem } from '../problem.js';
import type { RouteContext } from '../plugin.js';
import { clearSessionCookie, readSessionCookie, setSessionCookie } from '../session-cookie.js';
import { AUTH_BODY_LIMIT, LoginBody } from '../schemas.js';
import { sessionView, userView } from '../views.js';
import { auditRequest } from '../audit.js';

/** `POST /login` and `POST /logout`. */
export function registerLoginRoutes(app: FastifyInstance, { core, cookie, guards, origins, rateLimit }: RouteContext): void {
  const routes = app.withTypeProvider<TypeBoxTypeProvider>();
  // Login CSRF: another site must not sign the browser into an account of its choosing.
  const sameSiteOnly = async (request: FastifyRequest, reply: FastifyReply) =>
    isCrossSite(request, origins) ? sendProblem(reply, 'ERR_CROSS_SITE') : undefined;

  // Form-encoded (what the seed lesson's client and HTML forms send) or JSON.
  routes.post('/login', { config: { rateLimit }, onRequest: sameSiteOnly, schema: { body: LoginBody }, bodyLimit: AUTH_BODY_LIMIT }, async (request, reply) => {
    const { token, session, user } = await core.login(request.body, {
      ip: request.ip,
      userAgent: request.headers['user-agent'] ?? null,
    });
    // Session fixation (OWASP): a session the browser already had, planted or
    // not, is never carried across a sign-in; it ends here.
    const previous = await guards.resolve(request);
    if (previous?.kind === 'session') await core.sessions.revokeSession(previous.session!.id);
    setSessionCookie(reply, token, cookie);
    reply.header('cache-control', 'no-store');
    return { user: userView(user), session: sessionView(session, session.id) };
  });

  routes.post('/logout', { onRequest: sameSiteOnly, bodyLimit: AUTH_BODY_LIMIT }, async (request, reply) => {
    const principal = await guards.resolve(request);
    if (principal?.kind === 'session') {
      await core.sessions.revokeSession(principal.session!.id);
      request.auth = principal;
      await auditRequest(core, request, { type: 'logout', userId: principal.user!.id, detail: { sessionId: principal.session!.id } });
    }
    if (readSessionCookie(request, cookie) !== undefined) clearSessionCookie(reply, cookie);
    return reply.code(204).send();
  });
}
