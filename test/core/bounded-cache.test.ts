import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { BoundedCache } from '../../src/core/shared/bounded-cache.js';

test('an entry is returned before its deadline and never at or after it', () => {
  const cache = new BoundedCache<string, number>(10);
  cache.set('a', 1, 1000);
  assert.equal(cache.get('a', 999), 1);
  assert.equal(cache.get('a', 1000), undefined);
  assert.equal(cache.size, 0, 'an expired entry is dropped when seen');
});

test('never holds more than maxEntries; the oldest goes first', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 20 }),
      fc.array(fc.string({ maxLength: 3 }), { maxLength: 200 }),
      (max, keys) => {
        const cache = new BoundedCache<string, string>(max);
        for (const key of keys) {
          cache.set(key, key, Number.MAX_SAFE_INTEGER);
          assert.ok(cache.size <= max);
          assert.equal(cache.get(key, 0), key, 'the newest entry is always kept');
        }
      },
    ),
  );
  const cache = new BoundedCache<string, number>(2);
  cache.set('a', 1, 10);
  cache.set('b', 2, 10);
  cache.set('c', 3, 10);
  assert.deepEqual([cache.get('a', 0), cache.get('b', 0), cache.get('c', 0)], [undefined, 2, 3]);
});

test('deleteWhere drops exactly the matching values', () => {
  const cache = new BoundedCache<string, { user: string }>(10);
  cache.set('s1', { user: 'u1' }, 10);
  cache.set('s2', { user: 'u2' }, 10);
  cache.set('s3', { user: 'u1' }, 10);
  cache.deleteWhere((value) => value.user === 'u1');
  assert.deepEqual(
    [cache.get('s1', 0), cache.get('s2', 0), cache.get('s3', 0)],
    [undefined, { user: 'u2' }, undefined],
  );
});

test('refuses a size bound that is not a positive integer', () => {
  assert.throws(() => new BoundedCache(0), RangeError);
  assert.throws(() => new BoundedCache(1.5), RangeError);
});
