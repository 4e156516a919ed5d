import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import SQLite from 'better-sqlite3';
import { createManualClock } from '../../src/core/shared/clock.js';
import { addScopes, COOKIE, startTestServer, type TestServer } from '../helpers/server.js';

const clock = createManualClock(Date.now());
let server: TestServer;
let cookie: string;

before(async () => {
  server = await startTestServer({ clock });
  await addScopes(server.core, 'deploy:write');
  await server.core.users.createUser({ username: 'ci-bot-owner', password: 'owner password 1', roles: ['admin'] });
  const login = await server.request('/login', { form: { username: 'ci-bot-owner', password: 'owner password 1' } });
  cookie = `${COOKIE}=${login.setCookie(COOKIE)}`;
});
after(() => server.stop());

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

describe('personal API keys', () => {
  test('created once with a recognisable prefix, stored hashed, listed without the key', async () => {
    const created = await server.request('/api-keys', {
      cookie,
      json: { name: 'CI deploy', scopes: 'deploy:write', expiresInSeconds: 3600 },
    });
    assert.equal(created.status, 201);
    assert.equal(created.headers['cache-control'], 'no-store');
    assert.match(created.json.key, /^gh_[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(created.json.scopes, ['deploy:write']);
    assert.equal(created.json.expiresAt, new Date(clock.now() + 3600_000).toISOString());
    const list = await server.request('/api-keys', { cookie });
    assert.equal(list.json.apiKeys.length, 1);
    assert.equal(list.json.apiKeys[0].key, undefined);
    assert.ok(!list.text.includes(created.json.key.slice(3)));
    const db = new SQLite(join(server.data, 'gatehouse.db'), { readonly: true });
    const stored = JSON.stringify(db.prepare('select * from api_keys').all());
    db.close();
    assert.ok(!stored.includes(created.json.key.slice(3)), 'only a hash is stored');
  });

  test('a key authenticates as its owner, limited to the scopes it carries; last use is recorded', async () => {
    const { key, id } = (await server.request('/api-keys', { cookie, json: { name: 'script' } })).json;
    const info = await server.request('/get-info', { headers: bearer(key) });
    assert.equal(info.status, 200);
    const listed = (await server.request('/api-keys', { cookie })).json.apiKeys.find(
      (item: { id: string }) => item.id === id,
    );
    assert.equal(listed.lastUsedAt, new Date(clock.now()).toISOString());
    // An admin's key without scopes holds none: the owner's role alone does not open the admin routes (#14, finding 1).
    const refused = await server.request('/admin/users', { headers: bearer(key) });
    assert.equal(refused.status, 403);
    assert.equal(refused.json.code, 'ERR_INSUFFICIENT_SCOPE');
    assert.equal(
      refused.headers['www-authenticate'],
      'Bearer realm="gatehouse", error="insufficient_scope", scope="admin"',
    );
    const admin = (await server.request('/api-keys', { cookie, json: { name: 'admin script', scopes: 'admin' } })).json;
    assert.equal(
      (await server.request('/admin/users', { headers: bearer(admin.key) })).status,
      200,
      'with the admin scope',
    );
  });

  test('a key cannot manage the account: no new keys, no password change, no tokens, no session list', async () => {
    const { key } = (await server.request('/api-keys', { cookie, json: { name: 'limited', scopes: 'admin' } })).json;
    const escalate = await server.request('/api-keys', { headers: bearer(key), json: { name: 'escalate' } });
    assert.equal(escalate.status, 403);
    assert.equal(escalate.json.code, 'ERR_SESSION_REQUIRED');
    assert.equal(escalate.headers['www-authenticate'], 'Bearer realm="gatehouse", error="insufficient_scope"');
    assert.equal(
      (
        await server.request('/password', {
          headers: bearer(key),
          json: { currentPassword: 'x', newPassword: 'y'.repeat(20) },
        })
      ).status,
      403,
    );
    assert.equal((await server.request('/token', { method: 'POST', headers: bearer(key) })).status, 403);
    assert.equal((await server.request('/sessions', { headers: bearer(key) })).status, 403);
  });

  test('revoked, expired, unknown and malformed keys get 401 invalid_token', async () => {
    const { key, id } = (
      await server.request('/api-keys', { cookie, json: { name: 'short-lived', expiresInSeconds: 60 } })
    ).json;
    assert.equal((await server.request('/get-info', { headers: bearer(key) })).status, 200);
    clock.advance(61_000);
    assert.equal((await server.request('/get-info', { headers: bearer(key) })).status, 401);
    const other = (await server.request('/api-keys', { cookie, json: { name: 'to revoke' } })).json;
    assert.equal((await server.request(`/api-keys/${other.id}`, { method: 'DELETE', cookie })).status, 204);
    assert.equal((await server.request(`/api-keys/${other.id}`, { method: 'DELETE', cookie })).status, 404);
    for (const value of [other.key, `gh_${'A'.repeat(43)}`, 'gh_short', `${key}x`]) {
      const response = await server.request('/get-info', { headers: bearer(value) });
      assert.equal(response.status, 401);
      assert.equal(
        response.headers['www-authenticate'],
        'Bearer realm="gatehouse", error="invalid_token", Basic realm="gatehouse", charset="UTF-8"',
      );
    }
    assert.ok(id);
  });

  test('input errors: bad name, bad scope, past expiry', async () => {
    for (const [json, code] of [
      [{ name: '' }, 'ERR_VALIDATION'],
      [{ name: 'x', scopes: 'bad"scope' }, 'ERR_INVALID_SCOPE'],
      [{ name: 'x', expiresInSeconds: 1 }, 'ERR_VALIDATION'],
      [{ name: 'x', extra: true }, 'ERR_VALIDATION'],
    ] as const) {
      const response = await server.request('/api-keys', { cookie, json });
      assert.equal(response.status, 400, JSON.stringify(json));
      assert.equal(response.json.code, code);
    }
  });

  test('disabling the owner disables the keys; deleting the owner deletes them', async () => {
    await server.core.users.createUser({ username: 'temp-owner', password: 'temp password 1' });
    const login = await server.request('/login', { form: { username: 'temp-owner', password: 'temp password 1' } });
    const ownerCookie = `${COOKIE}=${login.setCookie(COOKIE)}`;
    const { key } = (await server.request('/api-keys', { cookie: ownerCookie, json: { name: 'k' } })).json;
    const owner = (await server.core.users.findUserByName('temp-owner'))!;
    await server.core.users.setDisabled(owner.id, true);
    assert.equal((await server.request('/get-info', { headers: bearer(key) })).status, 401);
    await server.core.users.setDisabled(owner.id, false);
    assert.equal((await server.request('/get-info', { headers: bearer(key) })).status, 200);
    await server.core.users.deleteUser(owner.id);
    assert.equal((await server.request('/get-info', { headers: bearer(key) })).status, 401);
    assert.deepEqual(await server.core.store.listApiKeys(owner.id), []);
  });
});
