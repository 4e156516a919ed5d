import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { decodeProtectedHeader } from 'jose';
import SQLite from 'better-sqlite3';
import { createManualClock } from '../../src/core/shared/clock.js';
import { hasCanonicalSignature } from '../../src/core/jwt/jwt-checks.js';
import { startTestServer, type TestServer, addScopes } from '../helpers/server.js';

const clock = createManualClock(Date.now());
let server: TestServer;
let clientId: string;
let secret: string;

async function clientToken(target = server): Promise<string> {
  const response = await target.request('/oauth/token', {
    form: { grant_type: 'client_credentials', client_id: clientId, client_secret: secret },
  });
  assert.equal(response.status, 200);
  return response.json.access_token;
}
const introspect = async (token: string) =>
  (await server.request('/oauth/introspect', { form: { token, client_id: clientId, client_secret: secret } })).json
    .active;

before(async () => {
  server = await startTestServer({ clock });
  await addScopes(server.core, 'a');
  const created = await server.core.clients.createClient({ name: 'svc', scopes: 'a introspect' });
  clientId = created.client.id;
  secret = created.secret!;
});
after(() => server.stop());

describe('signing keys', () => {
  test('created on first start; the private key is stored only encrypted under a 0600 master key', async () => {
    const masterKey = join(server.data, 'master.key');
    assert.equal(statSync(masterKey).mode & 0o777, 0o600);
    assert.match(readFileSync(masterKey, 'utf8').trim(), /^[A-Za-z0-9_-]{43}$/);
    const db = new SQLite(join(server.data, 'gatehouse.db'), { readonly: true });
    const rows = db.prepare('select kid, alg, public_jwk, private_jwe from signing_keys').all() as {
      kid: string;
      alg: string;
      public_jwk: string;
      private_jwe: string;
    }[];
    db.close();
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.alg, 'EdDSA');
    assert.equal(JSON.parse(rows[0]!.public_jwk).d, undefined);
    const jweHeader = JSON.parse(Buffer.from(rows[0]!.private_jwe.split('.')[0]!, 'base64url').toString());
    assert.deepEqual(jweHeader, { alg: 'dir', enc: 'A256GCM' });
    assert.ok(!rows[0]!.private_jwe.includes('"d"'));
  });

  test('rotation: the new key signs at once; tokens of the old key verify until they expire; then the old key is dropped', async () => {
    const before = await clientToken();
    const oldKid = decodeProtectedHeader(before).kid!;
    const rotated = await server.core.tokens!.keys.rotate();
    assert.notEqual(rotated.kid, oldKid);
    const after = await clientToken();
    assert.equal(decodeProtectedHeader(after).kid, rotated.kid);

    const jwks = (await server.request('/.well-known/jwks.json')).json.keys.map((key: { kid: string }) => key.kid);
    assert.deepEqual(jwks.sort(), [oldKid, rotated.kid].sort(), 'both keys published meanwhile');
    assert.equal(await introspect(before), true);
    assert.equal(await introspect(after), true);
    assert.equal((await server.request('/get-info', { headers: { authorization: `Bearer ${before}` } })).status, 200);

    const listed = await server.core.tokens!.keys.listKeys();
    assert.deepEqual(
      listed.map((key) => key.status),
      ['active', 'retired'],
    );
    // The old key stays published for the longest lifetime any instance may issue (1 h, +1 min margin), whatever
    // this instance's lifetime: `gatehouse keys rotate` cannot know the servers' --access-token-lifetime.
    clock.advance(600_000 + 61_000);
    assert.equal(
      await server.core.tokens!.keys.purgeExpiredKeys(),
      0,
      'a 3600 s token of another instance still verifies',
    );
    clock.advance(3000_000);
    assert.equal(await server.core.tokens!.keys.purgeExpiredKeys(), 1);
    const remaining = (await server.request('/.well-known/jwks.json')).json.keys.map((key: { kid: string }) => key.kid);
    assert.deepEqual(remaining, [rotated.kid]);
    assert.equal(await introspect(before), false);
  });

  test('a restart keeps the keys (same kid), decrypting them with the master key', async () => {
    const kid = decodeProtectedHeader(await clientToken()).kid;
    const again = await startTestServer({ data: server.data });
    try {
      assert.equal((await again.core.tokens!.keys.activeKey()).kid, kid);
    } finally {
      await again.stop();
    }
  });

  test('a wrong master key stops the start with a clear message, never the key', async () => {
    const previous = process.env.GATEHOUSE_MASTER_KEY;
    process.env.GATEHOUSE_MASTER_KEY = Buffer.alloc(32, 7).toString('base64url');
    try {
      await assert.rejects(
        startTestServer({ data: server.data }),
        /masterKey: it cannot decrypt the stored signing keys/,
      );
      process.env.GATEHOUSE_MASTER_KEY = 'short';
      await assert.rejects(startTestServer({ data: server.data }), (error: Error) => {
        assert.match(
          error.message,
          /^invalid configuration: masterKey: must be 32 bytes .*\(from GATEHOUSE_MASTER_KEY\)$/,
        );
        assert.doesNotMatch(error.message, /short/);
        return true;
      });
    } finally {
      if (previous === undefined) delete process.env.GATEHOUSE_MASTER_KEY;
      else process.env.GATEHOUSE_MASTER_KEY = previous;
    }
  });

  test('ES256 keys sign only low-S (canonical) signatures', async () => {
    const es256 = await startTestServer({ config: { signingAlgorithm: 'ES256' } });
    try {
      const created = await es256.core.clients.createClient({ name: 'svc', scopes: '' });
      for (let i = 0; i < 40; i += 1) {
        const response = await es256.request('/oauth/token', {
          form: { grant_type: 'client_credentials', client_id: created.client.id, client_secret: created.secret! },
        });
        assert.equal(decodeProtectedHeader(response.json.access_token).alg, 'ES256');
        assert.ok(hasCanonicalSignature(response.json.access_token, 'ES256'));
      }
    } finally {
      await es256.stop();
    }
  });
});
