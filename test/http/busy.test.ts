import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createArgon2Hasher, type PasswordHasher } from '../../src/core/passwords/passwords.js';
import { COOKIE, startTestServer } from '../helpers/server.js';

test('when the hash queue is full, a sign-in answers 503 ERR_BUSY with Retry-After at once; signed-in requests go on', async () => {
  // Verification waits for the test to let it go, so the queue fills deterministically.
  const argon2 = createArgon2Hasher();
  let hold = false;
  const released: (() => void)[] = [];
  const hasher: PasswordHasher = {
    hash: (password) => argon2.hash(password),
    async verify(phc, password) {
      if (hold) await new Promise<void>((resolve) => released.push(resolve));
      return argon2.verify(phc, password);
    },
    needsRehash: (phc) => argon2.needsRehash(phc),
  };
  const server = await startTestServer({ hasher, hashQueue: { concurrency: 1, maxWaiting: 1 } });
  try {
    const password = 'busy test password 1';
    await server.core.users.createUser({ username: 'busy', password });
    const login = await server.request('/login', { form: { username: 'busy', password } });
    const cookie = `${COOKIE}=${login.setCookie(COOKIE)}`;

    hold = true;
    // One runs, one waits: the queue is full.
    const running = server.request('/login', { form: { username: 'busy', password } });
    const waiting = server.request('/login', { form: { username: 'nobody', password } });
    while (released.length < 1) await new Promise((resolve) => setTimeout(resolve, 5));
    for (const username of ['busy', 'nobody']) {
      const refused = await server.request('/login', { form: { username, password } });
      assert.equal(refused.status, 503, username);
      assert.equal(refused.headers['retry-after'], '1');
      assert.equal(refused.headers['content-type'], 'application/problem+json; charset=utf-8');
      assert.equal(refused.json.code, 'ERR_BUSY');
      assert.equal(refused.setCookie(COOKIE), undefined);
    }
    // Signed-in traffic does not queue behind the hashes.
    assert.equal((await server.request('/get-info', { cookie })).status, 200);

    hold = false;
    while (released.length > 0) released.shift()!();
    // The held sign-in finishes and hands its slot to the waiting one.
    await new Promise((resolve) => setTimeout(resolve, 50));
    while (released.length > 0) released.shift()!();
    assert.equal((await running).status, 200);
    assert.equal((await waiting).status, 401, 'an unknown user waits in the same queue and is refused as usual');
    assert.equal(
      (await server.request('/login', { form: { username: 'busy', password } })).status,
      200,
      'accepted again once drained',
    );
  } finally {
    await server.stop();
  }
});
