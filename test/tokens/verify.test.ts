import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import Fastify, { type FastifyInstance } from 'fastify';
import { Agent, request } from 'undici';
import { createDevelopmentCertificate } from '../../src/server/tls.js';
import {
  createFastifyVerifierHook,
  createVerifier,
  TokenVerificationError,
  type Verifier,
} from '../../src/verify/index.js';
import { addScopes, startTestServer, type TestServer } from '../helpers/server.js';

let gatehouse: TestServer;
let verifier: Verifier;
let clientId: string;
let secret: string;

async function clientToken(scope?: string): Promise<string> {
  const response = await gatehouse.request('/oauth/token', {
    form: { grant_type: 'client_credentials', client_id: clientId, client_secret: secret, ...(scope && { scope }) },
  });
  return response.json.access_token;
}

before(async () => {
  gatehouse = await startTestServer();
  await addScopes(gatehouse.core, 'orders:read', 'orders:write');
  const created = await gatehouse.core.clients.createClient({
    name: 'orders-caller',
    scopes: 'orders:read orders:write',
  });
  clientId = created.client.id;
  secret = created.secret!;
  verifier = createVerifier({ issuer: gatehouse.url, audience: gatehouse.url, ca: gatehouse.ca });
});
after(async () => {
  await verifier.close();
  await gatehouse.stop();
});

describe('gatehouse/verify: offline verification in another service', () => {
  test('verifies a client_credentials token against the JWKS', async () => {
    const claims = await verifier.verify(await clientToken());
    assert.equal(claims.sub, clientId);
    assert.equal(claims.client_id, clientId);
    assert.deepEqual(claims.scopes, ['orders:read', 'orders:write']);
  });

  test('refuses what Gatehouse refuses, with one error that never echoes the token', async () => {
    const token = await clientToken();
    const [head, body, signature] = token.split('.');
    for (const bad of [
      `${head}.${body}.`,
      `${head}.${body}.${signature}==`,
      'garbage',
      `${head}.${Buffer.from('{"sub":"x"}').toString('base64url')}.${signature}`,
    ]) {
      await assert.rejects(verifier.verify(bad), (error: Error) => {
        assert.ok(error instanceof TokenVerificationError);
        assert.equal(error.message, 'The access token is not valid.');
        return true;
      });
    }
    const otherAudience = createVerifier({
      issuer: gatehouse.url,
      audience: 'https://other.example',
      ca: gatehouse.ca,
    });
    await assert.rejects(otherAudience.verify(token), TokenVerificationError);
    await otherAudience.close();
  });

  test('after a key rotation, new tokens verify (unknown kid refetches the JWKS) and old ones still do', async () => {
    const old = await clientToken();
    await verifier.verify(old);
    await gatehouse.core.tokens!.keys.rotate();
    const fresh = await clientToken();
    // The verifier refetches for an unknown kid at most once a second.
    await sleep(1100);
    assert.equal((await verifier.verify(fresh)).client_id, clientId);
    assert.equal((await verifier.verify(old)).client_id, clientId);
  });

  test('offline verification does not see revocation (introspection does): the documented trade-off', async () => {
    const token = await clientToken();
    await gatehouse.request('/oauth/revoke', { form: { token, client_id: clientId, client_secret: secret } });
    assert.equal((await verifier.verify(token)).client_id, clientId);
    const resource = await gatehouse.core.clients.createClient({ name: 'orders-service', scopes: 'introspect' });
    const introspection = await gatehouse.request('/oauth/introspect', {
      form: { token, client_id: resource.client.id, client_secret: resource.secret! },
    });
    assert.equal(introspection.json.active, false);
  });

  test('the Fastify hook protects a resource service: 401, 403 insufficient_scope, 200', async () => {
    const tls = await createDevelopmentCertificate();
    const service: FastifyInstance = Fastify({ https: tls });
    service.get(
      '/orders',
      { onRequest: createFastifyVerifierHook(verifier, { scopes: ['orders:read'] }) },
      async (req) => ({ caller: req.accessToken!.client_id }),
    );
    await service.listen({ host: '127.0.0.1', port: 0 });
    const dispatcher = new Agent({ connect: { ca: tls.cert } });
    const url = `https://127.0.0.1:${(service.server.address() as { port: number }).port}/orders`;
    const call = async (authorization?: string) => {
      const response = await request(url, { dispatcher, headers: authorization ? { authorization } : {} });
      return {
        status: response.statusCode,
        challenge: response.headers['www-authenticate'],
        body: (await response.body.json()) as Record<string, unknown>,
      };
    };
    try {
      const none = await call();
      assert.deepEqual([none.status, none.challenge], [401, 'Bearer realm="gatehouse"']);
      const bad = await call('Bearer nope');
      assert.deepEqual([bad.status, bad.challenge], [401, 'Bearer realm="gatehouse", error="invalid_token"']);
      const narrow = await call(`Bearer ${await clientToken('orders:write')}`);
      assert.deepEqual(
        [narrow.status, narrow.challenge],
        [403, 'Bearer realm="gatehouse", error="insufficient_scope", scope="orders:read"'],
      );
      const ok = await call(`Bearer ${await clientToken('orders:read')}`);
      assert.deepEqual([ok.status, ok.body], [200, { caller: clientId }]);
    } finally {
      await service.close();
      await dispatcher.close();
    }
  });
});
