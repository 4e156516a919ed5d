import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { addScopes, COOKIE, startTestServer, type TestServer } from '../helpers/server.js';

// POST/GET/DELETE /admin/clients: the JSON face of `gatehouse client`.
const PASSWORD = 'admin password 1';
let server: TestServer;
let admin: string;
let plain: string;

async function signIn(username: string): Promise<string> {
  const response = await server.request('/login', { form: { username, password: PASSWORD } });
  assert.equal(response.status, 200, `sign-in of ${username}`);
  return `${COOKIE}=${response.setCookie(COOKIE)}`;
}

before(async () => {
  server = await startTestServer();
  await addScopes(server.core, 'orders:read');
  await server.core.users.createUser({ username: 'root', password: PASSWORD, roles: ['admin'] });
  await server.core.users.createUser({ username: 'carol', password: PASSWORD });
  admin = await signIn('root');
  plain = await signIn('carol');
});
after(() => server.stop());

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

test('401 without credentials and 403 without role admin on every client route', async () => {
  const routes: [string, string][] = [
    ['GET', '/admin/clients'],
    ['POST', '/admin/clients'],
    ['GET', '/admin/clients/x'],
    ['POST', '/admin/clients/x/secret'],
    ['DELETE', '/admin/clients/x'],
  ];
  for (const [method, path] of routes) {
    assert.equal((await server.request(path, { method })).status, 401, `${method} ${path}`);
    const forbidden = await server.request(path, { method, cookie: plain, json: method === 'POST' ? {} : undefined });
    assert.equal(forbidden.status, 403, `${method} ${path}`);
  }
  assert.equal((await server.core.clients.listClients()).length, 0);
});

test('a service: created with a secret shown once, which works, rotates and is removed', async () => {
  const created = await server.request('/admin/clients', {
    cookie: admin,
    json: { name: 'billing', scopes: ['orders:read'] },
  });
  assert.equal(created.status, 201);
  assert.equal(created.headers['cache-control'], 'no-store');
  assert.equal(created.json.client.type, 'confidential');
  assert.deepEqual(created.json.client.grantTypes, ['client_credentials']);
  assert.equal(typeof created.json.secret, 'string');
  assert.ok(!JSON.stringify(created.json.client).includes(created.json.secret));
  const id = created.json.client.id;
  const token = () =>
    server.request('/oauth/token', {
      headers: { authorization: basic(id, secret) },
      form: { grant_type: 'client_credentials', scope: 'orders:read' },
    });
  let secret = created.json.secret;
  assert.equal((await token()).status, 200);

  const listed = await server.request('/admin/clients', { cookie: admin });
  assert.deepEqual(
    listed.json.clients.map((client: { name: string }) => client.name),
    ['billing'],
  );
  assert.ok(!listed.text.includes(secret));
  assert.equal((await server.request('/admin/clients/billing', { cookie: admin })).json.id, id);

  const rotated = await server.request(`/admin/clients/${id}/secret`, { method: 'POST', cookie: admin });
  assert.equal(rotated.status, 200);
  const old = secret;
  secret = rotated.json.secret;
  assert.notEqual(secret, old);
  assert.equal((await token()).status, 200);
  secret = old;
  assert.equal((await token()).status, 401);

  assert.equal((await server.request(`/admin/clients/${id}`, { method: 'DELETE', cookie: admin })).status, 204);
  assert.equal((await server.request(`/admin/clients/${id}`, { cookie: admin })).status, 404);
  assert.equal((await server.request(`/admin/clients/${id}`, { method: 'DELETE', cookie: admin })).status, 404);
  const types = (await server.core.audit.list({})).map((event: { type: string }) => event.type);
  for (const type of ['client.create', 'client.rotate_secret', 'client.remove']) assert.ok(types.includes(type), type);
});

test('an app: public, redirect URIs, first-party; no secret, none to rotate; discovery of its algorithm', async () => {
  const created = await server.request('/admin/clients', {
    cookie: admin,
    json: {
      name: 'spa',
      type: 'public',
      redirectUris: ['https://spa.example/cb', 'http://127.0.0.1/cb'],
      postLogoutRedirectUris: ['https://spa.example/'],
      firstParty: true,
      idTokenAlg: 'ES256',
    },
  });
  assert.equal(created.status, 201, created.text);
  assert.equal(created.json.secret, null);
  assert.deepEqual(created.json.client.grantTypes, ['authorization_code', 'refresh_token']);
  assert.deepEqual(created.json.client.authMethods, ['none']);
  assert.equal(created.json.client.firstParty, true);
  assert.equal(created.json.client.idTokenAlg, 'ES256');
  const rotate = await server.request(`/admin/clients/${created.json.client.id}/secret`, {
    method: 'POST',
    cookie: admin,
  });
  assert.equal(rotate.status, 400);
  assert.equal(rotate.headers['content-type'], 'application/problem+json; charset=utf-8');
});

test('bad registrations are 400 or 409 problems, and nothing is stored', async () => {
  const before = (await server.core.clients.listClients()).length;
  const bad: [unknown, number][] = [
    [{ name: 'x', type: 'public', redirectUris: ['https://evil.example/*'] }, 400],
    [{ name: 'x', type: 'public', redirectUris: ['https://a.example/cb#frag'] }, 400],
    [{ name: 'x', type: 'public', redirectUris: ['http://a.example/cb'] }, 400],
    [{ name: 'x', type: 'public' }, 400],
    [{ name: 'x', type: 'public', grantTypes: ['client_credentials'] }, 400],
    [{ name: 'x', type: 'secretive' }, 400],
    [{ name: 'x', grantTypes: ['implicit'], redirectUris: ['https://a.example/cb'] }, 400],
    [{ name: 'x', grantTypes: ['password'] }, 400],
    [{ name: 'x', redirectUris: ['https://a.example/cb'], idTokenAlg: 'none' }, 400],
    [{ name: 'x', redirectUris: ['https://a.example/cb'], idTokenAlg: 'HS256' }, 400],
    [{ name: 'x', scopes: ['payroll:admin'] }, 400],
    [{ name: 'x', tlsSubject: 'CN=x', tlsCertificate: 'pem' }, 400],
    [{ name: 'x', unknown: true }, 400],
    [{ name: '' }, 400],
    [{ name: 'spa' }, 409],
  ];
  for (const [json, status] of bad) {
    const answer = await server.request('/admin/clients', { cookie: admin, json });
    assert.equal(answer.status, status, `${JSON.stringify(json)}: ${answer.text}`);
    assert.equal(answer.headers['content-type'], 'application/problem+json; charset=utf-8');
  }
  assert.equal((await server.core.clients.listClients()).length, before);
});
