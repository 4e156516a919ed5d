import type { FastifyRequest } from 'fastify';
import type { AccountActor } from '../core/accounts/index.js';
import type { Actor } from '../core/audit/index.js';
import type { SessionOrigin } from '../core/sessions/index.js';

/** Where a request came from, for sessions, throttling and audit events. */
export function originOf(request: FastifyRequest): SessionOrigin {
  return { ip: request.ip, userAgent: request.headers['user-agent'] ?? null };
}

/**
 * Who a guarded request acts for, and from where: what core operations
 * record in their audit events.
 * @throws {Error} on a route without a guard (a programming error).
 */
export function actorOf(request: FastifyRequest): Actor {
  const principal = request.auth;
  const origin = originOf(request);
  if (principal?.user) return { id: principal.user.id, kind: 'user', ...origin };
  if (principal?.clientId) return { id: principal.clientId, kind: 'client', ...origin };
  throw new Error('actorOf() used on a route without a guard');
}

/**
 * The signed-in user changing their own account, for the core's account
 * operations.
 * @throws {Error} on a route without `requireSession()` (a programming error).
 */
export function accountActorOf(request: FastifyRequest): AccountActor {
  const principal = request.auth;
  if (!principal?.user || !principal.session)
    throw new Error('accountActorOf() used on a route without requireSession()');
  return { user: principal.user, sessionId: principal.session.id, origin: originOf(request) };
}
