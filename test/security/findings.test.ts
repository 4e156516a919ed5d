import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import SQLite from 'better-sqlite3';
import { generate } from 'otplib';
import { createManualClock } from '../../src/core/shared/clock.js';
import { hashSecret } from '../../src/core/shared/secrets.js';
import { createDevelopmentCertificate } from '../../src/server/tls.js';
import { startServe } from '../helpers/process.js';
import { addScopes, COOKIE, startTestServer, type TestServer } from '../helpers/server.js';

/**
 * A regression test for each finding of the attacker's probe in issue #14,
 * named after it. (Findings 2 and 4, bursts of concurrent guesses, are in
 * concurrency.test.ts; the full credential-by-route table is in
 * decision-table.test.ts.)
 */
const PASSWORD = 'findings password 1';
let server: TestServer;
let admin: { id: string; cookie: string };

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const basic = (name: string, password: string) => ({
  authorization: `Basic ${Buffer.from(`${name}:${password}`).toString('base64')}`,
});

async function signIn(username: string, password = PASSWORD): Promise<string> {
  const response = await server.request('/login', { form: { username, password } });
  assert.equal(response.status, 200, `sign-in of ${username}`);
  return `${COOKIE}=${response.setCookie(COOKIE)}`;
}

before(async () => {
  server = await startTestServer({ config: { basicAuth: 'both' } });
  await addScopes(server.core, 'deploy:write', 'orders:read');
  const root = await server.core.users.createUser({ username: 'root', password: PASSWORD, roles: ['admin'] });
  admin = { id: root.id, cookie: await signIn('root') };
});
after(() => server.stop());

