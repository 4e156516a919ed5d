import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createConsents } from '../../src/core/consents/consents.js';
import type { AuditLog } from '../../src/core/audit/audit.js';
import type { Store } from '../../src/core/store/index.js';
import { openStore } from '../../src/store/index.js';

/**
 * Ending a grant races with the consent's other writes (issue #22, found in
 * review): the consent service on a real SQLite store whose reads can be
 * held back, so that each interleaving happens every time.
 */
const audit = { record: async () => undefined, from: () => ({}) } as unknown as AuditLog;

async function setUp() {
  const store = await openStore({ url: 'sqlite::memory:' });
  await store.createUser({
    id: 'u1',
    username: 'ada',
    usernameKey: 'ada',
    passwordHash: 'h',
    disabled: false,
    roles: [],
    createdAt: 1,
    updatedAt: 1,
  });
  await store.createClient({
    id: 'app-1',
    name: 'app',
    secretHash: 'h',
    publicJwk: null,
    tlsSubject: null,
    tlsThumbprint: null,
    scopes: [],
    type: 'confidential',
    grantTypes: ['authorization_code'],
    redirectUris: ['https://app.example/cb'],
    postLogoutRedirectUris: [],
    firstParty: false,
    idTokenAlg: null,
    createdAt: 1,
    updatedAt: 1,
  });
  // A read held until the test lets it go: the stale read of a concurrent write.
  let hold: Promise<void> | null = null;
  let release = () => undefined as void;
  const held = new Proxy(store, {
    get(target, name: keyof Store) {
      if (name !== 'findConsent') return target[name];
      return async (userId: string, clientId: string) => {
        const found = await target.findConsent(userId, clientId);
        if (hold) await hold;
        return found;
      };
    },
  });
  const holdReads = () => {
    hold = new Promise<void>((resolve) => (release = resolve));
  };
  const releaseReads = () => {
    hold = null;
    release();
  };
  const consents = createConsents({ store: held, clock: { now: () => Date.now() }, audit });
  return { store, consents, holdReads, releaseReads };
}

describe('consents: ending a grant wins every race', { timeout: 30_000 }, () => {
  test('a consent widened from a read made before the grant ended does not bring the old grant back', async () => {
    const { store, consents, holdReads, releaseReads } = await setUp();
    const first = await consents.grant('u1', 'app-1', ['openid'], { actor: {} as never });
    holdReads();
    const widening = consents.grant('u1', 'app-1', ['openid', 'profile'], { actor: {} as never });
    await new Promise((resolve) => setTimeout(resolve, 20));
    await consents.endGrant('u1', 'app-1');
    releaseReads();
    await widening;
    const now = await store.findConsent('u1', 'app-1');
    assert.notEqual(now?.grantId, first.grantId, 'the ended grant stays ended');
    assert.deepEqual(now?.scopes, ['openid', 'profile'], 'and the widening is kept');
    await store.close();
  });

  test('a grant ended while the user revokes the consent does not bring the consent back', async () => {
    const { store, consents } = await setUp();
    await consents.grant('u1', 'app-1', ['openid'], { actor: {} as never });
    const ending = consents.endGrant('u1', 'app-1');
    await consents.revoke('u1', 'app-1', {} as never);
    await ending;
    assert.equal(await store.findConsent('u1', 'app-1'), null);
    assert.equal(await consents.endGrant('u1', 'app-1'), 0, 'ending a grant that is gone creates nothing');
    assert.equal(await store.findConsent('u1', 'app-1'), null);
    await store.close();
  });
});
