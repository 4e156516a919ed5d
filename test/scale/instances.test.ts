import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { Agent, request } from 'undici';
import { createDevelopmentCertificate } from '../../src/server/tls.js';
import { runCLI, startServe, type ServeProcess } from '../helpers/process.js';
import { createTestDatabase, redisSkipReason, TEST_REDIS_URL, type TestDatabase } from '../helpers/services.js';
import { startTCPProxy, type TCPProxy } from '../helpers/tcp-proxy.js';

const COOKIE = '__Host-gatehouse';
const REDIS_URL = TEST_REDIS_URL;

const database = await createTestDatabase();
// The helpers throw in CI when a service is missing, and print the notice otherwise.
const skip = typeof database === 'string' ? database : ((await redisSkipReason()) ?? false);

describe('three instances on one PostgreSQL and one Redis act as one service', { skip }, () => {
  const pg = database as TestDatabase;
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-instances-'));
  const masterKey = randomBytes(32).toString('base64url');
  let ca: string;
  let dispatcher: Agent;
  let pgProxy: TCPProxy;
  let redisProxy: TCPProxy;
  const instances: ServeProcess[] = [];
  const args: string[] = [];
  const env = () => ({ GATEHOUSE_MASTER_KEY: masterKey, GATEHOUSE_LOG_LEVEL: 'warn' });

  async function call(
    base: string,
    path: string,
    options: { form?: Record<string, string>; cookie?: string; json?: unknown; authorization?: string } = {},
  ) {
    const body = options.form
      ? new URLSearchParams(options.form).toString()
      : options.json
        ? JSON.stringify(options.json)
        : undefined;
    const response = await request(`${base}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      dispatcher,
      headers: {
        ...(options.form && { 'content-type': 'application/x-www-form-urlencoded' }),
        ...(options.json !== undefined && { 'content-type': 'application/json' }),
        ...(options.cookie && { cookie: options.cookie }),
        ...(options.authorization && { authorization: options.authorization }),
      },
      body,
    });
    const text = await response.body.text();
    const setCookie = ([] as string[])
      .concat(response.headers['set-cookie'] ?? [])
      .find((line) => line.startsWith(`${COOKIE}=`));
    return { status: response.statusCode, headers: response.headers, text, cookie: setCookie?.split(';')[0] };
  }
  const urls = () => instances.map((instance) => instance.url);
  const startInstance = (index: number, extra: string[] = []) =>
    startServe([...args, '--data', join(dir, `instance-${index}`), ...extra], { env: env() });

  before(async () => {
    // Database 15 of the local Redis is this suite's own: start from empty counters.
    const redis = new Redis(REDIS_URL);
    await redis.flushdb();
    redis.disconnect();
    const tls = await createDevelopmentCertificate();
    ca = tls.cert;
    writeFileSync(join(dir, 'cert.pem'), tls.cert);
    writeFileSync(join(dir, 'key.pem'), tls.key, { mode: 0o600 });
    dispatcher = new Agent({ connect: { ca } });
    pgProxy = await startTCPProxy(Number(new URL(pg.url).port || 5432));
    redisProxy = await startTCPProxy(Number(new URL(REDIS_URL).port || 6379));
    const dbUrl = new URL(pg.url);
    dbUrl.port = String(pgProxy.port);
    const redisUrl = new URL(REDIS_URL);
    redisUrl.port = String(redisProxy.port);
    args.push(
      '--db',
      dbUrl.toString(),
      '--redis',
      redisUrl.toString(),
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--tls-cert',
      join(dir, 'cert.pem'),
      '--tls-key',
      join(dir, 'key.pem'),
      '--public-url',
      'https://auth.example.test',
    );
    // The first instance applies the schema on purpose; the others find it current.
    instances.push(await startInstance(0, ['--migrate']));
    instances.push(await startInstance(1));
    instances.push(await startInstance(2));
    const added = await runCLI(['user', 'add', 'shared', '--password-stdin', '--db', pg.url], {
      input: 'shared password 1\n',
    });
    assert.equal(added.code, 0, added.stderr);
  });

  after(async () => {
    await Promise.all(instances.map((instance) => instance.stop().catch(() => undefined)));
    await dispatcher?.close();
    await pgProxy?.close();
    await redisProxy?.close();
    await pg.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a session made on A works on B and C; a logout on C is refused by A and B within a second', async () => {
    const [a, b, c] = urls();
    const { cookie } = await call(a!, '/login', { form: { username: 'shared', password: 'shared password 1' } });
    assert.ok(cookie);
    for (const base of [a, b, c]) assert.equal((await call(base!, '/get-info', { cookie })).status, 200);
    assert.equal((await call(c!, '/logout', { cookie, form: {} })).status, 204);
    // Each instance caches sessions for up to 500 ms; the logout reaches their caches through Redis at once.
    const loggedOutAt = Date.now();
    for (const base of [a, b]) {
      let status: number;
      while ((status = (await call(base!, '/get-info', { cookie })).status) === 200 && Date.now() - loggedOutAt < 1000)
        await sleep(20);
      assert.equal(status, 401, 'refused within a second');
    }
  });

  test('a password change on B ends the other sessions on every instance', async () => {
    const [a, b, c] = urls();
    const first = (await call(a!, '/login', { form: { username: 'shared', password: 'shared password 1' } })).cookie!;
    const second = (await call(c!, '/login', { form: { username: 'shared', password: 'shared password 1' } })).cookie!;
    assert.equal(
      (
        await call(b!, '/password', {
          cookie: first,
          json: { currentPassword: 'shared password 1', newPassword: 'shared password 2' },
        })
      ).status,
      204,
    );
    for (const base of [a, b, c]) assert.equal((await call(base!, '/get-info', { cookie: second })).status, 401);
    await call(b!, '/password', {
      cookie: first,
      json: { currentPassword: 'shared password 2', newPassword: 'shared password 1' },
    });
  });

  test('one JWKS everywhere; a rotation from the CLI is used by all instances within a second (Redis broadcast)', async () => {
    const jwks = async (base: string) =>
      JSON.parse((await call(base, '/.well-known/jwks.json')).text)
        .keys.map((key: { kid: string }) => key.kid)
        .sort();
    const before = await jwks(urls()[0]!);
    for (const base of urls()) assert.deepEqual(await jwks(base), before);
    const rotated = await runCLI(['keys', 'rotate', '--json', '--db', pg.url, '--redis', REDIS_URL], {
      env: { GATEHOUSE_MASTER_KEY: masterKey },
    });
    assert.equal(rotated.code, 0, rotated.stderr);
    const { kid, announced } = JSON.parse(rotated.stdout);
    assert.equal(announced, true);
    await sleep(1000);
    const { cookie } = await call(urls()[1]!, '/login', {
      form: { username: 'shared', password: 'shared password 1' },
    });
    for (const base of urls()) {
      assert.ok((await jwks(base)).includes(kid), 'the new key is published');
      const token = JSON.parse((await call(base, '/token', { cookie, json: {} })).text).access_token as string;
      assert.equal(JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).kid, kid, 'and signs');
      for (const other of urls())
        assert.equal(
          (await call(other, '/get-info', { authorization: `Bearer ${token}` })).status,
          200,
          'and verifies everywhere',
        );
    }
  });

  test('login throttling counters are shared through Redis: failures on A, B and C add up', async () => {
    const added = await runCLI(['user', 'add', 'targeted', '--password-stdin', '--db', pg.url], {
      input: 'targeted password 1\n',
    });
    assert.equal(added.code, 0, added.stderr);
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const base = urls()[attempt % 3]!;
      statuses.push(
        (await call(base, '/login', { form: { username: 'targeted', password: `wrong guess ${attempt}` } })).status,
      );
    }
    assert.deepEqual(statuses, [...Array(9).fill(401), 429], 'the 10th failure, wherever it lands, starts the block');
    for (const base of urls()) {
      const response = await call(base, '/login', { form: { username: 'targeted', password: 'targeted password 1' } });
      assert.equal(response.status, 429, 'every instance refuses during the block');
      assert.ok(Number(response.headers['retry-after']) >= 1);
    }
  });

  test('SIGKILL of an instance loses no session; the others keep serving; it comes back', async () => {
    const { cookie } = await call(urls()[2]!, '/login', {
      form: { username: 'shared', password: 'shared password 1' },
    });
    assert.equal(await instances[2]!.stop('SIGKILL'), null);
    for (const base of urls().slice(0, 2)) assert.equal((await call(base, '/get-info', { cookie })).status, 200);
    instances[2] = await startInstance(2);
    assert.equal((await call(instances[2].url, '/get-info', { cookie })).status, 200);
  });

  test('losing PostgreSQL: 503 with Retry-After and not ready, never a 500 or a crash; back by itself', async () => {
    const [a] = urls();
    const { cookie } = await call(a!, '/login', { form: { username: 'shared', password: 'shared password 1' } });
    // Load during the outage: every answer must be 200, 401 or 503, never 5xx other than 503.
    let stop = false;
    const statuses = new Map<number, number>();
    const load = (async () => {
      while (!stop) {
        const { status } = await call(a!, '/get-info', { cookie });
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        await sleep(20);
      }
    })();
    await sleep(300);
    await pgProxy.cut();
    await sleep(1500);
    const during = await call(a!, '/get-info', { cookie });
    assert.equal(during.status, 503);
    assert.equal(during.headers['retry-after'], '5');
    assert.match(during.headers['content-type'] as string, /^application\/problem\+json/);
    assert.equal(JSON.parse(during.text).code, 'ERR_UNAVAILABLE');
    assert.equal((await call(a!, '/readyz')).status, 503);
    const login = await call(a!, '/login', { form: { username: 'shared', password: 'shared password 1' } });
    assert.equal(login.status, 503);
    await pgProxy.restore();
    let recovered = false;
    for (let attempt = 0; attempt < 50 && !recovered; attempt += 1) {
      recovered = (await call(a!, '/get-info', { cookie })).status === 200;
      if (!recovered) await sleep(200);
    }
    stop = true;
    await load;
    assert.ok(recovered, 'recovered by itself');
    assert.equal((await call(a!, '/readyz')).status, 200);
    assert.deepEqual(
      [...statuses.keys()].filter((status) => status !== 200 && status !== 503),
      [],
      `statuses seen: ${JSON.stringify([...statuses])}`,
    );
    assert.ok((statuses.get(503) ?? 0) > 0 && (statuses.get(200) ?? 0) > 0);
    assert.equal(instances[0]!.child.exitCode, null, 'still running');
  });

  test('losing Redis: keeps serving correctly, says so in /readyz and the log', async () => {
    const [a] = urls();
    await redisProxy.cut();
    await sleep(1500);
    const { cookie, status } = await call(a!, '/login', {
      form: { username: 'shared', password: 'shared password 1' },
    });
    assert.equal(status, 200);
    assert.equal((await call(a!, '/get-info', { cookie })).status, 200);
    const ready = await call(a!, '/readyz');
    assert.equal(ready.status, 200);
    assert.equal(JSON.parse(ready.text).redis, 'down');
    assert.match(instances[0]!.stdout(), /redis unreachable: serving without shared broadcast/);
    await redisProxy.restore();
    let back = false;
    for (let attempt = 0; attempt < 30 && !back; attempt += 1) {
      back = JSON.parse((await call(a!, '/readyz')).text).redis === 'up';
      if (!back) await sleep(200);
    }
    assert.ok(back, 'reconnected by itself');
  });
});