describe('issue #14 findings', () => {
  test("finding 1: an admin's scope-limited credential is no admin", async () => {
    const key = async (scopes: string) =>
      (await server.request('/api-keys', { cookie: admin.cookie, json: { name: `key ${scopes}`, scopes } })).json.key;
    const token = (await server.request('/token', { cookie: admin.cookie, json: { scope: 'orders:read' } })).json
      .access_token;
    for (const credential of [await key('deploy:write'), await key(''), token]) {
      const list = await server.request('/admin/users', { headers: bearer(credential) });
      assert.deepEqual([list.status, list.json.code], [403, 'ERR_INSUFFICIENT_SCOPE']);
      const created = await server.request('/admin/users', {
        headers: bearer(credential),
        json: { username: 'mallory', password: 'a new admin of mine 1', roles: ['admin'] },
      });
      assert.equal(created.status, 403);
    }
    assert.equal(await server.core.users.findUserByName('mallory'), null, 'no admin was made');
    // Even a credential holding `admin` cannot take its owner's account over through the admin routes.
    const adminKey = await key('admin');
    const ownPassword = await server.request(`/admin/users/${admin.id}`, {
      method: 'PATCH',
      headers: bearer(adminKey),
      json: { password: 'taken over password 1' },
    });
    assert.deepEqual([ownPassword.status, ownPassword.json.code], [403, 'ERR_FORBIDDEN']);
    const ownTwoFactor = await server.request(`/admin/users/${admin.id}/two-factor`, {
      method: 'DELETE',
      headers: bearer(adminKey),
    });
    assert.equal(ownTwoFactor.status, 403);
    for (const change of [{ roles: [] }, { disabled: true }]) {
      const response = await server.request(`/admin/users/${admin.id}`, {
        method: 'PATCH',
        cookie: admin.cookie,
        headers: { origin: server.url },
        json: change,
      });
      assert.equal(response.status, 403, `${JSON.stringify(change)} on oneself, with the session too`);
    }
    assert.equal(
      (await server.request(`/admin/users/${admin.id}`, { method: 'DELETE', cookie: admin.cookie })).status,
      403,
    );
    assert.equal((await signIn('root')).length > 0, true, 'the password is unchanged');
  });

  test('finding 3: no scope means no scope, and users cannot grant themselves scopes', async () => {
    const cookie = admin.cookie;
    for (const [path, json] of [
      ['/token', { scope: 'payroll:admin' }],
      ['/api-keys', { name: 'mine', scopes: 'payroll:admin' }],
      // metrics is for service clients an operator grants it to, never a user's own key.
      ['/api-keys', { name: 'scraper', scopes: 'metrics' }],
      ['/token', { scope: 'introspect' }],
    ] as const) {
      const refused = await server.request(path, { cookie, json });
      assert.deepEqual(
        [refused.status, refused.json.code],
        [400, 'ERR_INVALID_SCOPE'],
        `${path} ${JSON.stringify(json)}`,
      );
    }
    const unscoped = (await server.request('/token', { cookie, json: {} })).json;
    assert.equal(unscoped.scope, '');
    const orders = await server.request('/auth/verify', { headers: bearer(unscoped.access_token) });
    assert.equal(orders.headers['x-auth-scopes'], '', 'forward auth says: none');
  });

  test('finding 5: re-authentication is throttled; two-factor enrolment needs the password', async () => {
    await server.core.users.createUser({ username: 'victim', password: PASSWORD });
    const stolen = await signIn('victim');
    const statuses: number[] = [];
    for (let guess = 0; guess < 12; guess += 1) {
      statuses.push(
        (await server.request('/two-factor/disable', { cookie: stolen, json: { password: `guess ${guess} here` } }))
          .status,
      );
    }
    assert.deepEqual(statuses.slice(0, 9), Array(9).fill(403));
    assert.deepEqual(
      statuses.slice(9),
      [429, 401, 401],
      'the tenth wrong guess starts a block, like a sign-in, and ends the session that guessed (#22)',
    );
    const enrol = await server.request('/two-factor', {
      method: 'POST',
      cookie: await signIn('victim'),
      headers: { origin: server.url },
    });
    assert.equal(enrol.status, 400, 'no enrolment without the password');
    assert.equal(await server.core.store.findTwoFactor((await server.core.users.findUserByName('victim'))!.id), null);
  });

  test('finding 6: forward auth refuses a cross-site state change carrying Basic credentials', async () => {
    const response = await server.request('/auth/verify', {
      headers: { ...basic('root', PASSWORD), 'x-original-method': 'POST', 'sec-fetch-site': 'cross-site' },
    });
    assert.deepEqual([response.status, response.json.code], [403, 'ERR_CROSS_SITE']);
    const safe = await server.request('/auth/verify', {
      headers: { ...basic('root', PASSWORD), 'x-original-method': 'GET', 'sec-fetch-site': 'cross-site' },
    });
    assert.equal(safe.status, 200, 'a cross-site read is no state change');
  });

  test('finding 7: X-Auth-User names one user', async () => {
    await server.core.users.createUser({ username: 'zoë', password: PASSWORD });
    await server.core.users.createUser({ username: 'zo%C3%AB', password: PASSWORD });
    const header = async (name: string) =>
      (await server.request('/auth/verify', { cookie: await signIn(name) })).headers['x-auth-user'];
    assert.equal(await header('zoë'), 'zo%C3%AB');
    assert.equal(await header('zo%C3%AB'), 'zo%25C3%25AB');
    assert.equal(decodeURIComponent(String(await header('zo%C3%AB'))), 'zo%C3%AB');
  });

  test('finding 8: recovery codes are HMACs under the master key, not plain SHA-256', async () => {
    const user = await server.core.users.createUser({ username: 'keeper', password: PASSWORD });
    const { secret } = await server.core.twoFactor!.beginEnrollment(user);
    const { recoveryCodes } = await server.core.twoFactor!.confirmEnrollment(user.id, await generate({ secret }));
    const db = new SQLite(join(server.data, 'gatehouse.db'), { readonly: true });
    const stored = db.prepare('select code_hash from recovery_codes where user_id = ?').all(user.id) as {
      code_hash: string;
    }[];
    db.close();
    assert.equal(stored.length, 10);
    const plain = recoveryCodes.map((code) => hashSecret(code.replace('-', '')));
    for (const { code_hash: hash } of stored) {
      assert.match(hash, /^h1:[A-Za-z0-9_-]{43}$/);
      assert.ok(
        !plain.includes(hash) && !plain.includes(hash.slice(3)),
        'a copy of the database alone does not find a code',
      );
    }
  });

  test('finding 9: turning two-factor on ends remembered Basic successes at once, and other sessions', async () => {
    await server.core.users.createUser({ username: 'basil', password: PASSWORD });
    assert.equal((await server.request('/get-info', { headers: basic('basil', PASSWORD) })).status, 200);
    assert.equal((await server.request('/get-info', { headers: basic('basil', PASSWORD) })).status, 200, 'remembered');
    const other = await signIn('basil');
    const cookie = await signIn('basil');
    const started = await server.request('/two-factor', {
      cookie,
      json: { password: PASSWORD },
      headers: { origin: server.url },
    });
    assert.equal(started.status, 201);
    const confirmed = await server.request('/two-factor/confirm', {
      cookie,
      json: { code: await generate({ secret: started.json.secret }) },
      headers: { origin: server.url },
    });
    assert.equal(confirmed.status, 200);
    assert.equal((await server.request('/get-info', { headers: basic('basil', PASSWORD) })).status, 401, 'at once');
    assert.equal((await server.request('/get-info', { cookie: other })).status, 401, 'the other session ended');
    assert.equal((await server.request('/get-info', { cookie })).status, 200, 'the one that turned it on stays');
  });

  test('finding 10: a role 403 for a bearer credential carries the RFC 6750 challenge', async () => {
    await server.core.users.createUser({ username: 'plain', password: PASSWORD });
    const token = (await server.request('/token', { cookie: await signIn('plain'), json: {} })).json.access_token;
    const response = await server.request('/admin/users', { headers: bearer(token) });
    assert.deepEqual([response.status, response.json.code], [403, 'ERR_FORBIDDEN']);
    assert.equal(
      response.headers['www-authenticate'],
      'Bearer realm="gatehouse", error="insufficient_scope", scope="admin"',
    );
  });
});

