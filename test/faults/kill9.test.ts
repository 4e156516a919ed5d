import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestDatabase, type TestDatabase } from '../helpers/services.js';
import { addUser, sessionCookie, startGatehouse, type Gatehouse } from './helpers.js';

const PASSWORD = 'kill nine password 1';
const database = await createTestDatabase();

/** What the writers were told was done (a 2xx), by kind. */
interface Acknowledged {
  sessions: string[];
  refreshTokens: string[];
  apiKeys: string[];
  failedWhileRunning: number;
}

/**
 * Three writers until stopped: sign-ins (a session each), POST /token (a
 * refresh token each) and POST /api-keys (a key each), with `cookie` for the
 * last two. Every write answered 2xx is recorded; anything else (the kill
 * cuts the writes in flight) is not.
 */
function startWriters(instance: Gatehouse, cookie: string) {
  const done: Acknowledged = { sessions: [], refreshTokens: [], apiKeys: [], failedWhileRunning: 0 };
  let running = true;
  const loop = async (write: (round: number) => Promise<void>) => {
    for (let round = 0; running; round += 1) {
      try {
        await write(round);
      } catch {
        if (running) done.failedWhileRunning += 1;
        // A macrotask between failures: refused connections fail at once.
        await sleep(5);
      }
    }
  };
  const loops = [
    loop(async () => {
      const answer = await instance.call('/login', { form: { username: 'writer', password: PASSWORD } });
      if (answer.status === 200) done.sessions.push(sessionCookie(answer.headers)!);
    }),
    loop(async () => {
      const answer = await instance.call('/token', { method: 'POST', cookie, json: {} });
      if (answer.status === 200) done.refreshTokens.push(JSON.parse(answer.text).refresh_token);
    }),
    loop(async (round) => {
      const answer = await instance.call('/api-keys', { cookie, json: { name: `key ${round}` } });
      if (answer.status === 201) done.apiKeys.push(JSON.parse(answer.text).id);
    }),
  ];
  return {
    done,
    async stop() {
      running = false;
      await Promise.allSettled(loops);
    },
  };
}

async function killDuringWrites(t: { diagnostic(message: string): void }, kind: string, args: string[]) {
  const env = { GATEHOUSE_MASTER_KEY: randomBytes(32).toString('base64url') };
  const first = await startGatehouse(args, { env });
  const dataArgs = args.includes('--db') ? ['--db', args[args.indexOf('--db') + 1]!] : ['--data', first.data];
  const restartArgs = args.filter((arg) => arg !== '--migrate');
  let second: Gatehouse | undefined;
  try {
    await addUser(dataArgs, 'writer', PASSWORD);
    const cookie = sessionCookie(
      (await first.call('/login', { form: { username: 'writer', password: PASSWORD } })).headers,
    )!;
    const writers = startWriters(first, cookie);
    await sleep(2500);
    // SIGKILL: no drain, no flush, no close; whatever was acknowledged must be on disk.
    assert.equal(await first.stop('SIGKILL'), null);
    await writers.stop();
    await first.dispatcher.close();
    const { done } = writers;

    second = await startGatehouse(restartArgs, { data: first.data, env });
    let sessions = 0;
    for (const session of done.sessions)
      if ((await second.call('/get-info', { cookie: session })).status === 200) sessions += 1;
    let refreshTokens = 0;
    for (const token of done.refreshTokens) {
      const answer = await second.call('/oauth/token', { form: { grant_type: 'refresh_token', refresh_token: token } });
      if (answer.status === 200) refreshTokens += 1;
    }
    const listed = JSON.parse((await second.call('/api-keys', { cookie })).text).apiKeys.map(
      (key: { id: string }) => key.id,
    );
    const apiKeys = done.apiKeys.filter((id) => listed.includes(id)).length;
    t.diagnostic(
      `${kind}: acknowledged before kill -9 / present after restart: sessions ${done.sessions.length}/${sessions}, refresh tokens ${done.refreshTokens.length}/${refreshTokens}, API keys ${done.apiKeys.length}/${apiKeys}; writes cut by the kill (not acknowledged) ${done.failedWhileRunning}`,
    );
    assert.ok(done.sessions.length > 0 && done.refreshTokens.length > 0 && done.apiKeys.length > 0);
    assert.equal(sessions, done.sessions.length, 'every acknowledged session');
    assert.equal(refreshTokens, done.refreshTokens.length, 'every acknowledged refresh token');
    assert.equal(apiKeys, done.apiKeys.length, 'every acknowledged API key');
  } finally {
    if (first.child.exitCode === null) first.child.kill('SIGKILL');
    await second?.close();
    rmSync(first.data, { recursive: true, force: true });
  }
}

// Issue #15: kill -9 while sessions, tokens and keys are written; nothing acknowledged may be lost.
describe('kill -9 during writes: every write acknowledged with 2xx is there after restart', () => {
  test('SQLite', async (t) => {
    await killDuringWrites(t, 'SQLite', []);
  });

  test('PostgreSQL', { skip: typeof database === 'string' && database }, async (t) => {
    await killDuringWrites(t, 'PostgreSQL', ['--db', (database as TestDatabase).url, '--migrate']);
  });

  after(async () => {
    if (typeof database !== 'string') await database.drop();
  });
});
