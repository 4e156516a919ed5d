import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Session } from '../core/sessions.js';
import type { User } from '../core/users.js';
import { auditRequest } from './audit.js';
import type { RouteContext } from './plugin.js';
import { clearSessionCookie, readSessionCookie, setSessionCookie } from './session-cookie.js';

/**
 * Checks the credentials and starts a session in the cookie: what `POST
 * /login` and the sign-in page share.
 * @throws {GatehouseError} as `core.login` does.
 */
export async function signIn(
  { core, cookie, guards }: Pick<RouteContext, 'core' | 'cookie' | 'guards'>,
  request: FastifyRequest,
  reply: FastifyReply,
  credentials: { username: string; password: string },
): Promise<{ session: Session; user: User }> {
  const { token, session, user } = await core.login(credentials, { ip: request.ip, userAgent: request.headers['user-agent'] ?? null });
  // Session fixation (OWASP): a session the browser already had, planted or
  // not, is never carried across a sign-in; it ends here.
  const previous = await guards.resolve(request);
  if (previous?.kind === 'session') await core.sessions.revokeSession(previous.session!.id);
  setSessionCookie(reply, token, cookie);
  reply.header('cache-control', 'no-store');
  return { session, user };
}

/** Ends the cookie's session, if any, and tells the browser to drop the cookie: what `POST /logout` and the pages share. */
export async function signOut({ core, cookie, guards }: Pick<RouteContext, 'core' | 'cookie' | 'guards'>, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const principal = await guards.resolve(request);
  if (principal?.kind === 'session') {
    await core.sessions.revokeSession(principal.session!.id);
    request.auth = principal;
    await auditRequest(core, request, { type: 'logout', userId: principal.user!.id, detail: { sessionId: principal.session!.id } });
  }
  if (readSessionCookie(request, cookie) !== undefined) clearSessionCookie(reply, cookie);
}