describe('issue #14 lower findings', () => {
  test('per-address limits group IPv6 by /64: rotating addresses in one network does not escape them', async () => {
    const proxied = await startTestServer({
      config: { trustProxy: ['127.0.0.1'], throttleIpFailures: 10, rateLimitPerMinute: 1000 },
    });
    try {
      const answers: number[] = [];
      for (let host = 1; host <= 11; host += 1) {
        const response = await proxied.request('/login', {
          form: { username: `spray-${host}`, password: 'spray password 1' },
          headers: { 'x-forwarded-for': `2001:db8:7:9::${host.toString(16)}` },
        });
        answers.push(response.status);
      }
      assert.deepEqual(answers, [...Array(10).fill(401), 429]);
      const elsewhere = await proxied.request('/login', {
        form: { username: 'spray-x', password: 'spray password 1' },
        headers: { 'x-forwarded-for': '2001:db8:7:a::1' },
      });
      assert.equal(elsewhere.status, 401, 'another /64 is another network');
    } finally {
      await proxied.stop();
    }
  });

  test('a refresh counts as activity: a client refreshing within the idle timeout keeps its session', async () => {
    const clock = createManualClock(Date.now());
    const idle = await startTestServer({
      clock,
      config: { sessionIdleTimeoutSeconds: 600, sessionAbsoluteTimeoutSeconds: 43_200 },
    });
    try {
      await idle.core.users.createUser({ username: 'refresher', password: PASSWORD });
      const login = await idle.request('/login', { form: { username: 'refresher', password: PASSWORD } });
      const cookie = `${COOKIE}=${login.setCookie(COOKIE)}`;
      let refresh = (await idle.request('/token', { cookie, json: {} })).json.refresh_token as string;
      for (let round = 0; round < 4; round += 1) {
        clock.advance(500_000);
        const answer = await idle.request('/oauth/token', {
          form: { grant_type: 'refresh_token', refresh_token: refresh },
        });
        assert.equal(answer.status, 200, `refresh ${round} after ${(round + 1) * 500} s`);
        refresh = answer.json.refresh_token;
      }
      assert.equal((await idle.request('/get-info', { cookie })).status, 200, '2000 s in, past the 600 s idle timeout');
    } finally {
      await idle.stop();
    }
  });

  test('expired two-factor challenges are purged', async () => {
    const clock = createManualClock(Date.now());
    const purging = await startTestServer({ clock });
    try {
      const user = await purging.core.users.createUser({ username: 'pending', password: PASSWORD });
      const { secret } = await purging.core.twoFactor!.beginEnrollment(user);
      await purging.core.twoFactor!.confirmEnrollment(user.id, await generate({ secret, epoch: clock.now() / 1000 }));
      assert.equal(
        (await purging.request('/login', { form: { username: 'pending', password: PASSWORD } })).status,
        202,
      );
      clock.advance(301_000);
      assert.equal((await purging.purgeExpired()).loginChallenges, 1);
    } finally {
      await purging.stop();
    }
  });

  test('finding 8: the data folder is 0700 and the database, master key and TLS key 0600; serve refuses looser ones, naming the file', async () => {
    const data = mkdtempSync(join(tmpdir(), 'gatehouse-modes-'));
    try {
      const tls = await createDevelopmentCertificate();
      const certFile = join(data, 'operator-cert.pem');
      const keyFile = join(data, 'operator-key.pem');
      writeFileSync(certFile, tls.cert);
      writeFileSync(keyFile, tls.key, { mode: 0o600 });
      const folder = join(data, 'state');
      const args = [
        '--data',
        folder,
        '--host',
        '127.0.0.1',
        '--port',
        '0',
        '--tls-cert',
        certFile,
        '--tls-key',
        keyFile,
      ];
      const first = await startServe(args);
      await first.stop();
      const mode = (path: string) => statSync(path).mode & 0o777;
      assert.equal(mode(folder), 0o700, 'the data folder');
      assert.equal(mode(join(folder, 'gatehouse.db')), 0o600, 'the database');
      assert.equal(mode(join(folder, 'master.key')), 0o600, 'the master key');
      for (const [path, wanted] of [
        [keyFile, '600'],
        [join(folder, 'gatehouse.db'), '600'],
        [folder, '700'],
      ] as const) {
        const before = mode(path);
        chmodSync(path, path === folder ? 0o755 : 0o644);
        const refused = await startServe(args).then(
          async (started) => ({ code: await started.stop(), stderr: started.stderr() }),
          (error: { code: number; stderr: string }) => error,
        );
        chmodSync(path, before);
        assert.equal(refused.code, 1, path);
        assert.match(
          refused.stderr,
          new RegExp(
            `is open to other users \\(mode 0${path === folder ? '755' : '644'}\\); run: chmod ${wanted} ${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`,
          ),
        );
      }
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  });
});
