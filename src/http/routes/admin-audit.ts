import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { GatehouseError } from '../../core/errors/index.js';
import { ADMIN_ROLE } from '../../core/scopes/index.js';
import type { RouteContext } from '../route-context.js';
import { AuditQuery } from '../schemas.js';

/** `GET /admin/audit?user=&type=&since=&limit=`: the audit log, newest first, for role `admin`. */
export function registerAdminAuditRoutes(app: FastifyInstance, { core, guards }: RouteContext): void {
  const routes = app.withTypeProvider<TypeBoxTypeProvider>();
  routes.get(
    '/admin/audit',
    {
      preValidation: guards.requireRole(ADMIN_ROLE),
      schema: { tags: ['admin'], summary: 'The audit log, newest first', querystring: AuditQuery },
    },
    async (request) => {
      const { user, type, since, limit } = request.query;
      const sinceMs = since === undefined ? undefined : Date.parse(since);
      if (sinceMs !== undefined && Number.isNaN(sinceMs))
        throw new GatehouseError('ERR_VALIDATION', { message: 'since must be an ISO 8601 time' });
      let userId: string | undefined;
      if (user !== undefined) {
        // A name or an id; an unknown one simply matches nothing.
        userId = (await core.users.findUserByName(user))?.id ?? user;
      }
      const events = await core.audit.list({
        userId,
        type,
        since: sinceMs,
        limit: limit === undefined ? undefined : Number(limit),
      });
      return { events: events.map((event) => ({ ...event, at: new Date(event.at).toISOString() })) };
    },
  );
}
