import type { FastifyRequest } from 'fastify';
import type { AuditEventInput } from '../core/audit.js';
import type { AuthCore } from '../core/index.js';

/** Records an audit event with the request's actor, address and user agent. */
export function auditRequest(
  core: AuthCore,
  request: FastifyRequest,
  event: Omit<AuditEventInput, 'actor' | 'ip' | 'userAgent'>,
): Promise<void> {
  const principal = request.auth;
  return core.audit.record({
    ...event,
    actor: principal?.user?.id ?? principal?.clientId ?? null,
    ip: request.ip,
    userAgent: request.headers['user-agent'] ?? null,
  });
}
