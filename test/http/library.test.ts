import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fastifySwagger from '@fastify/swagger';
import Fastify, { type FastifyInstance } from 'fastify';
import { Agent, request } from 'undici';
import { createAuthCore, type AuthCore } from '../../src/core/index.js';
import { gatehouseOpenApi } from '../../src/http/openapi.js';
import { gatehouse } from '../../src/http/plugin.js';
import { createDevelopmentCertificate } from '../../src/server/tls.js';
import { openStore } from '../../src/store/index.js';

/**
 * Gatehouse as a library: an existing Fastify service registers the plugin
 * and protects its own routes with the guards.
 */
let app: FastifyInstance;
let core: AuthCore;
let url: string;
let dispatcher: Agent;

async function call(path: string, headers: Record<string, string> = {}, method = 'GET', body?: string) {
  const response = await request(`${url}${path}`, { method: method as 'GET', headers, body, dispatcher });
  const text = await response.body.text();
  const setCookie = ([] as string[]).concat(response.headers['set-cookie'] ?? []);
  return {
    status: response.statusCode,
    headers: response.headers,
    text,
    json: text ? JSON.parse(text) : undefined,
    setCookie,
  };
}

before(async () => {
  const tls = await createDevelopmentCertificate();
  core = createAuthCore({
    store: await openStore({ url: 'sqlite::memory:' }),
    tokens: { masterKey: new Uint8Array(32).fill(9), issuer: () => url },
  });
  await core.tokens!.keys.ensureActiveKey();
  for (const name of ['orders:read', 'reports:read'])
    await core.scopes.create({ name, description: `The ${name} scope.` });
  app = Fastify({ https: tls });
  await app.register(fastifySwagger, gatehouseOpenApi({ title: 'Orders', version: '1.2.0' }));
  await app.register(gatehouse, { core, lessonRoutes: false });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get(
    '/orders',
    { onRequest: app.auth.requireScope('orders:read'), schema: { tags: ['orders'], summary: 'List orders' } },
    async (req) => ({ for: req.auth!.user?.username ?? req.auth!.clientId, via: req.auth!.credential }),
  );
  app.get('/whoami', { onRequest: app.auth.required() }, async (req) => ({ kind: req.auth!.credential }));
  app.get('/ops', { onRequest: app.auth.requireRole('ops') }, async () => ({ ok: true }));
  app.get('/public', async () => ({ ok: true }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  url = `https://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  dispatcher = new Agent({ connect: { ca: tls.cert } });
  await core.users.createUser({ username: 'olga', password: 'olga password 1', roles: ['ops'] });
  await core.users.createUser({ username: 'pete', password: 'pete password 1' });
});
after(async () => {
  await app.close();
  await dispatcher.close();
  await core.store.close();
});

async function cookieOf(username: string): Promise<string> {
  const response = await call(
    '/login',
    { 'content-type': 'application/json' },
    'POST',
    JSON.stringify({ username, password: `${username} password 1` }),
  );
  assert.equal(response.status, 200);
  // The session cookie (the device cookie comes with it: #22).
  return response.setCookie.find((line) => line.startsWith('__Host-gatehouse='))!.split(';')[0]!;
}

describe('guards in a host application', () => {
  test("the OpenAPI document describes the host's own guarded routes beside Gatehouse's", async () => {
    const response = await call('/openapi.json');
    assert.equal(response.status, 200);
    const { info, paths } = response.json;
    assert.deepEqual(info.title, 'Orders');
    assert.deepEqual(paths['/orders'].get.security, [
      { session: [] },
      { bearer: ['orders:read'] },
      { basic: ['orders:read'] },
    ]);
    assert.deepEqual(Object.keys(paths['/orders'].get.responses).sort(), ['200', '401', '403', '503']);
    assert.ok(paths['/login'].post);
    // Untagged routes stay out of the document.
    assert.equal(paths['/whoami'], undefined);
  });

  test('misuse is caught when the route is built', () => {
    assert.throws(() => app.auth.requireScope(), /at least one scope/);
    assert.throws(() => app.auth.requireScope('bad scope"'), TypeError);
  });

  test('a session holds every scope its user may hold; roles decide requireRole', async () => {
    const olga = await cookieOf('olga');
    assert.deepEqual((await call('/orders', { cookie: olga })).json, { for: 'olga', via: 'session' });
    assert.equal((await call('/ops', { cookie: olga })).status, 200);
    const pete = await cookieOf('pete');
    const forbidden = await call('/ops', { cookie: pete });
    assert.equal(forbidden.status, 403);
    assert.equal(forbidden.json.code, 'ERR_FORBIDDEN');
    assert.equal((await call('/public')).status, 200);
    const anonymous = await call('/whoami');
    assert.equal(anonymous.status, 401);
    assert.equal(
      anonymous.headers['www-authenticate'],
      'Bearer realm="gatehouse", Basic realm="gatehouse", charset="UTF-8"',
    );
  });

  test('scoped access token: 403 insufficient_scope with the scope needed, then 200 with it', async () => {
    const olga = await cookieOf('olga');
    const narrow = (
      await call('/token', { cookie: olga, 'content-type': 'application/json' }, 'POST', '{"scope":"reports:read"}')
    ).json.access_token;
    const denied = await call('/orders', { authorization: `Bearer ${narrow}` });
    assert.equal(denied.status, 403);
    assert.equal(
      denied.headers['www-authenticate'],
      'Bearer realm="gatehouse", error="insufficient_scope", scope="orders:read"',
    );
    assert.equal(denied.json.code, 'ERR_INSUFFICIENT_SCOPE');
    const wide = (
      await call(
        '/token',
        { cookie: olga, 'content-type': 'application/json' },
        'POST',
        '{"scope":"orders:read reports:read"}',
      )
    ).json.access_token;
    assert.deepEqual((await call('/orders', { authorization: `Bearer ${wide}` })).json, {
      for: 'olga',
      via: 'user_token',
    });
  });

  test('a service client token carries its scopes and no user or role', async () => {
    const { client, secret } = await core.clients.createClient({ name: 'reporting', scopes: 'orders:read' });
    const body = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: client.id,
      client_secret: secret!,
    }).toString();
    const token = (await call('/oauth/token', { 'content-type': 'application/x-www-form-urlencoded' }, 'POST', body))
      .json.access_token;
    assert.deepEqual((await call('/orders', { authorization: `Bearer ${token}` })).json, {
      for: client.id,
      via: 'client_token',
    });
    assert.equal((await call('/ops', { authorization: `Bearer ${token}` })).status, 403);
    assert.equal(
      (await call('/session', { authorization: `Bearer ${token}` })).status,
      403,
      'account routes need a session',
    );
  });

  test('host routes keep the host’s own error handling; Gatehouse’s parsers stay inside the plugin', async () => {
    const response = await call('/public', { 'content-type': 'text/plain' }, 'POST', 'hello');
    assert.equal(response.status, 404, 'Fastify’s own 404 for the host app');
    assert.notEqual(response.headers['content-type'], 'application/problem+json; charset=utf-8');
  });
});
