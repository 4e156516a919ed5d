import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { after, before, describe, test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { SERVICES_REQUIRED } from '../helpers/services.js';
import {
  addUser,
  createPrivatePostgres,
  createPrivateRedis,
  sessionCookie,
  startGatehouse,
  type Gatehouse,
  type PrivatePostgres,
  type PrivateRedis,
} from './helpers.js';

const PASSWORD = 'outage password 1';

// Servers of this suite's own, stopped and started at will: never the machine's shared ones.
const postgres = await createPrivatePostgres();
const redis = typeof postgres === 'string' ? postgres : await createPrivateRedis();
const skip = typeof postgres === 'string' ? postgres : typeof redis === 'string' ? redis : false;
if (skip && SERVICES_REQUIRED) throw new Error(skip);
if (skip) process.stderr.write(`notice: ${skip}\n`);

/** How long the load loops may take to see that they must stop (each request fails within 30 s). */
const LOAD_STOP_DEADLINE_MS = 35_000;

/**
 * Load on one instance until stopped, or until the instance exits: every
 * answer's status, and whether each 503 had Retry-After. The loops stop when
 * the test ends, passed or failed (`t.after`): a failed assertion must not
 * leave them running and the file alive.
 */
function startLoad(t: TestContext, instance: Gatehouse, cookie: string, workers = 4) {
  const statuses = new Map<number, number>();
  const timeline: { at: number; status: number }[] = [];
  let without503RetryAfter = 0;
  let errors = 0;
  let running = true;
  const begun = performance.now();
  const loops = Array.from({ length: workers }, async (_, worker) => {
    for (let round = 0; running && instance.child.exitCode === null; round += 1) {
      // Mostly a signed-in read; every 8th a sign-in (a write: a new session).
      const signIn = (round + worker) % 8 === 0;
      try {
        const answer = signIn
          ? await instance.call('/login', { form: { username: 'alice', password: PASSWORD } })
          : await instance.call('/get-info', { cookie });
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        timeline.push({ at: performance.now() - begun, status: answer.status });
        if (answer.status === 503 && !answer.headers['retry-after']) without503RetryAfter += 1;
      } catch {
        errors += 1;
      }
      await sleep(10);
    }
  });
  const stop = async () => {
    running = false;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(loops),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('the load loops did not stop')), LOAD_STOP_DEADLINE_MS);
      }),
    ]).finally(() => clearTimeout(timer));
    return { statuses: Object.fromEntries(statuses), without503RetryAfter, errors };
  };
  t.after(() => stop().catch(() => undefined));
  return { statuses, timeline, elapsed: () => performance.now() - begun, stop };
}

