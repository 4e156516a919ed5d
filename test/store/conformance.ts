import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { SessionRecord, Store, UserRecord } from '../../src/core/store.js';

let counter = 0;
function user(overrides: Partial<UserRecord> = {}): UserRecord {
  counter += 1;
  return {
    id: `user-${counter}`,
    username: `User${counter}`,
    usernameKey: `user${counter}`,
    passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA',
    disabled: false,
    roles: [],
    createdAt: 1_000,
    updatedAt: 1_000,
    ...overrides,
  };
}

function session(userId: string, overrides: Partial<SessionRecord> = {}): SessionRecord {
  counter += 1;
  return {
    id: `session-${counter}`,
    tokenHash: `hash-${counter}`,
    userId,
    createdAt: 10_000 + counter,
    lastSeenAt: 10_000 + counter,
    expiresAt: 100_000,
    ip: '127.0.0.1',
    userAgent: 'test',
    ...overrides,
  };
}

/**
 * The contract every {@link Store} must keep. Each backend's test file calls
 * this with a function that opens a fresh, empty store.
 */
export function runStoreConformance(name: string, open: () => Promise<Store>): void {
  describe(`store conformance: ${name}`, () => {
    let store: Store;
    before(async () => {
      store = await open();
    });
    after(async () => {
      await store.close();
    });

    test('creates a user and finds it by id and by key, with roles', async () => {
      const record = user({ roles: ['admin', 'ops'] });
      assert.equal(await store.createUser(record), true);
      assert.deepEqual(await store.findUserById(record.id), record);
      assert.deepEqual(await store.findUserByKey(record.usernameKey), record);
      assert.equal(await store.findUserById('missing'), null);
      assert.equal(await store.findUserByKey('missing'), null);
    });

    test('refuses a second user with the same key', async () => {
      const first = user();
      assert.equal(await store.createUser(first), true);
      assert.equal(await store.createUser(user({ usernameKey: first.usernameKey })), false);
    });

    test('lists users ordered by key and counts them', async () => {
      const before = await store.countUsers();
      await store.createUser(user({ usernameKey: 'zz-last' }));
      await store.createUser(user({ usernameKey: 'aa-first' }));
      const keys = (await store.listUsers()).map((item) => item.usernameKey);
      assert.deepEqual(keys, [...keys].sort());
      assert.equal(await store.countUsers(), before + 2);
    });

    test('updates only the given fields', async () => {
      const record = user({ roles: ['a'] });
      await store.createUser(record);
      assert.equal(await store.updateUser(record.id, { disabled: true, updatedAt: 2_000 }), true);
      assert.deepEqual(await store.findUserById(record.id), { ...record, disabled: true, updatedAt: 2_000 });
      assert.equal(await store.updateUser(record.id, { roles: [], passwordHash: 'new', updatedAt: 3_000 }), true);
      assert.deepEqual(await store.findUserById(record.id), {
        ...record,
        disabled: true,
        roles: [],
        passwordHash: 'new',
        updatedAt: 3_000,
      });
      assert.equal(await store.updateUser('missing', { disabled: true, updatedAt: 1 }), false);
    });

    test('stores sessions and finds them by token hash and id', async () => {
      const owner = user();
      await store.createUser(owner);
      const record = session(owner.id, { ip: null, userAgent: null });
      await store.createSession(record);
      assert.deepEqual(await store.findSessionByTokenHash(record.tokenHash), record);
      assert.deepEqual(await store.findSessionById(record.id), record);
      assert.equal(await store.findSessionByTokenHash('missing'), null);
    });

    test('lists sessions newest first, per user or all', async () => {
      const owner = user();
      const other = user();
      await store.createUser(owner);
      await store.createUser(other);
      const older = session(owner.id, { createdAt: 1 });
      const newer = session(owner.id, { createdAt: 2 });
      await store.createSession(older);
      await store.createSession(newer);
      await store.createSession(session(other.id));
      assert.deepEqual(
        (await store.listSessions({ userId: owner.id })).map((item) => item.id),
        [newer.id, older.id],
      );
      const all = await store.listSessions({});
      assert.ok(all.length >= 3);
      assert.ok(all.some((item) => item.userId === other.id));
    });

    test('touches a session', async () => {
      const owner = user();
      await store.createUser(owner);
      const record = session(owner.id);
      await store.createSession(record);
      await store.touchSession(record.id, 50_000, 60_000);
      assert.deepEqual(await store.findSessionById(record.id), { ...record, lastSeenAt: 50_000, expiresAt: 60_000 });
    });

    test('deletes one session, all of a user but one, and expired ones', async () => {
      const owner = user();
      await store.createUser(owner);
      const [a, b, c, d] = [session(owner.id), session(owner.id), session(owner.id), session(owner.id)];
      for (const item of [a, b, c, d]) await store.createSession(item!);
      assert.equal(await store.deleteSession(a!.id), true);
      assert.equal(await store.deleteSession(a!.id), false);
      assert.equal(await store.deleteUserSessions(owner.id, { keepId: b!.id }), 2);
      assert.deepEqual((await store.listSessions({ userId: owner.id })).map((item) => item.id), [b!.id]);
      assert.equal(await store.deleteUserSessions(owner.id), 1);
      assert.deepEqual(await store.listSessions({ userId: owner.id }), []);
    });

    test('purges sessions that expired at or before now, and only those', async () => {
      const owner = user();
      await store.createUser(owner);
      const expired = session(owner.id, { expiresAt: 5_000 });
      const boundary = session(owner.id, { expiresAt: 6_000 });
      const live = session(owner.id, { expiresAt: 7_000 });
      for (const item of [expired, boundary, live]) await store.createSession(item);
      assert.ok((await store.purgeExpiredSessions(6_000)) >= 2);
      assert.equal(await store.findSessionById(expired.id), null);
      assert.equal(await store.findSessionById(boundary.id), null);
      assert.deepEqual(await store.findSessionById(live.id), live);
    });

    test('deleting a user deletes its sessions', async () => {
      const owner = user();
      await store.createUser(owner);
      const record = session(owner.id);
      await store.createSession(record);
      assert.equal(await store.deleteUser(owner.id), true);
      assert.equal(await store.findUserById(owner.id), null);
      assert.equal(await store.findSessionById(record.id), null);
      assert.equal(await store.deleteUser(owner.id), false);
    });

    test('a session cannot belong to a user that does not exist', async () => {
      await assert.rejects(store.createSession(session('no-such-user')));
    });

    test('answers ping', async () => {
      assert.equal(await store.ping(), true);
    });
  });
}
