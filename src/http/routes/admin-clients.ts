import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { JWK } from 'jose';
import { GatehouseError } from '../../core/errors/index.js';
import { ADMIN_ROLE } from '../../core/scopes/index.js';
import { actorOf } from '../actor.js';
import type { RouteContext } from '../route-context.js';
import { AUTH_BODY_LIMIT, ClientCreateBody, IdParams } from '../schemas.js';

/**
 * `/admin/clients`: services and apps, for role `admin`; the JSON face of
 * `gatehouse client` and the admin page. A secret is in the answer that
 * makes it, once; only its hash is kept.
 */
export function registerAdminClientRoutes(app: FastifyInstance, { core, guards }: RouteContext): void {
  const routes = app.withTypeProvider<TypeBoxTypeProvider>();
  const preValidation = guards.requireRole(ADMIN_ROLE);
  const tags = ['admin'];
  const found = async (id: string) => {
    const client = await core.clients.findClient(id);
    if (!client) throw new GatehouseError('ERR_CLIENT_NOT_FOUND');
    return client;
  };

  routes.get('/admin/clients', { preValidation, schema: { tags, summary: 'Every client, by name' } }, async () => ({
    clients: await core.clients.listClients(),
  }));

  routes.post(
    '/admin/clients',
    {
      preValidation,
      schema: {
        tags,
        summary: 'Register a service or an app; a confidential client without a key pair or certificate gets a secret',
        'x-success': [201, 'The client, and its secret (null for a public client or another credential)'],
        'x-problems': ['Problem409'],
        body: ClientCreateBody,
      },
      bodyLimit: AUTH_BODY_LIMIT,
    },
    async (request, reply) => {
      const { tlsSubject, tlsCertificate, publicJwk, scopes, ...rest } = request.body;
      if (tlsSubject !== undefined && tlsCertificate !== undefined) {
        throw new GatehouseError('ERR_VALIDATION', { message: 'Give tlsSubject or tlsCertificate, not both.' });
      }
      const tls =
        tlsSubject !== undefined
          ? { subject: tlsSubject }
          : tlsCertificate !== undefined
            ? { certificate: tlsCertificate }
            : undefined;
      const created = await core.clients.createClient(
        { ...rest, scopes: scopes ?? [], publicJwk: publicJwk as JWK | undefined, tls },
        actorOf(request),
      );
      return reply.code(201).header('cache-control', 'no-store').send(created);
    },
  );

  routes.get(
    '/admin/clients/:id',
    {
      preValidation,
      schema: { tags, summary: 'One client, by id or name', 'x-problems': ['Problem404'], params: IdParams },
    },
    async (request) => found(request.params.id),
  );

  routes.post(
    '/admin/clients/:id/secret',
    {
      preValidation,
      schema: {
        tags,
        summary: 'Replace a secret client’s secret: the old one stops working at once',
        'x-success': [200, 'The client and its new secret'],
        'x-problems': ['Problem404'],
        params: IdParams,
      },
    },
    async (request, reply) =>
      reply
        .header('cache-control', 'no-store')
        .send(await core.clients.rotateClientSecret(request.params.id, actorOf(request))),
  );

  routes.delete(
    '/admin/clients/:id',
    {
      preValidation,
      schema: {
        tags,
        summary: 'Remove a client: its tokens stop verifying, its refresh tokens and consents end',
        'x-success': [204, 'Removed'],
        'x-problems': ['Problem404'],
        params: IdParams,
      },
    },
    async (request, reply) => {
      await core.clients.removeClient(request.params.id, actorOf(request));
      return reply.code(204).send();
    },
  );
}
