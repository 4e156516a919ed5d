import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ClientRecord, PasskeyRecord, SessionRecord, Store, UserRecord } from '../../src/core/store/index.js';

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
    authenticatedAt: 10_000 + counter,
    lastSeenAt: 10_000 + counter,
    expiresAt: 100_000,
    ip: '127.0.0.1',
    userAgent: 'test',
    authMethods: ['mfa', 'otp', 'pwd'],
    ...overrides,
  };
}

function passkey(userId: string, overrides: Partial<PasskeyRecord> = {}): PasskeyRecord {
  counter += 1;
  return {
    id: `passkey-${counter}`,
    userId,
    credentialId: `credential-${counter}`,
    publicKey: 'pQECAyYgASFYIA',
    counter: 0,
    transports: ['hybrid', 'internal'],
    deviceType: 'multiDevice',
    backedUp: true,
    aaguid: '00000000-0000-0000-0000-000000000000',
    name: `Passkey ${counter}`,
    createdAt: 1_000 + counter,
    lastUsedAt: null,
    ...overrides,
  };
}

function clientRecord(id: string, name: string): ClientRecord {
  return {
    id,
    name,
    secretHash: 'h',
    publicJwk: null,
    tlsSubject: null,
    tlsThumbprint: null,
    scopes: [],
    type: 'confidential',
    grantTypes: ['client_credentials'],
    redirectUris: ['https://app.example/cb'],
    postLogoutRedirectUris: [],
    firstParty: false,
    idTokenAlg: null,
    createdAt: 1,
    updatedAt: 1,
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

    test('defect 1 (#22): rotates a session token only from the token it still has', async () => {
      const owner = user();
      await store.createUser(owner);
      const record = session(owner.id);
      await store.createSession(record);
      const next = {
        tokenHash: `${record.tokenHash}-next`,
        authenticatedAt: 70_000,
        authMethods: ['hwk', 'mfa', 'pwd', 'user'],
        lastSeenAt: 70_000,
        expiresAt: 90_000,
      };
      // Two concurrent sign-ins presenting the same token: one rotates it.
      const outcomes = await Promise.all([
        store.rotateSessionToken(record.id, record.tokenHash, next),
        store.rotateSessionToken(record.id, record.tokenHash, { ...next, tokenHash: `${record.tokenHash}-other` }),
      ]);
      assert.deepEqual(outcomes.filter(Boolean).length, 1, `exactly one rotation wins: ${JSON.stringify(outcomes)}`);
      const winner = outcomes[0] ? next.tokenHash : `${record.tokenHash}-other`;
      assert.equal(await store.findSessionByTokenHash(record.tokenHash), null);
      assert.deepEqual(await store.findSessionByTokenHash(winner), { ...record, ...next, tokenHash: winner });
      assert.deepEqual(await store.findSessionById(record.id), { ...record, ...next, tokenHash: winner });
      assert.equal(await store.rotateSessionToken('missing', 'missing', next), false);
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
      // A real RS256 private key, encrypted, is about 2,300 characters (it once overflowed PostgreSQL's 2,048).
      await store.rotateSigningKey({ ...key('r2', 5), alg: 'RS256', privateJwe: 'j'.repeat(2400) }, 5, 1100);
      assert.deepEqual(
        (await store.listSigningKeys()).map((item) => [item.kid, item.alg, item.retiredAt]),
        [
          ['r2', 'RS256', null],
          ['r1', 'RS256', 5],
          ['k3', 'EdDSA', null],
        ],
      );
      assert.equal((await store.listSigningKeys())[0]!.privateJwe.length, 2400);
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
        type: 'confidential' as const,
        grantTypes: ['client_credentials'],
        redirectUris: [],
        postLogoutRedirectUris: [],
        firstParty: false,
        idTokenAlg: null,
        createdAt: 1,
        updatedAt: 1,
      };
      const app = {
        ...client,
        id: 'c4',
        name: 'web-app',
        type: 'public' as const,
        secretHash: null,
        grantTypes: ['authorization_code', 'refresh_token'],
        redirectUris: ['https://app.example/cb', 'http://127.0.0.1/cb'],
        postLogoutRedirectUris: ['https://app.example/'],
        firstParty: true,
        idTokenAlg: 'ES256',
      };
      assert.equal(await store.createClient(app), true);
      assert.deepEqual(await store.findClientById('c4'), app, 'an app keeps its type, grants, URIs and choices');
      assert.equal(await store.deleteClient('c4'), true);
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
        sessionId: live.id as string | null,
        userId: owner.id,
        clientId: 'gatehouse',
        scope: null,
        grantId: null as string | null,
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
      // An app's offline token: no session, its client named; ended per user and client, or with the client.
      const offline = { ...token('r5', 'f5'), sessionId: null, clientId: 'app-1', grantId: 'g5' };
      await store.createRefreshToken(offline);
      await store.createRefreshToken({ ...token('r6', 'f6'), sessionId: null, clientId: 'app-2' });
      assert.deepEqual(await store.findRefreshTokenByHash('rt-r5'), offline);
      assert.equal(await store.deleteUserClientRefreshTokens(owner.id, 'app-1'), 1);
      assert.equal(await store.findRefreshTokenByHash('rt-r5'), null);
      assert.notEqual(await store.findRefreshTokenByHash('rt-r6'), null, 'another client keeps its tokens');
    });

    test('consents: one per user and client, replaced, listed newest first, gone with the user or the client', async () => {
      const owner = user();
      await store.createUser(owner);
      const base = { ...clientRecord('k1', 'consent-app-1'), grantTypes: ['authorization_code'] };
      await store.createClient(base);
      await store.createClient({ ...base, id: 'k2', name: 'consent-app-2' });
      const consent = {
        userId: owner.id,
        clientId: 'k1',
        scopes: ['openid'],
        grantId: 'g1',
        createdAt: 1,
        updatedAt: 1,
      };
      assert.equal(await store.findConsent(owner.id, 'k1'), null);
      await store.putConsent(consent);
      await store.putConsent({ ...consent, scopes: ['openid', 'profile'], updatedAt: 5 });
      assert.deepEqual(await store.findConsent(owner.id, 'k1'), {
        ...consent,
        scopes: ['openid', 'profile'],
        updatedAt: 5,
      });
      // A write from a stale read keeps the grant id; only a renewal (issue #22) replaces it, atomically.
      await store.putConsent({ ...consent, scopes: ['openid', 'profile'], grantId: 'stale', updatedAt: 6 });
      assert.equal((await store.findConsent(owner.id, 'k1'))?.grantId, 'g1');
      assert.equal(
        await store.renewConsentGrant(owner.id, 'k1', { id: 'g2', updatedAt: 7, onlyFrom: 'not-g1' }),
        false,
        'only from the grant named',
      );
      assert.equal(await store.renewConsentGrant(owner.id, 'k1', { id: 'g2', updatedAt: 7, onlyFrom: 'g1' }), true);
      assert.deepEqual(await store.findConsent(owner.id, 'k1'), {
        ...consent,
        scopes: ['openid', 'profile'],
        grantId: 'g2',
        updatedAt: 7,
      });
      assert.equal(
        await store.renewConsentGrant(owner.id, 'k-none', { id: 'g3', updatedAt: 8 }),
        false,
        'never creates one',
      );
      assert.equal(await store.findConsent(owner.id, 'k-none'), null);
      await store.putConsent({ ...consent, clientId: 'k2', updatedAt: 9 });
      assert.deepEqual(
        (await store.listUserConsents(owner.id)).map((item) => item.clientId),
        ['k2', 'k1'],
      );
      assert.equal(await store.deleteConsent(owner.id, 'k1'), true);
      assert.equal(await store.deleteConsent(owner.id, 'k1'), false);
      await store.deleteClient('k2');
      assert.deepEqual(await store.listUserConsents(owner.id), [], 'removing the client removes its consents');
      await store.putConsent(consent);
      await store.deleteUser(owner.id);
      assert.equal(await store.findConsent(owner.id, 'k1'), null, 'removing the user removes theirs');
      await store.deleteClient('k1');
    });

    test('authorization codes: one of two redemptions wins; replays and issued tokens are recorded; purged', async () => {
      const owner = user();
      await store.createUser(owner);
      await store.createClient({ ...clientRecord('k3', 'code-app'), grantTypes: ['authorization_code'] });
      const code = {
        codeHash: `code-${owner.id}`,
        clientId: 'k3',
        userId: owner.id,
        sessionId: 's-1',
        redirectUri: 'https://app.example/cb',
        scopes: ['openid', 'profile'],
        codeChallenge: 'c'.repeat(43),
        nonce: 'n-1',
        authTime: 3,
        authMethods: ['pwd', 'otp', 'mfa'],
        createdAt: 4,
        expiresAt: 60_004,
        usedAt: null,
        replayedAt: null,
        accessTokenId: null,
        refreshFamilyId: null,
        grantId: null,
      };
      await store.createAuthorizationCode(code);
      assert.deepEqual(await store.findAuthorizationCode(code.codeHash), code);
      const wins = await Promise.all([
        store.markAuthorizationCodeUsed(code.codeHash, 10),
        store.markAuthorizationCodeUsed(code.codeHash, 11),
      ]);
      assert.deepEqual(wins.sort(), [false, true]);
      await store.setAuthorizationCodeTokens(code.codeHash, 'jti-1', 'family-1', 'grant-1');
      await store.markAuthorizationCodeReplayed(code.codeHash, 20);
      await store.markAuthorizationCodeReplayed(code.codeHash, 30);
      const used = await store.findAuthorizationCode(code.codeHash);
      assert.equal(used!.accessTokenId, 'jti-1');
      assert.equal(used!.refreshFamilyId, 'family-1');
      assert.equal(used!.grantId, 'grant-1');
      assert.equal(used!.replayedAt, 20, 'the first replay is kept');
      assert.ok(used!.usedAt === 10 || used!.usedAt === 11);
      assert.equal(await store.purgeExpiredAuthorizationCodes(60_003), 0);
      assert.equal(await store.purgeExpiredAuthorizationCodes(60_004), 1);
      assert.equal(await store.findAuthorizationCode(code.codeHash), null);

      const request = {
        idHash: `request-${owner.id}`,
        clientId: 'k3',
        parameters: '{"request":{}}',
        loginAfter: null,
        createdAt: 1,
        expiresAt: 600_001,
      };
      await store.createAuthorizationRequest(request);
      await store.createAuthorizationRequest({ ...request, idHash: `old-${owner.id}`, loginAfter: 7, expiresAt: 5 });
      assert.deepEqual(await store.findAuthorizationRequest(request.idHash), request);
      assert.equal((await store.findAuthorizationRequest(`old-${owner.id}`))!.loginAfter, 7);
      assert.equal(await store.purgeExpiredAuthorizationRequests(5), 1);
      const deleted = await Promise.all([
        store.deleteAuthorizationRequest(request.idHash),
        store.deleteAuthorizationRequest(request.idHash),
      ]);
      assert.deepEqual(deleted.sort(), [false, true], 'a waiting request is answered once');
      await store.deleteClient('k3');
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

    test('defect 5: removing a scope strips it from every stored credential; added again, nobody holds it', async () => {
      const owner = user();
      await store.createUser(owner);
      const scope = (name: string) => ({ name, description: `The ${name} scope`, roles: [], createdAt: 1 });
      for (const name of ['s:gone', 's:gone2', 's:kept']) assert.equal(await store.createScope(scope(name)), true);
      assert.equal(await store.createScope(scope('s:gone')), false);
      const carried = ['openid', 's:gone', 's:gone2', 's:kept'];
      await store.createClient({ ...clientRecord('ks1', 'scoped-app'), scopes: carried });
      await store.createClient({ ...clientRecord('ks2', 'scoped-svc'), scopes: ['s:gone'] });
      const key = {
        id: 'aks1',
        userId: owner.id,
        name: 'scoped',
        secretHash: 'aksh1',
        scopes: carried,
        createdAt: 1,
        expiresAt: null,
        lastUsedAt: null,
      };
      await store.createApiKey(key);
      const refresh = {
        id: 'rs1',
        tokenHash: 'rt-rs1',
        familyId: 'fs1',
        sessionId: null,
        userId: owner.id,
        clientId: 'ks1',
        scope: carried.join(' '),
        createdAt: 1,
        expiresAt: 50_000,
        usedAt: null,
        grantId: 'gs1',
      };
      await store.createRefreshToken(refresh);
      await store.createRefreshToken({ ...refresh, id: 'rs2', tokenHash: 'rt-rs2', scope: null });
      await store.putConsent({
        userId: owner.id,
        clientId: 'ks1',
        scopes: carried,
        grantId: 'gs1',
        createdAt: 1,
        updatedAt: 1,
      });
      const code = {
        codeHash: `code-scoped-${owner.id}`,
        clientId: 'ks1',
        userId: owner.id,
        sessionId: 's-1',
        redirectUri: 'https://app.example/cb',
        scopes: carried,
        codeChallenge: 'c'.repeat(43),
        nonce: null,
        authTime: 3,
        authMethods: ['pwd'],
        createdAt: 4,
        expiresAt: 60_004,
        usedAt: null,
        replayedAt: null,
        accessTokenId: null,
        refreshFamilyId: null,
        grantId: null,
      };
      await store.createAuthorizationCode(code);

      assert.equal(await store.deleteScope('s:gone'), true);
      assert.equal(await store.deleteScope('s:gone'), false);
      const left = ['openid', 's:gone2', 's:kept'];
      assert.deepEqual((await store.findClientById('ks1'))!.scopes, left);
      assert.deepEqual((await store.findClientById('ks2'))!.scopes, [], 'its only scope gone');
      assert.deepEqual((await store.findApiKeyByHash('aksh1'))!.scopes, left);
      assert.equal((await store.findRefreshTokenByHash('rt-rs1'))!.scope, left.join(' '));
      assert.equal((await store.findRefreshTokenByHash('rt-rs2'))!.scope, null);
      assert.deepEqual((await store.findConsent(owner.id, 'ks1'))!.scopes, left);
      assert.deepEqual((await store.findAuthorizationCode(code.codeHash))!.scopes, left);
      // Added again, the name is a new scope: nothing stored carries it.
      assert.equal(await store.createScope({ ...scope('s:gone'), createdAt: 9 }), true);
      assert.deepEqual((await store.findApiKeyByHash('aksh1'))!.scopes, left);
      assert.deepEqual((await store.findClientById('ks1'))!.scopes, left);
      // A name that is a prefix or a part of another is not touched by its removal.
      assert.equal(await store.deleteScope('s:gone2'), true);
      assert.deepEqual((await store.findApiKeyByHash('aksh1'))!.scopes, ['openid', 's:kept']);
      assert.deepEqual(
        (await store.listScopes()).map((item) => item.name).filter((name) => name.startsWith('s:')),
        ['s:gone', 's:kept'],
      );
      await store.deleteUser(owner.id);
      await store.deleteClient('ks1');
      await store.deleteClient('ks2');
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

    test('passkeys: credential ids unique across users, listed oldest first, renamed and deleted by their owner only', async () => {
      const owner = user();
      const other = user();
      await store.createUser(owner);
      await store.createUser(other);
      const first = passkey(owner.id);
      const second = passkey(owner.id, { counter: 7, backedUp: false, deviceType: 'singleDevice', transports: [] });
      assert.equal(await store.createPasskey(second), true);
      assert.equal(await store.createPasskey(first), true);
      assert.equal(
        await store.createPasskey(passkey(other.id, { credentialId: first.credentialId })),
        false,
        'a credential id is registered once, to anyone',
      );
      assert.deepEqual(await store.findPasskeyByCredentialId(first.credentialId), first);
      assert.equal(await store.findPasskeyByCredentialId('missing'), null);
      assert.deepEqual(await store.listPasskeys(owner.id), [first, second]);
      assert.deepEqual(await store.listPasskeys(other.id), []);
      assert.equal(await store.renamePasskey(other.id, first.id, 'stolen'), false, "not another user's");
      assert.equal(await store.renamePasskey(owner.id, first.id, 'Laptop'), true);
      assert.equal((await store.findPasskeyByCredentialId(first.credentialId))!.name, 'Laptop');
      assert.equal(await store.deletePasskey(other.id, first.id), false, "not another user's");
      assert.equal(await store.deletePasskey(owner.id, first.id), true);
      assert.equal(await store.deletePasskey(owner.id, first.id), false);
      assert.deepEqual(await store.listPasskeys(owner.id), [second]);
      await store.createPasskey(passkey(owner.id));
      assert.equal(await store.deleteUserPasskeys(owner.id), 2);
      assert.equal(await store.deleteUserPasskeys(owner.id), 0);
      await store.createPasskey(passkey(other.id));
      assert.equal(await store.deleteUser(other.id), true);
      assert.deepEqual(await store.listPasskeys(other.id), [], 'gone with their user');
    });

    test('passkeys: a use is recorded only against the counter it was checked with; of racing uses one wins', async () => {
      const owner = user();
      await store.createUser(owner);
      const record = passkey(owner.id, { counter: 5, backedUp: false });
      await store.createPasskey(record);
      const use = { expectedCounter: 5, counter: 6, backedUp: true, usedAt: 9_000 };
      assert.equal(await store.recordPasskeyUse(record.id, { ...use, expectedCounter: 4 }), false);
      const racers = await Promise.all([1, 2, 3].map(() => store.recordPasskeyUse(record.id, use)));
      assert.equal(racers.filter(Boolean).length, 1);
      assert.deepEqual(await store.findPasskeyByCredentialId(record.credentialId), {
        ...record,
        counter: 6,
        backedUp: true,
        lastUsedAt: 9_000,
      });
      // Authenticators without a counter send 0 every time: 0 → 0 is a use like any other.
      const counterless = passkey(owner.id);
      await store.createPasskey(counterless);
      const zero = { expectedCounter: 0, counter: 0, backedUp: true, usedAt: 9_001 };
      assert.equal(await store.recordPasskeyUse(counterless.id, zero), true);
      assert.equal(await store.recordPasskeyUse(counterless.id, zero), true);
      assert.equal(await store.recordPasskeyUse('missing', zero), false);
    });

    test('passkey challenges: taken once (of racing takes one wins), never after expiry, purged, gone with their user', async () => {
      const owner = user();
      await store.createUser(owner);
      const challenge = {
        challengeHash: `ceremony-${owner.id}`,
        kind: 'registration' as const,
        userId: owner.id,
        loginChallengeHash: null,
        createdAt: 1_000,
        expiresAt: 5_000,
      };
      await store.createPasskeyChallenge(challenge);
      const racers = await Promise.all([1, 2, 3].map(() => store.takePasskeyChallenge(challenge.challengeHash, 4_999)));
      assert.deepEqual(
        racers.filter((taken) => taken !== null),
        [challenge],
      );
      assert.equal(await store.takePasskeyChallenge(challenge.challengeHash, 4_999), null, 'used once');
      const passwordless = {
        ...challenge,
        challengeHash: `anyone-${owner.id}`,
        kind: 'authentication' as const,
        userId: null,
        loginChallengeHash: 'login-hash',
      };
      await store.createPasskeyChallenge(passwordless);
      assert.equal(await store.takePasskeyChallenge(passwordless.challengeHash, 5_000), null, 'expired');
      assert.equal(await store.takePasskeyChallenge(passwordless.challengeHash, 0), null, 'and gone once tried');
      await store.createPasskeyChallenge({ ...passwordless, challengeHash: `later-${owner.id}`, expiresAt: 2_000 });
      assert.ok((await store.purgeExpiredPasskeyChallenges(2_000)) >= 1);
      assert.equal(await store.takePasskeyChallenge(`later-${owner.id}`, 0), null);
      await store.createPasskeyChallenge({ ...challenge, challengeHash: `mine-${owner.id}` });
      assert.equal(await store.deleteUser(owner.id), true);
      assert.equal(await store.takePasskeyChallenge(`mine-${owner.id}`, 0), null, 'gone with its user');
    });

    test('has one deployment id, the same at every read', async () => {
      const id = await store.readDeploymentId();
      assert.match(id, /^[0-9a-f]{16}$/);
      assert.equal(await store.readDeploymentId(), id);
    });

    test('answers ping', async () => {
      assert.equal(await store.ping(), true);
    });
  });
}
