import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isGatehouseError } from '../../src/core/errors/errors.js';
import { withHashQueue } from '../../src/core/passwords/hash-queue.js';
import type { PasswordHasher } from '../../src/core/passwords/passwords.js';

/** A hasher whose every call waits until the test releases it; counts how many run at once. */
function gatedHasher() {
  const gates: (() => void)[] = [];
  const state = { running: 0, peak: 0, started: 0 };
  const gated = async <T>(value: T): Promise<T> => {
    state.running += 1;
    state.started += 1;
    state.peak = Math.max(state.peak, state.running);
    await new Promise<void>((resolve) => gates.push(resolve));
    state.running -= 1;
    return value;
  };
  const hasher: PasswordHasher = {
    hash: (password) => gated(`$fake$${password}`),
    verify: (phc, password) => gated(phc === `$fake$${password}`),
    needsRehash: () => false,
  };
  const tick = () => new Promise((resolve) => setImmediate(resolve));
  return {
    hasher,
    state,
    /** Releases the oldest running call and lets the queue move. */
    async releaseOne() {
      gates.shift()!();
      await tick();
      await tick();
    },
    tick,
  };
}

describe('withHashQueue', () => {
  test('runs at most `concurrency` hashes at once and the rest in order as slots free', async () => {
    const gate = gatedHasher();
    const queued = withHashQueue(gate.hasher, { concurrency: 2, maxWaiting: 10 });
    const calls = Array.from({ length: 6 }, (_, index) => queued.hash(`p${index}`));
    await gate.tick();
    assert.equal(gate.state.running, 2);
    for (let index = 0; index < 6; index += 1) await gate.releaseOne();
    assert.deepEqual(await Promise.all(calls), [
      '$fake$p0',
      '$fake$p1',
      '$fake$p2',
      '$fake$p3',
      '$fake$p4',
      '$fake$p5',
    ]);
    assert.equal(gate.state.peak, 2);
    assert.equal(gate.state.started, 6);
  });

  test('refuses at once with ERR_BUSY (Retry-After 1 s) when every slot runs and the queue is full', async () => {
    const gate = gatedHasher();
    const queued = withHashQueue(gate.hasher, { concurrency: 1, maxWaiting: 2 });
    assert.equal(queued.saturated!(), false);
    const accepted = [queued.verify('$fake$a', 'a'), queued.verify('$fake$b', 'x'), queued.verify('$fake$c', 'c')];
    assert.equal(
      queued.saturated!(),
      true,
      'says so before anyone asks, so a sign-in can be refused before any other work',
    );
    await assert.rejects(queued.verify('$fake$d', 'd'), (error: unknown) => {
      assert.ok(isGatehouseError(error, 'ERR_BUSY'));
      assert.equal(error.details?.retryAfterSeconds, 1);
      return true;
    });
    assert.equal(gate.state.started, 1, 'the refused call never reached the hasher');
    for (let index = 0; index < 3; index += 1) await gate.releaseOne();
    assert.deepEqual(await Promise.all(accepted), [true, false, true]);
    assert.equal(queued.saturated!(), false);
    // Once drained, it accepts again.
    const again = queued.hash('e');
    await gate.tick();
    await gate.releaseOne();
    assert.equal(await again, '$fake$e');
  });

  test('a failing hash frees its slot', async () => {
    let calls = 0;
    const failing: PasswordHasher = {
      hash: async () => {
        calls += 1;
        if (calls === 1) throw new Error('boom');
        return 'ok';
      },
      verify: async () => true,
      needsRehash: () => false,
    };
    const queued = withHashQueue(failing, { concurrency: 1, maxWaiting: 0 });
    await assert.rejects(queued.hash('x'), /boom/);
    assert.equal(await queued.hash('y'), 'ok');
  });

  test('rejects nonsensical bounds when built', () => {
    const hasher: PasswordHasher = { hash: async () => '', verify: async () => true, needsRehash: () => false };
    assert.throws(() => withHashQueue(hasher, { concurrency: 0 }), RangeError);
    assert.throws(() => withHashQueue(hasher, { maxWaiting: -1 }), RangeError);
  });
});
