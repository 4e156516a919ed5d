import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestServer, type TestResponse, type TestServer } from '../helpers/server.js';

const PASSWORD = 'throttle password 1';
let server: TestServer;
before(async () => {
  server = await startTestServer({ config: { throttleBlockSeconds: 1, throttleIpFailures: 1000 } });
  for (const name of ['target', 'bystander', 'again', 'known'])
    await server.core.users.createUser({ username: name, password: PASSWORD });
});
after(() => server.stop());

const login = (username: string, password: string, ip?: string): Promise<TestResponse> =>
  server.request('/login', { form: { username, password }, headers: ip ? { 'x-test-ip': ip } : {} });

describe('brute-force protection', () => {
  test('consecutive failures slow down, the 10th answers 429 with Retry-After, and even the right password waits', async () => {
    const timings: number[] = [];
    for (let attempt = 1; attempt <= 9; attempt += 1) {
      const start = Date.now();
      assert.equal((await login('target', `wrong ${attempt} password`)).status, 401, `attempt ${attempt}`);
      timings.push(Date.now() - start);
    }
    assert.ok(timings[8]! - timings[0]! >= 500, `slowed down: ${timings.join(', ')} ms`);
    const tenth = await login('target', 'wrong 10 password');
    assert.equal(tenth.status, 429);
    assert.equal(tenth.headers['retry-after'], '1');
    assert.equal(tenth.json.code, 'ERR_THROTTLED');
    const right = await login('target', PASSWORD);
    assert.equal(right.status, 429, 'blocked: the right password waits too');
    assert.equal(right.headers['set-cookie'], undefined);
    assert.equal((await login('bystander', PASSWORD)).status, 200, 'another account is not affected');
    await sleep(1100);
    assert.equal((await login('target', PASSWORD)).status, 200, 'after the block, the right password works');
  });

  test('a success resets the count; a second block lasts longer', async () => {
    for (let attempt = 1; attempt <= 9; attempt += 1) await login('again', 'nope nope nope');
    assert.equal((await login('again', PASSWORD)).status, 200, 'nine failures, then success: reset');
    for (let attempt = 1; attempt <= 9; attempt += 1)
      assert.equal((await login('again', 'nope nope nope')).status, 401);
    assert.equal((await login('again', 'nope nope nope')).headers['retry-after'], '1');
    await sleep(1100);
    for (let attempt = 1; attempt <= 9; attempt += 1) await login('again', 'nope nope nope');
    assert.equal((await login('again', 'nope nope nope')).headers['retry-after'], '2', 'the block doubles');
  });

  test('a throttled unknown user answers exactly like a throttled known one', async () => {
    for (let attempt = 1; attempt <= 9; attempt += 1) {
      await login('known', 'wrong password here');
      await login('unknown-person', 'wrong password here');
    }
    const known = await login('known', 'wrong password here');
    const unknown = await login('unknown-person', 'wrong password here');
    const { date: _a, ...knownHeaders } = known.headers;
    const { date: _b, ...unknownHeaders } = unknown.headers;
    assert.deepEqual([unknown.status, unknownHeaders, unknown.text], [known.status, knownHeaders, known.text]);
    assert.equal(known.status, 429);
  });

  test('per IP: a generous limit (configured here to 12) across accounts, then 429 for that address', async () => {
    const fresh = await startTestServer({ config: { throttleIpFailures: 12 } });
    try {
      await fresh.core.users.createUser({ username: 'office-user', password: PASSWORD });
      // Twelve failures are allowed; the thirteenth is refused.
      for (let attempt = 0; attempt < 13; attempt += 1) {
        const response = await fresh.request('/login', {
          form: { username: `spray-${attempt}`, password: 'spray password 1' },
        });
        assert.equal(response.status, attempt < 12 ? 401 : 429, `attempt ${attempt}`);
      }
      const blocked = await fresh.request('/login', { form: { username: 'office-user', password: PASSWORD } });
      assert.equal(blocked.status, 429);
      assert.ok(Number(blocked.headers['retry-after']) > 800, 'blocked for the 15-minute window');
    } finally {
      await fresh.stop();
    }
  });

  test('the sign-in and token endpoints also have a per-IP limit on unauthenticated requests', async () => {
    const limited = await startTestServer({ config: { rateLimitPerMinute: 10 } });
    try {
      const statuses: number[] = [];
      for (let attempt = 0; attempt < 12; attempt += 1) {
        statuses.push((await limited.request('/oauth/token', { form: { grant_type: 'client_credentials' } })).status);
      }
      assert.deepEqual(statuses.slice(0, 10), Array(10).fill(401));
      const last = await limited.request('/oauth/token', { form: { grant_type: 'client_credentials' } });
      assert.equal(last.status, 429);
      assert.ok(Number(last.headers['retry-after']) >= 1);
      assert.equal(last.json.code, 'ERR_THROTTLED');
      assert.equal((await limited.request('/healthz')).status, 200, 'other routes are not limited');
    } finally {
      await limited.stop();
    }
  });

  test('an authenticated client is counted against its own rate, not its address (#15)', async () => {
    const limited = await startTestServer({ config: { rateLimitPerMinute: 10, clientRateLimitPerMinute: 15 } });
    try {
      const { client, secret } = await limited.core.clients.createClient({ name: 'behind-nat', scopes: '' });
      const form = { grant_type: 'client_credentials', client_id: client.id, client_secret: secret! };
      const statuses: number[] = [];
      for (let attempt = 0; attempt < 16; attempt += 1)
        statuses.push((await limited.request('/oauth/token', { form })).status);
      // 15 tokens from one address, beyond its 10: then the client's own ceiling.
      assert.deepEqual(statuses, [...Array(15).fill(200), 429]);
      const anonymous: number[] = [];
      for (let attempt = 0; attempt < 11; attempt += 1)
        anonymous.push((await limited.request('/oauth/token', { form: { grant_type: 'client_credentials' } })).status);
      // The address was charged nothing for the authenticated requests: its 10 are still there.
      assert.deepEqual(anonymous, [...Array(10).fill(401), 429]);
    } finally {
      await limited.stop();
    }
  });
});
