import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createManualClock } from '../../src/core/shared/clock.js';
import { FormBrowser, hiddenField } from '../helpers/form-browser.js';
import { addScopes, COOKIE, startTestServer, type TestServer } from '../helpers/server.js';

// Issue #22, defect 5: removing a scope removes it, and adding one of the same name later gives it back to nobody.
const PASSWORD = 'scope removal password 1';
const clock = createManualClock(Date.now());
let server: TestServer;
let admin: string;
let alice: string;
let introspector: { id: string; secret: string };

const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

async function signIn(username: string): Promise<string> {
  const response = await server.request('/login', { form: { username, password: PASSWORD } });
  assert.equal(response.status, 200, `sign-in of ${username}`);
  return `${COOKIE}=${response.setCookie(COOKIE)}`;
}

/** What the introspection endpoint says the credential holds now. */
async function heldScopes(token: string): Promise<string | undefined> {
  const answer = await server.request('/oauth/introspect', {
    form: { token },
    headers: { authorization: basic(introspector.id, introspector.secret) },
  });
  assert.equal(answer.status, 200, answer.text);
  assert.equal(answer.json.active, true, 'the credential itself stays valid');
  return answer.json.scope;
}

before(async () => {
  server = await startTestServer({ clock });
  await addScopes(server.core, 'orders:read', 'orders:write');
  const resource = await server.core.clients.createClient({ name: 'orders-service', scopes: 'introspect' });
  introspector = { id: resource.client.id, secret: resource.secret! };
  await server.core.users.createUser({ username: 'root', password: PASSWORD, roles: ['admin'] });
  await server.core.users.createUser({ username: 'alice', password: PASSWORD });
  admin = await signIn('root');
  alice = await signIn('alice');
});
after(() => server.stop());

