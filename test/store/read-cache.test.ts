import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import type { SessionRecord, Store, UserRecord } from '../../src/core/store/index.js';
import { openStore } from '../../src/store/index.js';
import { STORE_METHODS, withReadCache, type CacheChange } from '../../src/store/read-cache.js';

// Two stores on one SQLite file stand for two processes (an instance and the
// CLI, or two instances): what one writes, the other's cache learns only by expiry.
const TTL = 150;
const dir = mkdtempSync(join(tmpdir(), 'gatehouse-cache-'));
let here: Store;
let elsewhere: Store;

const alice: UserRecord = {
  id: 'u1',
  username: 'alice',
  usernameKey: 'alice',
  passwordHash: 'h',
  disabled: false,
  roles: [],
  createdAt: 1,
  updatedAt: 1,
};
const session = (id: string): SessionRecord => ({
  id,
  tokenHash: `hash-${id}`,
  userId: 'u1',
  createdAt: 1,
  authenticatedAt: 1,
  lastSeenAt: 1,
  expiresAt: Date.now() + 60_000,
  ip: null,
  userAgent: null,
  authMethods: ['pwd'],
});

before(async () => {
  const url = `sqlite:${join(dir, 'shared.db')}`;
  elsewhere = await openStore({ url });
  here = withReadCache(await openStore({ url }), { ttlMs: TTL }).store;
  await elsewhere.createUser(alice);
});
after(async () => {
  await here.close();
  await elsewhere.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a session revoked elsewhere is refused here within the time to live', async () => {
  await elsewhere.createSession(session('s1'));
  assert.equal((await here.findSessionByTokenHash('hash-s1'))?.id, 's1');
  await elsewhere.deleteSession('s1');
  const revokedAt = Date.now();
  while ((await here.findSessionByTokenHash('hash-s1')) !== null) {
    assert.ok(Date.now() - revokedAt <= TTL + 50, 'still served after the time to live');
    await sleep(10);
  }
});

test('a revocation made here is seen here at once, whatever the time to live', async () => {
  await elsewhere.createSession(session('s2'));
  await elsewhere.createSession(session('s3'));
  assert.ok(await here.findSessionByTokenHash('hash-s2'));
  assert.ok(await here.findSessionById('s3'));
  await here.deleteUserSessions('u1', { keepId: 's3' });
  assert.equal(await here.findSessionByTokenHash('hash-s2'), null);
  assert.ok(await here.findSessionById('s3'), 'the kept session stays');
  assert.ok(await here.findUserById('u1'));
  await here.updateUser('u1', { disabled: true, updatedAt: 2 });
  assert.equal((await here.findUserById('u1'))?.disabled, true);
  await here.updateUser('u1', { disabled: false, updatedAt: 3 });
});

test('a miss is never cached: a session made elsewhere is found here at once', async () => {
  assert.equal(await here.findSessionByTokenHash('hash-s4'), null);
  await elsewhere.createSession(session('s4'));
  assert.equal((await here.findSessionByTokenHash('hash-s4'))?.id, 's4');
});

test('a user disabled elsewhere is seen disabled here within the time to live', async () => {
  assert.equal((await here.findUserById('u1'))?.disabled, false);
  await elsewhere.updateUser('u1', { disabled: true, updatedAt: 4 });
  await sleep(TTL + 10);
  assert.equal((await here.findUserById('u1'))?.disabled, true);
});

test('a token id revoked elsewhere is refused here within the time to live; one revoked here at once', async () => {
  assert.equal(await here.isTokenIdRevoked('jti-1'), false);
  await elsewhere.revokeTokenId('jti-1', Date.now() + 60_000);
  await sleep(TTL + 10);
  assert.equal(await here.isTokenIdRevoked('jti-1'), true);
  assert.equal(await here.isTokenIdRevoked('jti-2'), false);
  await here.revokeTokenId('jti-2', Date.now() + 60_000);
  assert.equal(await here.isTokenIdRevoked('jti-2'), true);
});

test('a change announced by another instance is applied at once (the Redis broadcast carries these)', async () => {
  const url = `sqlite:${join(dir, 'shared.db')}`;
  const changes: CacheChange[] = [];
  const a = withReadCache(await openStore({ url }), { ttlMs: 60_000, onChange: (change) => changes.push(change) });
  const b = withReadCache(await openStore({ url }), { ttlMs: 60_000 });
  try {
    await elsewhere.updateUser('u1', { disabled: false, updatedAt: 5 });
    await elsewhere.createSession(session('s5'));
    await elsewhere.createSession(session('s6'));
    assert.ok(await b.store.findSessionByTokenHash('hash-s5'));
    assert.ok(await b.store.findSessionByTokenHash('hash-s6'));
    assert.equal((await b.store.findUserById('u1'))?.disabled, false);
    await a.store.deleteSession('s5');
    await a.store.updateUser('u1', { disabled: true, updatedAt: 6 });
    assert.deepEqual(changes, [
      { kind: 'session', id: 's5' },
      { kind: 'user', id: 'u1' },
    ]);
    // Round-trip through JSON, as over Redis; junk is ignored.
    for (const change of changes) b.apply(JSON.parse(JSON.stringify(change)));
    b.apply({ kind: 'nonsense' } as never);
    b.apply(null as never);
    assert.equal(await b.store.findSessionByTokenHash('hash-s5'), null, 'well within the 60 s time to live');
    assert.ok(await b.store.findSessionByTokenHash('hash-s6'), 'other sessions stay cached');
    assert.equal((await b.store.findUserById('u1'))?.disabled, true);
  } finally {
    await a.store.close();
    await b.store.close();
  }
});

