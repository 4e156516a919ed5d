import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { decodeJwt } from 'jose';
import { createVerifier, type Verifier } from '../../src/verify/index.js';
import { FormBrowser, hiddenField } from '../helpers/form-browser.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { createTestDatabase, redisSkipReason, TEST_REDIS_URL, type TestDatabase } from '../helpers/services.js';

/**
 * Issue #22, defect 3: a grant ended on one instance is refused by the
 * other at once, through the revocations topic on Redis: both caches hold
 * reads for a second (the most allowed), and the refusal comes sooner.
 */
const database = await createTestDatabase();
const redisSkip = await redisSkipReason();
const skip = typeof database === 'string' ? database : (redisSkip ?? false);
const PASSWORD = 'two instances password 1';
const REDIRECT = 'http://127.0.0.1/cb';

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe('defect 3: revocation across instances', { skip, timeout: 120_000 }, () => {
  const pg = database as TestDatabase;
  const data = mkdtempSync(join(tmpdir(), 'gatehouse-grants-'));
  let a: TestServer;
  let b: TestServer;
  let verifier: Verifier;
  let app: string;
  let introspector: string;

  before(async () => {
    const redis = new Redis(TEST_REDIS_URL);
    await redis.flushdb();
    redis.disconnect();
    const port = await freePort();
    const publicUrl = `https://127.0.0.1:${port}`;
    // One deployment: one database, one Redis, one issuer, one data folder (its master key).
    const shared = { db: pg.url, redis: TEST_REDIS_URL, publicUrl, cacheTtlMs: 1000 };
    a = await startTestServer({ data, config: { ...shared, migrate: true, port } });
    b = await startTestServer({ data, config: shared });
    app = (await a.core.clients.createClient({ name: 'phone', scopes: '', type: 'public', redirectUris: [REDIRECT] }))
      .client.id;
    const resource = await a.core.clients.createClient({ name: 'orders-service', scopes: 'introspect' });
    introspector = `Basic ${Buffer.from(`${resource.client.id}:${resource.secret}`).toString('base64')}`;
    await a.core.users.createUser({ username: 'uma', password: PASSWORD });
    verifier = createVerifier({
      issuer: publicUrl,
      audience: publicUrl,
      jwksUrl: `${b.url}/.well-known/jwks.json`,
      ca: b.ca,
    });
  });

  after(async () => {
    await verifier?.close();
    await b?.stop();
    await a?.stop();
    await pg.drop();
    rmSync(data, { recursive: true, force: true });
  });

  test('defect 3: revocation reaches another instance and gatehouse/verify', async () => {
    const browser = new FormBrowser(a.url, a.ca);
    const verifierCode = randomBytes(32).toString('base64url');
    try {
      await browser.get('/');
      assert.match((await browser.post('/ui/sign-in', { username: 'uma', password: PASSWORD })).text, /Signed in as/);
      const query = new URLSearchParams({
        client_id: app,
        redirect_uri: REDIRECT,
        response_type: 'code',
        // openid: the ID token's RS256 key is stored on PostgreSQL too (it once overflowed its column).
        scope: 'openid offline_access',
        code_challenge: createHash('sha256').update(verifierCode).digest('base64url'),
        code_challenge_method: 'S256',
      });
      const page = await browser.get(`/oauth/authorize?${query.toString()}`);
      assert.equal(page.status, 200, page.text);
      const back = await browser.post('/oauth/authorize/consent', {
        interaction: hiddenField(page.text, 'interaction')!,
        decision: 'allow',
      });
      assert.equal(back.status, 303);
      const code = new URL(back.url).searchParams.get('code')!;
      const form = {
        grant_type: 'authorization_code',
        code,
        client_id: app,
        redirect_uri: REDIRECT,
        code_verifier: verifierCode,
      };
      const issued = await a.request('/oauth/token', { form });
      assert.equal(issued.status, 200, issued.text);
      // A refresh on B: a token of the same grant, minted by the other instance.
      const refreshed = await b.request('/oauth/token', {
        form: { grant_type: 'refresh_token', refresh_token: issued.json.refresh_token, client_id: app },
      });
      assert.equal(refreshed.status, 200, refreshed.text);
      const tokens = [issued.json.access_token as string, refreshed.json.access_token as string];
      const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
      const introspect = async (server: TestServer, token: string) =>
        (await server.request('/oauth/introspect', { form: { token }, headers: { authorization: introspector } })).json
          .active;
      for (const token of tokens) {
        // B now holds the consent in its cache, for a second.
        assert.equal((await b.request('/get-info', { headers: bearer(token) })).status, 200);
        assert.equal(await introspect(b, token), true);
        const claims = await verifier.verify(token);
        assert.equal(claims.gid, decodeJwt(tokens[0]!).gid, 'gatehouse/verify reads the grant id');
      }

      // The code again on A, by its app with its verifier: the grant ends.
      const replay = await a.request('/oauth/token', { form });
      assert.equal(replay.json.error, 'invalid_grant');
      const endedAt = Date.now();
      for (const token of tokens) {
        let status: number;
        while (
          (status = (await b.request('/get-info', { headers: bearer(token) })).status) === 200 &&
          Date.now() - endedAt < 2000
        )
          await sleep(20);
        assert.equal(status, 401, 'B refuses it');
        if (token === tokens[0]) {
          assert.ok(Date.now() - endedAt < 900, 'sooner than its cache would have expired: the broadcast');
        }
        assert.equal(await introspect(b, token), false, 'introspection on B: inactive');
        assert.equal(await introspect(a, token), false, 'and on A');
      }
      // Offline, gatehouse/verify checks no revocation (docs/security.md): the token verifies until it
      // expires, its gid names a grant that is over, and a service that must know asks introspection.
      const offline = await verifier.verify(tokens[1]!);
      const consent = await b.core.consents.find(offline.sub, app);
      assert.notEqual(consent?.grantId, offline.gid, 'the grant the token names is no longer the consent’s');
    } finally {
      await browser.close();
    }
  });
});
