import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { addScopes, COOKIE, startTestServer, type TestServer } from '../helpers/server.js';

// Issue #22, defect 9: the scopes an operator gives a client registration, through the admin API and page.
const PASSWORD = 'client scopes password 1';
let server: TestServer;
let admin: string;

before(async () => {
  server = await startTestServer();
  await addScopes(server.core, 'orders:read');
  await server.core.users.createUser({ username: 'root', password: PASSWORD, roles: ['admin'] });
  const signedIn = await server.request('/login', { form: { username: 'root', password: PASSWORD } });
  assert.equal(signedIn.status, 200);
  admin = `${COOKIE}=${signedIn.setCookie(COOKIE)}`;
});
after(() => server.stop());

const HOW_TO_ADD =
  'The scope "ordres:read" does not exist; add it with: gatehouse scope add ordres:read --description "…"';

describe('client registrations and OpenID Connect scopes', { timeout: 60_000 }, () => {
  test("defect 9: the admin API registers an app with OpenID Connect's own scopes", async () => {
    const created = await server.request('/admin/clients', {
      cookie: admin,
      json: {
        name: 'oidc-app',
        redirectUris: ['https://app.example/cb'],
        scopes: ['openid', 'profile', 'email', 'offline_access', 'orders:read'],
      },
    });
    assert.equal(created.status, 201, created.text);
    assert.deepEqual(created.json.client.scopes, ['email', 'offline_access', 'openid', 'orders:read', 'profile']);
    const stored = await server.core.store.findClientById(created.json.client.id);
    assert.deepEqual(stored?.scopes, ['email', 'offline_access', 'openid', 'orders:read', 'profile']);
  });

  test('defect 9: a service client is refused openid, and an unknown scope says how to add it', async () => {
    const service = await server.request('/admin/clients', {
      cookie: admin,
      json: { name: 'svc', scopes: ['openid'] },
    });
    assert.equal(service.status, 400, service.text);
    assert.equal(service.headers['content-type'], 'application/problem+json; charset=utf-8');
    assert.equal(service.json.code, 'ERR_INVALID_SCOPE');
    assert.equal(service.json.detail, 'The scope "openid" is not available to this client.');

    const unknown = await server.request('/admin/clients', {
      cookie: admin,
      json: { name: 'typo', scopes: ['ordres:read'] },
    });
    assert.equal(unknown.status, 400, unknown.text);
    assert.equal(unknown.json.code, 'ERR_INVALID_SCOPE');
    assert.equal(unknown.json.detail, HOW_TO_ADD);
    assert.deepEqual(
      (await server.core.clients.listClients()).map((client) => client.name).filter((name) => name !== 'oidc-app'),
      [],
    );
  });

  test('defect 9: the admin page registers an app with openid, and names how to add an unknown scope', async () => {
    const form = (name: string, scopes: string) =>
      server.request('/admin/ui/clients', {
        cookie: admin,
        headers: { origin: server.url },
        form: { name, scopes, type: 'public', redirectUris: 'https://spa.example/cb' },
      });
    const created = await form('page-app', 'openid profile');
    assert.equal(created.status, 303, created.text);
    assert.equal(created.headers.location, '/admin?done=client-created');
    const app = (await server.core.clients.listClients()).find((client) => client.name === 'page-app');
    assert.deepEqual(app?.scopes, ['openid', 'profile']);

    const refused = await form('page-typo', 'openid ordres:read');
    assert.equal(refused.status, 200, 'the page again, with the error');
    assert.ok(refused.text.includes(HOW_TO_ADD.replaceAll('"', '&quot;')), refused.text);
    assert.equal(
      (await server.core.clients.listClients()).find((client) => client.name === 'page-typo'),
      undefined,
    );
  });
});