test('defect 5: a scope removed by another instance drops the keys and clients cached here that carried it', async () => {
  const url = `sqlite:${join(dir, 'shared.db')}`;
  const changes: CacheChange[] = [];
  const a = withReadCache(await openStore({ url }), { ttlMs: 60_000, onChange: (change) => changes.push(change) });
  const b = withReadCache(await openStore({ url }), { ttlMs: 60_000 });
  const key = (id: string, scopes: string[]) => ({
    id,
    userId: 'u1',
    name: id,
    secretHash: `h-${id}`,
    scopes,
    createdAt: 1,
    expiresAt: null,
    lastUsedAt: null,
  });
  try {
    await elsewhere.createScope({ name: 'cache:gone', description: 'd', roles: [], createdAt: 1 });
    await elsewhere.createApiKey(key('k-gone', ['cache:gone', 'cache:kept']));
    assert.deepEqual((await b.store.findApiKeyByHash('h-k-gone'))?.scopes, ['cache:gone', 'cache:kept']);
    assert.equal(await a.store.deleteScope('cache:gone'), true);
    assert.deepEqual(changes, [{ kind: 'scopes', removed: 'cache:gone' }]);
    for (const change of changes) b.apply(JSON.parse(JSON.stringify(change)));
    assert.deepEqual(
      (await b.store.findApiKeyByHash('h-k-gone'))?.scopes,
      ['cache:kept'],
      'within the 60 s time to live',
    );
  } finally {
    await a.store.close();
    await b.store.close();
  }
});

test('a time to live of 0 is no cache at all', async () => {
  const store = await openStore({ url: 'sqlite::memory:' });
  assert.equal(withReadCache(store, { ttlMs: 0 }).store, store);
  await store.close();
});

test('every Store method is classified: a new write cannot skip invalidation unnoticed', async () => {
  const store = await openStore({ url: 'sqlite::memory:' });
  try {
    const methods = Object.keys(store).sort();
    assert.deepEqual(methods, Object.keys(STORE_METHODS).sort());
  } finally {
    await store.close();
  }
});

test('a read that began before a write is not cached after it (#14)', async () => {
  const store = await openStore({ url: 'sqlite::memory:' });
  await store.createUser(alice);
  // The first read of the user is slow: it reads the row, then a write lands before it returns.
  let release: () => void = () => undefined;
  let slow = true;
  const racing: Store = {
    ...store,
    async findUserById(id) {
      const row = await store.findUserById(id);
      if (slow) {
        slow = false;
        await new Promise<void>((resolve) => (release = resolve));
      }
      return row;
    },
  };
  const cached = withReadCache(racing, { ttlMs: 60_000 }).store;
  try {
    const stale = cached.findUserById('u1');
    await sleep(10);
    await cached.updateUser('u1', { disabled: true, updatedAt: 2 });
    release();
    assert.equal((await stale)?.disabled, false, 'the slow read saw the row before the write');
    assert.equal((await cached.findUserById('u1'))?.disabled, true, 'and was not kept: the next read is fresh');
  } finally {
    await store.close();
  }
});

test('defect 1 (#22): a session token rotated on one instance is refused at once here and on the others', async () => {
  const url = `sqlite:${join(dir, 'shared.db')}`;
  const changes: CacheChange[] = [];
  const a = withReadCache(await openStore({ url }), { ttlMs: 60_000, onChange: (change) => changes.push(change) });
  const b = withReadCache(await openStore({ url }), { ttlMs: 60_000 });
  try {
    await elsewhere.createSession(session('s7'));
    for (const store of [a.store, b.store]) {
      assert.ok(await store.findSessionByTokenHash('hash-s7'));
      assert.ok(await store.findSessionById('s7'));
    }
    const next = { tokenHash: 'hash-s7-next', authenticatedAt: 7, authMethods: ['pwd'], lastSeenAt: 7, expiresAt: 0 };
    assert.equal(await a.store.rotateSessionToken('s7', 'hash-s7', { ...next, expiresAt: Date.now() + 60_000 }), true);
    assert.deepEqual(changes, [{ kind: 'session', id: 's7' }]);
    assert.equal(await a.store.findSessionByTokenHash('hash-s7'), null, 'here at once');
    assert.equal((await a.store.findSessionById('s7'))?.tokenHash, 'hash-s7-next');
    for (const change of changes) b.apply(JSON.parse(JSON.stringify(change)));
    assert.equal(await b.store.findSessionByTokenHash('hash-s7'), null, 'there, well within the time to live');
    assert.equal((await b.store.findSessionByTokenHash('hash-s7-next'))?.authenticatedAt, 7);
  } finally {
    await a.store.close();
    await b.store.close();
  }
});
