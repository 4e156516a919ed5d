import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { GatehouseClient } from '../../src/client/index.js';
import { COOKIE, startTestServer, type TestServer } from '../helpers/server.js';

/** The seed lesson's transcript, In [2] to In [8], against Gatehouse. */
let server: TestServer;
before(async () => {
  server = await startTestServer();
  await server.core.users.createUser({ username: 'Alice', password: 'alice-lesson-pw-2021' });
  await server.core.users.createUser({ username: 'Bob', password: 'bob-lesson-pw-2021' });
});
after(() => server.stop());

test('In [2]: a wrong password is 401 with a challenge and no cookie (the lesson said 403)', async () => {
  const response = await server.request('/login', { form: { username: 'Alice', password: 'wrong_pw' } });
  assert.equal(response.status, 401);
  assert.equal(response.headers['www-authenticate'], 'Bearer realm="gatehouse"');
  assert.equal(response.headers['set-cookie'], undefined);
  const unknown = await server.request('/login', { form: { username: 'Mallory', password: 'wrong_pw' } });
  assert.equal(unknown.text, response.text, 'no such user answers alike (the lesson said "No such user")');
});

test('In [3]–[6]: the right password sets one secure cookie; passed back as a dict it opens /get-info; a username cookie changes nothing', async () => {
  const response = await server.request('/login', { form: { username: 'Alice', password: 'alice-lesson-pw-2021' } });
  assert.equal(response.status, 200);
  const setCookie = ([] as string[]).concat(response.headers['set-cookie'] ?? []);
  assert.equal(setCookie.length, 2, 'one session cookie (and the device cookie), not username/token/timestamp');
  assert.match(
    setCookie[1]!,
    /^__Host-gatehouse=[A-Za-z0-9_-]{43}; Max-Age=\d+; Path=\/; HttpOnly; Secure; SameSite=Lax$/,
  );
  assert.match(setCookie[0]!, /^__Host-gatehouse-device=/, 'it only keeps this browser out of lockouts (#22)');
  const cookies: Record<string, string> = { [COOKIE]: response.setCookie(COOKIE)! };
  const header = () =>
    Object.entries(cookies)
      .map(([name, value]) => `${name}=${value}`)
      .join('; ');
  const info = await server.request('/get-info', { cookie: header() });
  assert.deepEqual([info.status, info.json], [200, { 'Secret-number': 42 }]);
  cookies['app1-username'] = 'Bob';
  const withBob = await server.request('/get-info', { cookie: header() });
  assert.deepEqual([withBob.status, withBob.json], [200, { 'Secret-number': 42 }], 'still Alice: the session decides');
  assert.equal((await server.request('/session', { cookie: header() })).json.user.username, 'Alice');
});

test('a tampered token and no cookie at all are 401 (the lesson answered 200 without a cookie)', async () => {
  const token = (
    await server.request('/login', { form: { username: 'Alice', password: 'alice-lesson-pw-2021' } })
  ).setCookie(COOKIE)!;
  const tampered = `${token.slice(0, 10)}${token[10] === 'A' ? 'B' : 'A'}${token.slice(11)}`;
  assert.equal((await server.request('/get-info', { cookie: `${COOKIE}=${tampered}` })).status, 401);
  const none = await server.request('/get-info');
  assert.equal(none.status, 401);
  assert.ok(!none.text.includes('42'));
});

test('every login is a new token, and each stays valid on its own', async () => {
  const first = (
    await server.request('/login', { form: { username: 'Bob', password: 'bob-lesson-pw-2021' } })
  ).setCookie(COOKIE)!;
  const second = (
    await server.request('/login', { form: { username: 'Bob', password: 'bob-lesson-pw-2021' } })
  ).setCookie(COOKIE)!;
  assert.notEqual(first, second);
  assert.equal((await server.request('/get-info', { cookie: `${COOKIE}=${first}` })).status, 200);
  assert.equal((await server.request('/get-info', { cookie: `${COOKIE}=${second}` })).status, 200);
});

test('In [7]–[8]: a requests.Session-style jar, with the TS client', async () => {
  const session = new GatehouseClient({ baseUrl: server.url, ca: server.ca });
  try {
    await session.login('Bob', 'bob-lesson-pw-2021');
    assert.deepEqual(await session.getInfo(), { 'Secret-number': 42 });
  } finally {
    await session.close();
  }
});
