import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import express from 'express';
import { Agent, request } from 'undici';
import { createExpressAuth } from '../../src/express/index.js';
import { addScopes, COOKIE, startTestServer, type TestServer } from '../helpers/server.js';

// An Express 5 service protecting its own routes with gatehouse/express, over the same core.
let gatehouse: TestServer;
let service: Server;
let base = '';
let dispatcher: Agent;
const PASSWORD = 'express adapter password 1';

before(async () => {
  gatehouse = await startTestServer();
  await addScopes(gatehouse.core, 'orders:read', 'orders:write');
  await gatehouse.core.users.createUser({ username: 'erin', password: PASSWORD, roles: ['ops'] });
  const auth = createExpressAuth(gatehouse.core);
  const app = express();
  app.get(
    '/me',
    auth.required(),
    (req, res) => void res.json({ user: req.auth!.user?.username ?? null, kind: req.auth!.credential }),
  );
  app.get('/orders', auth.requireScope('orders:read'), (_req, res) => void res.json({ orders: [] }));
  app.post('/profile', auth.requireSession(), (_req, res) => void res.status(204).end());
  app.get('/ops', auth.requireRole('ops'), (_req, res) => void res.json({ ok: true }));
  app.get('/admin', auth.requireRole('admin'), (_req, res) => void res.json({ ok: true }));
  const tls = {
    cert: readFileSync(join(gatehouse.data, 'tls', 'cert.pem')),
    key: readFileSync(join(gatehouse.data, 'tls', 'key.pem')),
  };
  service = createServer(tls, app);
  await new Promise<void>((resolve) => service.listen(0, '127.0.0.1', resolve));
  base = `https://127.0.0.1:${(service.address() as { port: number }).port}`;
  dispatcher = new Agent({ connect: { ca: gatehouse.ca } });
});
after(async () => {
  service?.close();
  await dispatcher?.close();
  await gatehouse?.stop();
});

async function call(path: string, headers: Record<string, string> = {}, method = 'GET') {
  const response = await request(`${base}${path}`, { method: method as 'GET', headers, dispatcher });
  const text = await response.body.text();
  return { status: response.statusCode, headers: response.headers, json: text ? JSON.parse(text) : undefined };
}

test('Express guards answer as the Fastify plugin does: 401 problem+json with a challenge, then every credential kind', async () => {
  const none = await call('/me');
  assert.equal(none.status, 401);
  assert.equal(none.headers['content-type'], 'application/problem+json; charset=utf-8');
  // Basic for service clients is accepted by default, as on the server: the challenge names it.
  assert.equal(none.headers['www-authenticate'], 'Bearer realm="gatehouse", Basic realm="gatehouse", charset="UTF-8"');
  assert.equal(none.json.code, 'ERR_UNAUTHENTICATED');
  const bad = await call('/me', { authorization: 'Bearer not-a-token' });
  assert.deepEqual(
    [bad.status, bad.headers['www-authenticate'], bad.json.code],
    [
      401,
      'Bearer realm="gatehouse", error="invalid_token", Basic realm="gatehouse", charset="UTF-8"',
      'ERR_INVALID_TOKEN',
    ],
  );
  assert.equal((await call('/me', { cookie: `${COOKIE}=${'x'.repeat(43)}` })).status, 401);

  const login = await gatehouse.request('/login', { form: { username: 'erin', password: PASSWORD } });
  const cookie = `${COOKIE}=${login.setCookie(COOKIE)}`;
  assert.deepEqual((await call('/me', { cookie })).json, { user: 'erin', kind: 'session' });
  const key = (await gatehouse.request('/api-keys', { cookie, json: { name: 'express', scopes: 'orders:read' } })).json
    .key as string;
  assert.deepEqual((await call('/me', { authorization: `Bearer ${key}` })).json, { user: 'erin', kind: 'api_key' });
  const token = (await gatehouse.request('/token', { method: 'POST', cookie, json: { scope: 'orders:write' } })).json
    .access_token as string;
  assert.deepEqual((await call('/me', { authorization: `Bearer ${token}` })).json, {
    user: 'erin',
    kind: 'user_token',
  });
  // A service client's id and secret (HTTP Basic), as the Fastify guards accept them.
  const probe = await gatehouse.core.clients.createClient({ name: 'probe', scopes: 'orders:read' });
  const clientBasic = `Basic ${Buffer.from(`${probe.client.id}:${probe.secret}`).toString('base64')}`;
  assert.deepEqual((await call('/me', { authorization: clientBasic })).json, { user: null, kind: 'basic_client' });
  assert.equal((await call('/orders', { authorization: clientBasic })).status, 200);

  // Scopes and roles.
  assert.equal((await call('/orders', { authorization: `Bearer ${key}` })).status, 200);
  const short = await call('/orders', { authorization: `Bearer ${token}` });
  assert.deepEqual(
    [short.status, short.json.code, short.headers['www-authenticate']],
    [403, 'ERR_INSUFFICIENT_SCOPE', 'Bearer realm="gatehouse", error="insufficient_scope", scope="orders:read"'],
  );
  assert.equal((await call('/orders', { cookie })).status, 200, 'a session holds every scope its user may hold');
  assert.equal((await call('/ops', { cookie })).status, 200);
  assert.deepEqual(
    [(await call('/admin', { cookie })).status, (await call('/admin', { cookie })).json.code],
    [403, 'ERR_FORBIDDEN'],
  );

  // Session only, and CSRF on cookie-authenticated state changes.
  const keyed = await call('/profile', { authorization: `Bearer ${key}` }, 'POST');
  assert.deepEqual([keyed.status, keyed.json.code], [403, 'ERR_SESSION_REQUIRED']);
  assert.equal(
    (await call('/profile', { cookie, origin: 'https://evil.example' }, 'POST')).json.code,
    'ERR_CROSS_SITE',
  );
  assert.equal((await call('/profile', { cookie, origin: base }, 'POST')).status, 204);

  // Revocation through Gatehouse is seen by the service at once.
  await gatehouse.request('/logout', { method: 'POST', cookie });
  assert.equal((await call('/me', { cookie })).status, 401);
});
