import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { SessionRecord, Store, UserRecord } from '../../src/core/store/index.js';

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
    authMethods: ['mfa', 'otp', 'pwd'],
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
      assert.deepEqual(
        (await store.listSessions({ userId: owner.id })).map((item) => item.id),
        [b!.id],
      );
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

    test('counts sessions that expire after now, not at or before', async () => {
      const owner = user();
      await store.createUser(owner);
      const now = 8_000_000_000_000;
      const before = await store.countSessions(now);
      await store.createSession(session(owner.id, { expiresAt: now }));
      await store.createSession(session(owner.id, { expiresAt: now + 1 }));
      await store.createSession(session(owner.id, { expiresAt: now + 2 }));
      assert.equal(await store.countSessions(now), before + 2);
      assert.equal(await store.countSessions(now + 1), before + 1);
      await store.deleteUserSessions(owner.id);
      assert.equal(await store.countSessions(now), before);
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

    test('signing keys: rotation retires the active key in the same step; expired retired keys are purged', async () => {
      const key = (kid: string, createdAt: number) => ({
        kid,
        alg: 'EdDSA' as const,
        publicJwk: '{"kty":"OKP"}',
        privateJwe: 'jwe',
        createdAt,
        retiredAt: null,
        expiresAt: null,
      });
      await store.rotateSigningKey(key('k1', 1), 1, 1);
      await store.rotateSigningKey(key('k2', 2), 2, 500);
      await store.rotateSigningKey(key('k3', 3), 3, 900);
      const keys = await store.listSigningKeys();
      assert.deepEqual(
        keys.map((item) => [item.kid, item.retiredAt, item.expiresAt]),
        [
          ['k3', null, null],
          ['k2', 3, 900],
          ['k1', 2, 500],
        ],
      );
      assert.equal(await store.purgeExpiredSigningKeys(500), 1);
      assert.deepEqual(
        (await store.listSigningKeys()).map((item) => item.kid),
        ['k3', 'k2'],
      );
      assert.equal(await store.purgeExpiredSigningKeys(10_000), 1, 'never the active key');
      assert.deepEqual(
        (await store.listSigningKeys()).map((item) => item.kid),
        ['k3'],
      );
      // One active key per algorithm: an RS256 key (for ID tokens) retires only the RS256 key before it.
      await store.rotateSigningKey({ ...key('r1', 4), alg: 'RS256' }, 4, 1000);
      await store.rotateSigningKey({ ...key('r2', 5), alg: 'RS256' }, 5, 1100);
      assert.deepEqual(
        (await store.listSigningKeys()).map((item) => [item.kid, item.alg, item.retiredAt]),
        [
          ['r2', 'RS256', null],
          ['r1', 'RS256', 5],
          ['k3', 'EdDSA', null],
        ],
      );
    });

    test('clients: unique names, lookups, secret update, delete', async () => {
      const client = {
        id: 'c1',
        name: 'billing',
        secretHash: 'h1',
        publicJwk: null,
        tlsSubject: null,
        tlsThumbprint: null,
        scopes: ['a', 'b'],
        createdAt: 1,
        updatedAt: 1,
      };
      const certified = {
        ...client,
        id: 'c3',
        name: 'orders',
        secretHash: null,
        tlsSubject: 'CN=orders,O=Example',
        tlsThumbprint: 'x'.repeat(43),
      };
      assert.equal(await store.createClient(certified), true);
      assert.deepEqual(await store.findClientById('c3'), certified, 'certificate bindings are kept');
      assert.equal(await store.deleteClient('c3'), true);
      assert.equal(await store.createClient(client), true);
      assert.equal(await store.createClient({ ...client, id: 'c2' }), false);
      assert.deepEqual(await store.findClientById('c1'), client);
      assert.deepEqual(await store.findClientByName('billing'), client);
      assert.equal(await store.updateClientSecret('c1', 'h2', 5), true);
      assert.deepEqual(await store.findClientById('c1'), { ...client, secretHash: 'h2', updatedAt: 5 });
      assert.equal(await store.updateClientSecret('nope', 'h', 5), false);
      assert.deepEqual(
        (await store.listClients()).map((item) => item.id),
        ['c1'],
      );
      assert.equal(await store.deleteClient('c1'), true);
      assert.equal(await store.findClientById('c1'), null);
    });

    test('refresh tokens: exactly one of two uses marks a token used; families and sessions delete them', async () => {
      const owner = user();
      await store.createUser(owner);
      const live = session(owner.id);
      await store.createSession(live);
      const token = (id: string, familyId: string, expiresAt = 50_000) => ({
        id,
        tokenHash: `rt-${id}`,
        familyId,
        sessionId: live.id,
        userId: owner.id,
        scope: null,
        createdAt: 1,
        expiresAt,
        usedAt: null,
      });
      await store.createRefreshToken(token('r1', 'f1'));
      await store.createRefreshToken(token('r2', 'f1'));
      await store.createRefreshToken(token('r3', 'f2', 10));
      assert.deepEqual(await store.findRefreshTokenByHash('rt-r1'), token('r1', 'f1'));
      const [first, second] = await Promise.all([
        store.markRefreshTokenUsed('r1', 7),
        store.markRefreshTokenUsed('r1', 8),
      ]);
      assert.deepEqual([first, second].sort(), [false, true]);
      assert.ok((await store.findRefreshTokenByHash('rt-r1'))!.usedAt !== null);
      assert.equal(await store.purgeExpiredRefreshTokens(10), 1);
      assert.equal(await store.deleteRefreshTokenFamily('f1'), 2);
      await store.createRefreshToken(token('r4', 'f3'));
      await store.deleteSession(live.id);
      assert.equal(await store.findRefreshTokenByHash('rt-r4'), null, 'ending the session ends its refresh tokens');
    });

    test('API keys: by hash, per user, owner-checked delete, touch, gone with the user', async () => {
      const owner = user();
      const other = user();
      await store.createUser(owner);
      await store.createUser(other);
      const key = {
        id: 'ak1',
        userId: owner.id,
        name: 'ci',
        secretHash: 'akh1',
        scopes: ['deploy'],
        createdAt: 1,
        expiresAt: null,
        lastUsedAt: null,
      };
      await store.createApiKey(key);
      assert.deepEqual(await store.findApiKeyByHash('akh1'), key);
      assert.deepEqual(await store.listApiKeys(owner.id), [key]);
      assert.deepEqual(await store.listApiKeys(other.id), []);
      await store.touchApiKey('ak1', 99);
      assert.equal((await store.findApiKeyByHash('akh1'))!.lastUsedAt, 99);
      assert.equal(await store.deleteApiKey('ak1', other.id), false);
      await store.createApiKey({ ...key, id: 'ak2', secretHash: 'akh2' });
      assert.equal(await store.deleteApiKey('ak1', owner.id), true);
      await store.deleteUser(owner.id);
      assert.equal(await store.findApiKeyByHash('akh2'), null);
    });

    test('revoked token ids: recorded once (a second record is a replay), purged after expiry', async () => {
      assert.equal(await store.revokeTokenId('jti-1', 100), true);
      assert.equal(await store.revokeTokenId('jti-1', 100), false);
      assert.equal(await store.isTokenIdRevoked('jti-1'), true);
      assert.equal(await store.isTokenIdRevoked('jti-2'), false);
      assert.ok((await store.purgeExpiredRevocations(100)) >= 1);
      assert.equal(await store.isTokenIdRevoked('jti-1'), false);
    });

    test('audit events: appended, listed newest first, filtered by user, type and time, limited', async () => {
      const event = (id: string, at: number, type: string, userId: string | null) => ({
        id,
        at,
        type,
        actor: 'cli',
        userId,
        ip: '127.0.0.1',
        userAgent: null,
        detail: { n: at, list: ['a'] },
      });
      await store.appendAuditEvent(event('e1', 100, 'login.success', 'u-audit'));
      await store.appendAuditEvent(event('e2', 200, 'login.failure', 'u-audit'));
      await store.appendAuditEvent(event('e3', 300, 'login.failure', null));
      assert.deepEqual(
        (await store.listAuditEvents({ userId: 'u-audit', limit: 10 })).map((item) => item.id),
        ['e2', 'e1'],
      );
      assert.deepEqual(
        (await store.listAuditEvents({ type: 'login.failure', limit: 10 })).map((item) => item.id),
        ['e3', 'e2'],
      );
      assert.deepEqual(
        (await store.listAuditEvents({ since: 200, limit: 10 })).map((item) => item.id),
        ['e3', 'e2'],
      );
      assert.deepEqual(
        (await store.listAuditEvents({ limit: 1 })).map((item) => item.id),
        ['e3'],
      );
      assert.deepEqual(
        (await store.listAuditEvents({ userId: 'u-audit', limit: 1 }))[0],
        event('e2', 200, 'login.failure', 'u-audit'),
      );
    });

    test('two-factor: a pending enrolment is replaced, a confirmed one is not; confirming stores the recovery codes', async () => {
      const owner = user();
      await store.createUser(owner);
      const pending = { userId: owner.id, secretJwe: 'jwe-1', confirmedAt: null, lastStep: 0, createdAt: 1_000 };
      assert.equal(await store.findTwoFactor(owner.id), null);
      assert.equal(await store.putPendingTwoFactor(pending), true);
      assert.equal(await store.putPendingTwoFactor({ ...pending, secretJwe: 'jwe-2' }), true);
      assert.deepEqual(await store.findTwoFactor(owner.id), { ...pending, secretJwe: 'jwe-2' });
      assert.equal(await store.confirmTwoFactor(owner.id, 2_000, 77, ['code-a', 'code-b']), true);
      assert.equal(await store.confirmTwoFactor(owner.id, 3_000, 78, ['code-c']), false, 'confirmed once');
      assert.deepEqual(await store.findTwoFactor(owner.id), {
        ...pending,
        secretJwe: 'jwe-2',
        confirmedAt: 2_000,
        lastStep: 77,
      });
      assert.equal(
        await store.putPendingTwoFactor({ ...pending, secretJwe: 'jwe-3' }),
        false,
        'a confirmed enrolment is never overwritten',
      );
      assert.equal((await store.findTwoFactor(owner.id))!.secretJwe, 'jwe-2');
      assert.equal(await store.countUnusedRecoveryCodes(owner.id), 2);
    });

    test('two-factor: time steps only move forward; recovery codes work once; deleting removes both', async () => {
      const owner = user();
      await store.createUser(owner);
      await store.putPendingTwoFactor({
        userId: owner.id,
        secretJwe: 'jwe',
        confirmedAt: null,
        lastStep: 0,
        createdAt: 1_000,
      });
      await store.confirmTwoFactor(owner.id, 2_000, 100, ['code-a', 'code-b']);
      assert.equal(await store.advanceTwoFactorStep(owner.id, 100), false, 'the confirming code cannot be replayed');
      assert.equal(await store.advanceTwoFactorStep(owner.id, 101), true);
      assert.equal(await store.advanceTwoFactorStep(owner.id, 101), false);
      assert.equal(await store.advanceTwoFactorStep(owner.id, 99), false);
      const racers = await Promise.all([102, 102, 102].map((step) => store.advanceTwoFactorStep(owner.id, step)));
      assert.equal(racers.filter(Boolean).length, 1, 'one of concurrent uses of a step wins');
      assert.equal(await store.useRecoveryCode(owner.id, 'code-a', 3_000), true);
      assert.equal(await store.useRecoveryCode(owner.id, 'code-a', 3_001), false);
      assert.equal(await store.useRecoveryCode(owner.id, 'code-x', 3_001), false);
      assert.equal(await store.countUnusedRecoveryCodes(owner.id), 1);
      assert.equal(await store.deleteTwoFactor(owner.id), true);
      assert.equal(await store.deleteTwoFactor(owner.id), false);
      assert.equal(await store.findTwoFactor(owner.id), null);
      assert.equal(await store.countUnusedRecoveryCodes(owner.id), 0);
      assert.equal(await store.useRecoveryCode(owner.id, 'code-b', 3_002), false);
    });

    test('two-factor: login challenges expire, are deleted once, go with their user', async () => {
      const owner = user();
      await store.createUser(owner);
      await store.createLoginChallenge({
        tokenHash: `challenge-${owner.id}`,
        userId: owner.id,
        createdAt: 1_000,
        expiresAt: 5_000,
      });
      await store.createLoginChallenge({
        tokenHash: `old-${owner.id}`,
        userId: owner.id,
        createdAt: 1_000,
        expiresAt: 2_000,
      });
      assert.deepEqual(await store.findLoginChallenge(`challenge-${owner.id}`, 4_999), { userId: owner.id });
      assert.equal(await store.findLoginChallenge(`challenge-${owner.id}`, 5_000), null);
      assert.ok((await store.purgeExpiredLoginChallenges(2_000)) >= 1);
      assert.equal(await store.findLoginChallenge(`old-${owner.id}`, 0), null);
      assert.equal(await store.deleteLoginChallenge(`challenge-${owner.id}`), true);
      assert.equal(await store.deleteLoginChallenge(`challenge-${owner.id}`), false);
      await store.createLoginChallenge({
        tokenHash: `again-${owner.id}`,
        userId: owner.id,
        createdAt: 1_000,
        expiresAt: 9_000,
      });
      await store.putPendingTwoFactor({
        userId: owner.id,
        secretJwe: 'jwe',
        confirmedAt: null,
        lastStep: 0,
        createdAt: 1_000,
      });
      assert.equal(await store.deleteUser(owner.id), true);
      assert.equal(await store.findLoginChallenge(`again-${owner.id}`, 0), null);
      assert.equal(await store.findTwoFactor(owner.id), null);
    });

    test('answers ping', async () => {
      assert.equal(await store.ping(), true);
    });
  });
}