describe('outages under load, on private PostgreSQL and Redis servers', { skip, timeout: 180_000 }, () => {
  const pg = postgres as PrivatePostgres;
  const rd = redis as PrivateRedis;
  let a: Gatehouse;
  let b: Gatehouse;
  let cookie: string;
  const args = () => ['--db', pg.url, '--redis', rd.url, '--cache-ttl-ms', '1000', '--public-url', 'https://auth.test'];

  before(async () => {
    // One deployment: both instances decrypt the same signing keys.
    const env = { GATEHOUSE_MASTER_KEY: randomBytes(32).toString('base64url') };
    a = await startGatehouse([...args(), '--migrate'], { env });
    b = await startGatehouse(args(), { env });
    await addUser(['--db', pg.url], 'alice', PASSWORD);
    const signedIn = await a.call('/login', { form: { username: 'alice', password: PASSWORD } });
    assert.equal(signedIn.status, 200);
    cookie = sessionCookie(signedIn.headers)!;
  });
  after(async () => {
    for (const instance of [a, b]) {
      if (!instance) continue;
      await instance.close().catch(() => undefined);
      rmSync(instance.data, { recursive: true, force: true });
    }
    await pg?.destroy?.();
    await rd?.stop?.();
  });

  test('PostgreSQL stopped and started: only 503 with Retry-After while down, never 500, back without restart', async (t) => {
    const load = startLoad(t, a, cookie);
    await sleep(1500);
    const stoppedAt = load.elapsed();
    await pg.stop('fast');
    await sleep(4000);
    // Issue #22: a pg client's unhandled 'error' used to end the instance here.
    assert.equal(a.child.exitCode, null, `instance A exited while PostgreSQL was down: ${a.stderr()}`);
    const ready = await a.call('/readyz');
    assert.equal(ready.status, 503);
    const startedAt = load.elapsed();
    await pg.start();
    // Recovered: a 200 for a signed-in read and for a sign-in after the restart.
    let recoveredAt: number | null = null;
    for (let attempt = 0; attempt < 100 && recoveredAt === null; attempt += 1) {
      const read = await a.call('/get-info', { cookie });
      const signIn = await a.call('/login', { form: { username: 'alice', password: PASSWORD } });
      if (read.status === 200 && signIn.status === 200) recoveredAt = load.elapsed();
      else await sleep(100);
    }
    await sleep(1000);
    const seen = await load.stop();
    const down = load.timeline.filter((entry) => entry.at > stoppedAt && entry.at < startedAt);
    t.diagnostic(
      `statuses ${JSON.stringify(seen.statuses)}; while down (${Math.round((startedAt - stoppedAt) / 100) / 10} s): ${down.filter((entry) => entry.status === 503).length} × 503, ${down.filter((entry) => entry.status === 200).length} × 200 (from the read cache, its first second); 503 without Retry-After: ${seen.without503RetryAfter}; client errors ${seen.errors}; /readyz while down ${ready.status}; recovered ${recoveredAt === null ? 'never' : `${Math.round(recoveredAt - startedAt)} ms after PostgreSQL was up`}`,
    );
    assert.deepEqual(
      Object.keys(seen.statuses).filter((status) => !['200', '503'].includes(status)),
      [],
      'only 200 and 503',
    );
    assert.ok((seen.statuses[503] ?? 0) > 0, 'the outage was seen');
    assert.equal(seen.without503RetryAfter, 0);
    assert.equal(seen.errors, 0);
    assert.ok(recoveredAt !== null, 'recovered without a restart');
    assert.equal((await a.call('/readyz')).status, 200);
    assert.equal(a.child.exitCode, null, 'still running');
  });

  test('Redis stopped and started: serving goes on, /readyz says degraded, revocations reach B again', async (t) => {
    const load = startLoad(t, a, cookie);
    await sleep(1000);
    await rd.stop();
    await sleep(1500);
    const readyDown = await a.call('/readyz');
    const readyDownBody = JSON.parse(readyDown.text);
    // Sign-in and a revocation while Redis is down still work on the instance itself.
    const during = await a.call('/login', { form: { username: 'alice', password: PASSWORD } });
    await rd.start();
    let upAfter: number | null = null;
    const restartedAt = performance.now();
    for (let attempt = 0; attempt < 100 && upAfter === null; attempt += 1) {
      const [readyA, readyB] = await Promise.all([a.call('/readyz'), b.call('/readyz')]);
      if (JSON.parse(readyA.text).redis === 'up' && JSON.parse(readyB.text).redis === 'up')
        upAfter = performance.now() - restartedAt;
      else await sleep(100);
    }
    const seen = await load.stop();
    // A logout on A reaches B's cache through Redis: well before B's 1 s cache lifetime would.
    const session = sessionCookie(
      (await a.call('/login', { form: { username: 'alice', password: PASSWORD } })).headers,
    )!;
    assert.equal((await b.call('/get-info', { cookie: session })).status, 200, 'B has it cached');
    assert.equal((await a.call('/logout', { cookie: session, form: {} })).status, 204);
    const loggedOut = performance.now();
    let refusedAfter: number | null = null;
    while (refusedAfter === null && performance.now() - loggedOut < 2000) {
      if ((await b.call('/get-info', { cookie: session })).status === 401) refusedAfter = performance.now() - loggedOut;
      else await sleep(10);
    }
    t.diagnostic(
      `statuses while Redis was down and back ${JSON.stringify(seen.statuses)}; client errors ${seen.errors}; /readyz while down: ${readyDown.status} ${JSON.stringify(readyDownBody)}; sign-in while down ${during.status}; both instances reconnected ${upAfter === null ? 'never' : `${Math.round(upAfter)} ms`} after Redis was up; a logout on A refused by B after ${refusedAfter === null ? 'never' : `${Math.round(refusedAfter)} ms`} (cache lifetime 1000 ms)`,
    );
    assert.deepEqual(Object.keys(seen.statuses), ['200'], 'serving went on');
    assert.equal(seen.errors, 0);
    assert.equal(readyDown.status, 200);
    assert.deepEqual(readyDownBody, { status: 'degraded', database: 'up', redis: 'down' });
    assert.equal(during.status, 200);
    assert.ok(upAfter !== null, 'reconnected by itself');
    assert.ok(refusedAfter !== null && refusedAfter < 500, `revocation through Redis: ${refusedAfter} ms`);
  });
});
