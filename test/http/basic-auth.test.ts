import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { generate } from 'otplib';
import { createArgon2Hasher, type PasswordHasher } from '../../src/core/passwords/passwords.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/** HTTP Basic (RFC 7617) on protected routes and forward auth, for service clients and users. */
const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
const CHALLENGE = 'Bearer realm="gatehouse", Basic realm="gatehouse", charset="UTF-8"';
const PASSWORD = 'basic user password 1';

describe('Basic for service clients (the default, --basic-auth clients)', () => {
  let server: TestServer;
  let client: { id: string; secret: string };
  before(async () => {
    server = await startTestServer();
    const created = await server.core.clients.createClient({ name: 'probe', scopes: 'metrics' });
    client = { id: created.client.id, secret: created.secret! };
    await server.core.users.createUser({ username: 'wes', password: PASSWORD });
  });
  after(() => server.stop());

  test('client_id:client_secret is accepted on protected routes and by forward auth', async () => {
    const info = await server.request('/get-info', { headers: { authorization: basic(client.id, client.secret) } });
    assert.equal(info.status, 200);
    assert.deepEqual(info.json, { 'Secret-number': 42 });
    const verify = await server.request('/auth/verify', {
      headers: { authorization: basic(client.id, client.secret) },
    });
    assert.equal(verify.status, 200);
    assert.equal(verify.headers['x-auth-kind'], 'basic_client');
    assert.equal(verify.headers['x-auth-subject'], client.id);
    assert.equal(verify.headers['x-auth-scopes'], 'metrics');
    // Its scopes count: the metrics scope opens /metrics from behind a proxy.
    const metrics = await server.request('/metrics', {
      headers: { authorization: basic(client.id, client.secret), 'x-forwarded-for': '203.0.113.9' },
    });
    assert.equal(metrics.status, 200);
  });

  test('a wrong secret and an unknown client answer alike, with both challenges', async () => {
    const wrong = await server.request('/get-info', { headers: { authorization: basic(client.id, 'not-the-secret') } });
    const unknown = await server.request('/get-info', {
      headers: { authorization: basic('no-such-client', 'not-the-secret') },
    });
    for (const response of [wrong, unknown]) {
      assert.equal(response.status, 401);
      assert.equal(response.headers['www-authenticate'], CHALLENGE);
      assert.equal((response.json as { code: string }).code, 'ERR_INVALID_CREDENTIALS');
    }
    assert.equal(wrong.text, unknown.text);
  });

  test('a user name and password are not accepted in this mode', async () => {
    const response = await server.request('/get-info', { headers: { authorization: basic('wes', PASSWORD) } });
    assert.equal(response.status, 401);
  });
});

