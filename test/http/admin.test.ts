import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { COOKIE, startTestServer, type TestServer } from '../helpers/server.js';

const PASSWORD = 'admin password 1';
let server: TestServer;
let admin: string;
let plain: string;

async function signIn(username: string, password = PASSWORD): Promise<string> {
  const response = await server.request('/login', { form: { username, password } });
  assert.equal(response.status, 200, `sign-in of ${username}`);
  return `${COOKIE}=${response.setCookie(COOKIE)}`;
}

before(async () => {
  server = await startTestServer();
  await server.core.users.createUser({ username: 'root', password: PASSWORD, roles: ['admin'] });
  await server.core.users.createUser({ username: 'carol', password: PASSWORD });
  admin = await signIn('root');
  plain = await signIn('carol');
});
after(() => server.stop());

describe('admin routes', () => {
  const routes: [string, string][] = [
    ['GET', '/admin/users'],
    ['POST', '/admin/users'],
    ['GET', '/admin/users/x'],
    ['PATCH', '/admin/users/x'],
    ['DELETE', '/admin/users/x'],
    ['GET', '/admin/users/x/sessions'],
    ['DELETE', '/admin/users/x/sessions'],
  ];

  test('401 without a session, 403 without role admin, on every admin route', async () => {
    for (const [method, path] of routes) {
      const anonymous = await server.request(path, { method });
      assert.equal(anonymous.status, 401, `${method} ${path}`);
      assert.equal(
        anonymous.headers['www-authenticate'],
        'Bearer realm="gatehouse", Basic realm="gatehouse", charset="UTF-8"',
      );
      const forbidden = await server.request(path, { method, cookie: plain });
      assert.equal(forbidden.status, 403, `${method} ${path}`);
      assert.equal(forbidden.json.code, 'ERR_FORBIDDEN');
    }
  });

  test('create, read, list, update, disable, reset password, delete', async () => {
    const created = await server.request('/admin/users', {
      cookie: admin,
      json: { username: 'Dave', password: 'dave password 1', roles: ['ops'] },
    });
    assert.equal(created.status, 201);
    assert.deepEqual(created.json.roles, ['ops']);
    const id = created.json.id;
    assert.equal((await server.request(`/admin/users/${id}`, { cookie: admin })).json.username, 'Dave');
    const list = await server.request('/admin/users', { cookie: admin });
    assert.deepEqual(
      list.json.users.map((user: { username: string }) => user.username),
      ['carol', 'Dave', 'root'],
    );
    assert.ok(!list.text.includes('argon2'), 'no password hash on the wire');

    const dave = await signIn('Dave', 'dave password 1');
    const roles = await server.request(`/admin/users/${id}`, {
      method: 'PATCH',
      cookie: admin,
      json: { roles: ['ops', 'billing'] },
    });
    assert.deepEqual(roles.json.roles, ['billing', 'ops']);

    const sessions = await server.request(`/admin/users/${id}/sessions`, { cookie: admin });
    assert.equal(sessions.json.sessions.length, 1);

    const disabled = await server.request(`/admin/users/${id}`, {
      method: 'PATCH',
      cookie: admin,
      json: { disabled: true },
    });
    assert.equal(disabled.json.disabled, true);
    assert.equal((await server.request('/get-info', { cookie: dave })).status, 401, 'disabling ends sessions');
    assert.equal(
      (await server.request('/login', { form: { username: 'Dave', password: 'dave password 1' } })).status,
      401,
    );

    await server.request(`/admin/users/${id}`, {
      method: 'PATCH',
      cookie: admin,
      json: { disabled: false, password: 'dave password 2' },
    });
    assert.equal(
      (await server.request('/login', { form: { username: 'Dave', password: 'dave password 1' } })).status,
      401,
    );
    const again = await signIn('Dave', 'dave password 2');

    const revoked = await server.request(`/admin/users/${id}/sessions`, { method: 'DELETE', cookie: admin });
    assert.deepEqual(revoked.json, { revoked: 1 });
    assert.equal((await server.request('/get-info', { cookie: again })).status, 401);

    assert.equal((await server.request(`/admin/users/${id}`, { method: 'DELETE', cookie: admin })).status, 204);
    assert.equal((await server.request(`/admin/users/${id}`, { cookie: admin })).status, 404);
    assert.equal(await server.core.users.findUserByName('Dave'), null);
  });

  test('bad input: duplicate name 409, weak password 400, bad role 400, bad username 400, unknown id 404', async () => {
    const cases = [
      { json: { username: 'CAROL', password: 'long enough password' }, status: 409, code: 'ERR_USER_EXISTS' },
      { json: { username: 'frank', password: 'short' }, status: 400, code: 'ERR_WEAK_PASSWORD' },
      {
        json: { username: 'frank', password: 'long enough password', roles: ['Bad Role'] },
        status: 400,
        code: 'ERR_INVALID_ROLE',
      },
      {
        json: { username: 'fr\u0000ank', password: 'long enough password' },
        status: 400,
        code: 'ERR_INVALID_USERNAME',
      },
      { json: { username: ' frank', password: 'long enough password' }, status: 400, code: 'ERR_INVALID_USERNAME' },
      { json: { username: 'frank' }, status: 400, code: 'ERR_VALIDATION' },
    ];
    for (const item of cases) {
      const response = await server.request('/admin/users', { cookie: admin, json: item.json });
      assert.equal(response.status, item.status, JSON.stringify(item.json));
      assert.equal(response.json.code, item.code, JSON.stringify(item.json));
    }
    const missing = await server.request('/admin/users/nope', {
      method: 'PATCH',
      cookie: admin,
      json: { disabled: true },
    });
    assert.equal(missing.status, 404);
    assert.equal(missing.json.code, 'ERR_USER_NOT_FOUND');
    const empty = await server.request('/admin/users/nope', { method: 'PATCH', cookie: admin, json: {} });
    assert.equal(empty.status, 400);
    assert.equal(await server.core.users.findUserByName('frank'), null);
  });
});
