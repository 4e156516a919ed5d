import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { redisSkipReason, TEST_REDIS_URL } from '../helpers/services.js';
import { addUser, runBuiltCLI, startGatehouse, type Gatehouse } from './helpers.js';

const PASSWORD = 'namespace password 1';
const skip = (await redisSkipReason()) ?? false;

// Issue #15: two deployments on one Redis shared throttle counters (keys gatehouse:throttle:*),
// so failures in staging locked the same name out in production.
describe('two deployments on one Redis', { skip }, () => {
  const deployments: Gatehouse[] = [];
  const ids: string[] = [];
  before(async () => {
    for (let index = 0; index < 2; index += 1) {
      const deployment = await startGatehouse(['--redis', TEST_REDIS_URL, '--throttle-account-failures', '3']);
      deployments.push(deployment);
      await addUser(['--data', deployment.data], 'shared-name', PASSWORD);
      const status = await runBuiltCLI(['migrate', 'status', '--json', '--data', deployment.data]);
      ids.push(JSON.parse(status.stdout).deploymentId);
    }
  });
  after(async () => {
    for (const deployment of deployments) {
      await deployment.close();
      rmSync(deployment.data, { recursive: true, force: true });
    }
  });

  test('throttling a name in A leaves the same name in B untouched; each has its own keys (#15)', async (t) => {
    const [a, b] = deployments as [Gatehouse, Gatehouse];
    assert.notEqual(ids[0], ids[1], 'each database made its own deployment id');
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 4; attempt += 1)
      statuses.push(
        (await a.call('/login', { form: { username: 'shared-name', password: `wrong ${attempt}` } })).status,
      );
    assert.deepEqual(statuses, [401, 401, 429, 429], 'A blocks the name on the 3rd failure');
    const inB = await b.call('/login', { form: { username: 'shared-name', password: PASSWORD } });
    assert.equal(inB.status, 200, 'B signs the same name in');
    const inA = await a.call('/login', { form: { username: 'shared-name', password: PASSWORD } });
    assert.equal(inA.status, 429, 'A still blocks it');

    const redis = new Redis(TEST_REDIS_URL);
    try {
      const keysA = await redis.keys(`gatehouse:${ids[0]}:throttle:*`);
      const keysB = await redis.keys(`gatehouse:${ids[1]}:throttle:*`);
      t.diagnostic(
        `A: ${statuses.join(' ')} then the right password ${inA.status}; B: right password ${inB.status}; Redis keys: A ${keysA.length} under gatehouse:${ids[0]}:, B ${keysB.length} under gatehouse:${ids[1]}:`,
      );
      // (Keys without a deployment may exist: this Redis is shared with other suites and older builds.)
      assert.ok(keysA.length > 0);
    } finally {
      redis.disconnect();
    }
  });

  test('--redis-prefix joins a deployment to a namespace by name', async () => {
    const joined = await startGatehouse([
      '--redis',
      TEST_REDIS_URL,
      '--redis-prefix',
      `gatehouse:${ids[0]}`,
      '--throttle-account-failures',
      '3',
    ]);
    try {
      await addUser(['--data', joined.data], 'shared-name', PASSWORD);
      const answer = await joined.call('/login', { form: { username: 'shared-name', password: PASSWORD } });
      assert.equal(answer.status, 429, "A's block, read from A's namespace");
    } finally {
      await joined.close();
      rmSync(joined.data, { recursive: true, force: true });
    }
  });
});
