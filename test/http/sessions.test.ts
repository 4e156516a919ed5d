import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createManualClock } from '../../src/core/shared/clock.js';
import { COOKIE, startTestServer, type TestServer } from '../helpers/server.js';

const PASSWORD = 'bob password 12';
const START = Date.parse('2026-01-01T00:00:00Z');
const clock = createManualClock(START);
let server: TestServer;

before(async () => {
  server = await startTestServer({
    clock,
    config: { sessionIdleTimeoutSeconds: 1800, sessionAbsoluteTimeoutSeconds: 7200 },
  });
  await server.core.users.createUser({ username: 'Bob', password: PASSWORD });
  await server.core.users.createUser({ username: 'Eve', password: PASSWORD });
});
after(() => server.stop());

async function signIn(username = 'Bob', password = PASSWORD): Promise<string> {
  const response = await server.request('/login', {
    form: { username, password },
    headers: { 'user-agent': 'test-agent/1' },
  });
  assert.equal(response.status, 200);
  return `${COOKIE}=${response.setCookie(COOKIE)}`;
}

describe('session lifetime', () => {
  test('idle timeout: a session unused for 30 minutes ends; one used in time lives on', async () => {
    clock.set(START);
    const idle = await signIn();
    const active = await signIn();
    clock.advance(20 * 60_000);
    assert.equal((await server.request('/get-info', { cookie: active })).status, 200);
    clock.advance(11 * 60_000);
    assert.equal((await server.request('/get-info', { cookie: idle })).status, 401);
    assert.equal((await server.request('/get-info', { cookie: active })).status, 200);
  });

  test('absolute timeout: even a busy session ends 2 hours (as configured) after sign-in', async () => {
    clock.set(START);
    const cookie = await signIn();
    for (let minutes = 25; minutes < 120; minutes += 25) {
      clock.set(START + minutes * 60_000);
      assert.equal((await server.request('/get-info', { cookie })).status, 200, `at ${minutes} min`);
    }
    clock.set(START + 120 * 60_000);
    const response = await server.request('/get-info', { cookie });
    assert.equal(response.status, 401);
    assert.equal(response.setCookie(COOKIE), '', 'the dead cookie is cleared');
  });

  test('last-seen is written at most once a minute, not on every request', async () => {
    clock.set(START);
    const cookie = await signIn();
    const id = (await server.request('/session', { cookie })).json.session.id;
    const lastSeen = async () => (await server.core.store.findSessionById(id))!.lastSeenAt;
    clock.advance(30_000);
    await server.request('/get-info', { cookie });
    assert.equal(await lastSeen(), START);
    clock.advance(31_000);
    await server.request('/get-info', { cookie });
    assert.equal(await lastSeen(), START + 61_000);
  });

  test('expired sessions are purged from the database', async () => {
    clock.set(START);
    const cookie = await signIn();
    const id = (await server.request('/session', { cookie })).json.session.id;
    clock.advance(3 * 3600_000);
    assert.ok((await server.core.sessions.purgeExpiredSessions()) >= 1);
    assert.equal(await server.core.store.findSessionById(id), null);
  });
});

describe('my sessions', () => {
  test('GET /session says who I am and when the session ends; no-store', async () => {
    clock.set(START);
    const cookie = await signIn();
    const response = await server.request('/session', { cookie });
    assert.equal(response.status, 200);
    assert.equal(response.headers['cache-control'], 'no-store');
    assert.equal(response.json.user.username, 'Bob');
    assert.equal(response.json.session.expiresAt, new Date(START + 1800_000).toISOString());
    assert.equal(response.json.session.absoluteExpiresAt, new Date(START + 7200_000).toISOString());
    assert.equal(response.json.session.userAgent, 'test-agent/1');
    assert.equal(response.json.session.ip, '127.0.0.1');
  });

  test('GET /sessions lists mine only, marks this one; DELETE ends another, which then gets 401', async () => {
    clock.set(START + 10 * 3600_000);
    await server.core.sessions.revokeUserSessions((await server.core.users.findUserByName('Bob'))!.id);
    const laptop = await signIn();
    const phone = await signIn();
    await signIn('Eve');
    const list = await server.request('/sessions', { cookie: laptop });
    assert.equal(list.status, 200);
    assert.equal(list.json.sessions.length, 2);
    const current = list.json.sessions.filter((item: { current: boolean }) => item.current);
    assert.equal(current.length, 1);
    const phoneId = (await server.request('/session', { cookie: phone })).json.session.id;
    assert.equal((await server.request(`/sessions/${phoneId}`, { method: 'DELETE', cookie: laptop })).status, 204);
    assert.equal((await server.request('/get-info', { cookie: phone })).status, 401);
    assert.equal((await server.request('/get-info', { cookie: laptop })).status, 200);
  });

  test("someone else's session id answers 404, exactly like one that does not exist", async () => {
    clock.set(START + 20 * 3600_000);
    const bob = await signIn();
    const eve = await signIn('Eve');
    const eveId = (await server.request('/session', { cookie: eve })).json.session.id;
    const foreign = await server.request(`/sessions/${eveId}`, { method: 'DELETE', cookie: bob });
    const missing = await server.request('/sessions/00000000-0000-0000-0000-000000000000', {
      method: 'DELETE',
      cookie: bob,
    });
    assert.equal(foreign.status, 404);
    assert.equal(foreign.text, missing.text);
    assert.equal((await server.request('/get-info', { cookie: eve })).status, 200);
  });

  test('every signed-in route answers 401 without a session', async () => {
    for (const [method, path] of [
      ['GET', '/session'],
      ['GET', '/sessions'],
      ['DELETE', '/sessions/x'],
      ['POST', '/password'],
    ]) {
      const response = await server.request(path!, { method: method! });
      assert.equal(response.status, 401, `${method} ${path}`);
      assert.equal(
        response.headers['www-authenticate'],
        'Bearer realm="gatehouse", Basic realm="gatehouse", charset="UTF-8"',
      );
    }
  });
});

describe('POST /password', () => {
  test('wrong current password: 403; weak new password: 400; both leave everything as it was', async () => {
    clock.set(START + 30 * 3600_000);
    const cookie = await signIn('Eve');
    const wrong = await server.request('/password', {
      cookie,
      json: { currentPassword: 'not it at all', newPassword: 'a new password 1' },
    });
    assert.equal(wrong.status, 403);
    assert.equal(wrong.json.code, 'ERR_CURRENT_PASSWORD');
    const weak = await server.request('/password', {
      cookie,
      json: { currentPassword: PASSWORD, newPassword: 'short' },
    });
    assert.equal(weak.status, 400);
    assert.equal(weak.json.code, 'ERR_WEAK_PASSWORD');
    assert.equal((await server.request('/get-info', { cookie })).status, 200);
    assert.equal((await server.request('/login', { form: { username: 'Eve', password: PASSWORD } })).status, 200);
  });

  test('a change keeps this session, ends the others, and only the new password works', async () => {
    clock.set(START + 40 * 3600_000);
    const here = await signIn('Eve');
    const elsewhere = await signIn('Eve');
    const next = 'eve new password 2';
    const response = await server.request('/password', {
      cookie: here,
      json: { currentPassword: PASSWORD, newPassword: next },
    });
    assert.equal(response.status, 204);
    assert.equal((await server.request('/get-info', { cookie: here })).status, 200);
    assert.equal((await server.request('/get-info', { cookie: elsewhere })).status, 401);
    assert.equal((await server.request('/login', { form: { username: 'Eve', password: PASSWORD } })).status, 401);
    assert.equal((await server.request('/login', { form: { username: 'Eve', password: next } })).status, 200);
  });
});