describe('removing a scope', { timeout: 60_000 }, () => {
  test('defect 5: a removed scope, re-added, is not given back to an API key / client / refresh token / access token', async () => {
    const both = 'orders:read orders:write';
    const key = await server.request('/api-keys', {
      cookie: alice,
      json: { name: 'ci', scopes: ['orders:read', 'orders:write'] },
    });
    assert.equal(key.status, 201, key.text);
    const userTokens = await server.request('/token', { cookie: alice, json: { scope: both } });
    assert.equal(userTokens.status, 200, userTokens.text);
    const service = await server.core.clients.createClient({ name: 'billing', scopes: both });
    const serviceToken = () =>
      server.request('/oauth/token', {
        form: { grant_type: 'client_credentials', scope: 'orders:read' },
        headers: { authorization: basic(service.client.id, service.secret!) },
      });
    const clientToken = await serviceToken();
    assert.equal(clientToken.status, 200, clientToken.text);
    assert.equal(await heldScopes(key.json.key), both);
    assert.equal(await heldScopes(userTokens.json.access_token), both);
    assert.equal(await heldScopes(clientToken.json.access_token), 'orders:read');

    clock.advance(2_000);
    const removed = await server.request('/admin/scopes/orders:read', { method: 'DELETE', cookie: admin });
    assert.equal(removed.status, 204, removed.text);
    // The stored credentials lose it at once.
    assert.deepEqual((await server.core.store.findClientById(service.client.id))?.scopes, ['orders:write']);
    const [stored] = await server.core.store.listApiKeys((await server.core.users.findUserByName('alice'))!.id);
    assert.deepEqual(stored?.scopes, ['orders:write']);
    assert.equal(await heldScopes(key.json.key), 'orders:write');

    clock.advance(2_000);
    const added = await server.request('/admin/scopes', {
      cookie: admin,
      json: { name: 'orders:read', description: 'Read orders, again' },
    });
    assert.equal(added.status, 201, added.text);

    // Nothing issued before the removal holds the new scope of the old name.
    assert.equal(await heldScopes(key.json.key), 'orders:write', 'API key');
    assert.equal(await heldScopes(userTokens.json.access_token), 'orders:write', "a user's access token");
    assert.equal(await heldScopes(clientToken.json.access_token), '', "a service client's access token");
    const refreshed = await server.request('/oauth/token', {
      form: { grant_type: 'refresh_token', refresh_token: userTokens.json.refresh_token },
    });
    assert.equal(refreshed.status, 200, refreshed.text);
    assert.equal(refreshed.json.scope, 'orders:write', 'refresh token');
    assert.equal(await heldScopes(refreshed.json.access_token), 'orders:write');
    const again = await serviceToken();
    assert.equal(again.status, 400, again.text);
    assert.equal(again.json.error, 'invalid_scope', 'the client registration');

    // Granted anew, the new scope works as any other.
    const fresh = await server.request('/token', { cookie: alice, json: { scope: 'orders:read' } });
    assert.equal(fresh.status, 200, fresh.text);
    assert.equal(await heldScopes(fresh.json.access_token), 'orders:read');
    const freshKey = await server.request('/api-keys', {
      cookie: alice,
      json: { name: 'new', scopes: ['orders:read'] },
    });
    assert.equal(freshKey.status, 201, freshKey.text);
    assert.equal(await heldScopes(freshKey.json.key), 'orders:read');
  });

  test("defect 5: a removed scope, re-added, is not given back to an app's consent, access token or refresh token", async () => {
    await server.core.scopes.create({ name: 'reports:read', description: 'Read reports' });
    const redirect = 'https://app.example/cb';
    const created = await server.core.clients.createClient({
      name: 'web',
      scopes: 'reports:read',
      redirectUris: [redirect],
    });
    const app = { id: created.client.id, secret: created.secret! };
    const browser = new FormBrowser(server.url, server.ca);
    assert.equal((await browser.get('/')).status, 200);
    assert.match((await browser.post('/ui/sign-in', { username: 'alice', password: PASSWORD })).text, /Signed in as/);
    const verifier = randomBytes(32).toString('base64url');
    const query = new URLSearchParams({
      client_id: app.id,
      redirect_uri: redirect,
      response_type: 'code',
      scope: 'openid reports:read',
      state: 'st',
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    });
    const consent = await browser.get(`/oauth/authorize?${query.toString()}`);
    assert.equal(consent.status, 200, consent.text);
    const back = await browser.post('/oauth/authorize/consent', {
      interaction: hiddenField(consent.text, 'interaction')!,
      decision: 'allow',
    });
    assert.equal(back.status, 303);
    const code = new URL(back.url).searchParams.get('code')!;
    const tokens = await server.request('/oauth/token', {
      form: { grant_type: 'authorization_code', redirect_uri: redirect, code, code_verifier: verifier },
      headers: { authorization: basic(app.id, app.secret) },
    });
    assert.equal(tokens.status, 200, tokens.text);
    assert.equal(await heldScopes(tokens.json.access_token), 'openid reports:read');
    const userId = (await server.core.users.findUserByName('alice'))!.id;

    clock.advance(2_000);
    await server.core.scopes.remove('reports:read');
    assert.deepEqual((await server.core.store.findConsent(userId, app.id))?.scopes, ['openid']);
    assert.deepEqual((await server.core.store.findClientById(app.id))?.scopes, []);
    clock.advance(2_000);
    await server.core.scopes.create({ name: 'reports:read', description: 'Read reports, again' });

    assert.equal(await heldScopes(tokens.json.access_token), 'openid', "the app's access token");
    const refreshed = await server.request('/oauth/token', {
      form: { grant_type: 'refresh_token', refresh_token: tokens.json.refresh_token },
      headers: { authorization: basic(app.id, app.secret) },
    });
    assert.equal(refreshed.status, 200, refreshed.text);
    assert.equal(refreshed.json.scope, 'openid', "the app's refresh token");
    assert.deepEqual((await server.core.store.findConsent(userId, app.id))?.scopes, ['openid'], 'the consent');
  });
});
