import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createManualClock } from '../../src/core/shared/clock.js';
import { createAuthCore } from '../../src/core/index.js';
import { loadMasterKey } from '../../src/server/master-key.js';
import { openStore } from '../../src/store/index.js';
import { runCLI } from '../helpers/process.js';
import { COOKIE, startTestServer } from '../helpers/server.js';
import { createCLIFixture, fails, ok } from './helpers.js';

// Issue #22, defect 7: the CLI reads the settings the server runs with (the one table), as `gatehouse serve` does.
// Run against the built CLI (`npm run build` first), as operators run it.
const fixture = createCLIFixture();
const { data } = fixture;
const HOUR_MS = 3_600_000;
/** Every setting this file uses, unset unless a test sets it: the environment of the test run does not leak in. */
const UNSET = {
  GATEHOUSE_SESSION_IDLE_TIMEOUT: '',
  GATEHOUSE_SIGNING_ALGORITHM: '',
  GATEHOUSE_DATA: '',
  GATEHOUSE_CONFIG: '',
};
const gatehouse = (args: string[], env: Record<string, string> = {}) =>
  runCLI(args, { built: true, env: { ...UNSET, ...env } });
let sessionToken = '';
let sessionId = '';

before(async () => {
  loadMasterKey(data);
  // A session last seen an hour ago: ended under the default idle timeout (30 min), live under 2 h.
  const store = await openStore({ url: `sqlite:${join(data, 'gatehouse.db')}` });
  try {
    const core = createAuthCore({
      store,
      clock: createManualClock(Date.now() - HOUR_MS),
      sessionPolicy: { idleTimeoutSeconds: 7200 },
    });
    const user = await core.users.createUser({ username: 'alice', password: 'alice settings password 1' });
    const created = await core.sessions.createSession(user.id, { ip: '10.0.0.1' });
    sessionToken = created.token;
    sessionId = created.session.id;
  } finally {
    await store.close();
  }
});
after(() => fixture.remove());

const listed = async (args: string[], env?: Record<string, string>) =>
  (JSON.parse(ok(await gatehouse(['sessions', 'list', '--json', ...args], env))) as { id: string }[]).map(
    (row) => row.id,
  );

describe('the CLI and the settings table', { timeout: 120_000 }, () => {
  test('defect 7: the CLI honours GATEHOUSE_SESSION_IDLE_TIMEOUT', async () => {
    assert.deepEqual(await listed(['--data', data]), [], 'under the default idle timeout it has ended');
    assert.deepEqual(await listed(['--data', data], { GATEHOUSE_SESSION_IDLE_TIMEOUT: '7200' }), [sessionId]);
  });

  test('defect 7: the config file, the data variables and bad values reach the CLI as they reach the server', async () => {
    const file = join(data, 'gatehouse.json');
    writeFileSync(file, JSON.stringify({ sessionIdleTimeoutSeconds: 7200, signingAlgorithm: 'ES256' }));
    // The data folder from GATEHOUSE_DATA, every other setting from --config (or GATEHOUSE_CONFIG).
    assert.deepEqual(await listed(['--config', file], { GATEHOUSE_DATA: data }), [sessionId]);
    assert.deepEqual(await listed([], { GATEHOUSE_DATA: data, GATEHOUSE_CONFIG: file }), [sessionId]);
    // A variable beats the file, as for the server.
    assert.deepEqual(
      await listed(['--config', file], { GATEHOUSE_DATA: data, GATEHOUSE_SESSION_IDLE_TIMEOUT: '60' }),
      [],
    );
    // The key algorithm the server is configured with is the one `keys rotate` makes.
    const rotated = JSON.parse(ok(await gatehouse(['keys', 'rotate', '--json', '--data', data, '--config', file])));
    assert.equal(rotated.alg, 'ES256');
    const plain = JSON.parse(
      ok(await gatehouse(['keys', 'rotate', '--json', '--data', data], { GATEHOUSE_SIGNING_ALGORITHM: 'EdDSA' })),
    );
    assert.equal(plain.alg, 'EdDSA');
    fails(
      await gatehouse(['sessions', 'list', '--data', data], { GATEHOUSE_SESSION_IDLE_TIMEOUT: 'soon' }),
      'invalid configuration: sessionIdleTimeoutSeconds: must be a whole number from 1 to 31536000 (from GATEHOUSE_SESSION_IDLE_TIMEOUT)',
    );
  });

  // Last: the server's use of the session makes it fresh.
  test('defect 7: the server, with the same setting, accepts the session the CLI lists', async () => {
    const server = await startTestServer({ data, config: { sessionIdleTimeoutSeconds: 7200 } });
    try {
      const answer = await server.request('/sessions', { cookie: `${COOKIE}=${sessionToken}` });
      assert.equal(answer.status, 200, answer.text);
    } finally {
      await server.stop();
    }
  });
});