describe('Basic for users (--basic-auth both)', () => {
  let server: TestServer;
  let verifications = 0;
  before(async () => {
    const argon2 = createArgon2Hasher();
    // Counts password checks: a remembered Basic success must not hash again.
    const hasher: PasswordHasher = {
      ...argon2,
      verify: (phc, password) => ((verifications += 1), argon2.verify(phc, password)),
    };
    server = await startTestServer({ hasher, config: { basicAuth: 'both', throttleAccountFailures: 3 } });
    await server.core.users.createUser({ username: 'wes', password: PASSWORD, roles: ['admin'] });
    await server.core.users.createUser({ username: 'Zoë', password: 'pässwörd mit ümlauten 1' });
  });
  after(() => server.stop());

  test('right credentials pass (UTF-8 names and passwords too); wrong and unknown answer alike', async () => {
    const right = await server.request('/get-info', { headers: { authorization: basic('wes', PASSWORD) } });
    assert.equal(right.status, 200);
    assert.equal(
      (await server.request('/auth/verify', { headers: { authorization: basic('zoë', 'pässwörd mit ümlauten 1') } }))
        .headers['x-auth-user'],
      'Zo%C3%AB',
    );
    const wrong = await server.request('/get-info', { headers: { authorization: basic('wes', 'not the password 1') } });
    const unknown = await server.request('/get-info', {
      headers: { authorization: basic('nobody', 'not the password 1') },
    });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.text, unknown.text);
    assert.equal(wrong.headers['www-authenticate'], CHALLENGE);
    const failures = await server.core.audit.list({ type: 'login.failure', limit: 2 });
    assert.deepEqual(failures.map((event) => event.detail.reason).sort(), ['unknown_user', 'wrong_password']);
  });

  test('a remembered success costs no password hash; a password change ends it at once', async () => {
    assert.equal(
      (await server.request('/get-info', { headers: { authorization: basic('wes', PASSWORD) } })).status,
      200,
    );
    const before = verifications;
    for (let i = 0; i < 20; i += 1)
      assert.equal(
        (await server.request('/get-info', { headers: { authorization: basic('wes', PASSWORD) } })).status,
        200,
      );
    assert.equal(verifications, before, 'no Argon2 verification for remembered credentials');
    const wes = (await server.core.users.findUserByName('wes'))!;
    await server.core.users.resetPassword(wes.id, 'a brand new password 1');
    assert.equal(
      (await server.request('/get-info', { headers: { authorization: basic('wes', PASSWORD) } })).status,
      401,
      'the old password stops at once',
    );
    assert.equal(
      (await server.request('/get-info', { headers: { authorization: basic('wes', 'a brand new password 1') } }))
        .status,
      200,
    );
    await server.core.users.setDisabled(wes.id, true);
    assert.equal(
      (await server.request('/get-info', { headers: { authorization: basic('wes', 'a brand new password 1') } }))
        .status,
      401,
      'disabled: at once',
    );
    await server.core.users.setDisabled(wes.id, false);
  });

  test('users over Basic are throttled like /login: the right password waits too', async () => {
    await server.core.users.createUser({ username: 'tim', password: PASSWORD });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i += 1)
      statuses.push(
        (await server.request('/get-info', { headers: { authorization: basic('tim', `wrong password ${i}`) } })).status,
      );
    assert.deepEqual(statuses, [401, 401, 429]);
    const locked = await server.request('/get-info', { headers: { authorization: basic('tim', PASSWORD) } });
    assert.equal(locked.status, 429);
    assert.ok(Number(locked.headers['retry-after']) >= 1);
    assert.equal((locked.json as { code: string }).code, 'ERR_THROTTLED');
    // The same account is locked for the sign-in form too: one throttle.
    assert.equal((await server.request('/login', { json: { username: 'tim', password: PASSWORD } })).status, 429);
  });

  test('a user with two-factor sign-in cannot use a password alone', async () => {
    const uma = await server.core.users.createUser({ username: 'uma', password: PASSWORD });
    const { secret } = await server.core.twoFactor!.beginEnrollment(uma);
    await server.core.twoFactor!.confirmEnrollment(uma.id, await generate({ secret }));
    assert.equal(
      (await server.request('/get-info', { headers: { authorization: basic('uma', PASSWORD) } })).status,
      401,
    );
  });

  test('a cross-site state change on Basic credentials is refused (browsers resend them)', async () => {
    const response = await server.request('/admin/users/none', {
      method: 'DELETE',
      headers: { authorization: basic('wes', 'a brand new password 1'), origin: 'https://evil.example' },
    });
    assert.equal(response.status, 403);
    assert.equal((response.json as { code: string }).code, 'ERR_CROSS_SITE');
  });

  test('account management stays with the session: Basic cannot mint API keys', async () => {
    const response = await server.request('/api-keys', {
      json: { name: 'k' },
      headers: { authorization: basic('wes', 'a brand new password 1'), origin: server.url },
    });
    assert.equal(response.status, 403);
    assert.equal(response.json.code, 'ERR_SESSION_REQUIRED');
  });
});

describe('--basic-auth off', () => {
  test('Basic credentials are not accepted, and 401s advertise only Bearer', async () => {
    const server = await startTestServer({ config: { basicAuth: 'off' } });
    try {
      const created = await server.core.clients.createClient({ name: 'probe', scopes: '' });
      const response = await server.request('/get-info', {
        headers: { authorization: basic(created.client.id, created.secret!) },
      });
      assert.equal(response.status, 401);
      assert.equal(response.headers['www-authenticate'], 'Bearer realm="gatehouse"');
      assert.equal((response.json as { code: string }).code, 'ERR_UNAUTHENTICATED');
    } finally {
      await server.stop();
    }
  });
});
