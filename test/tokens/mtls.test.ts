import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { Agent, request } from 'undici';
import Fastify from 'fastify';
import { GatehouseClient, type GatehouseClientError } from '../../src/client/index.js';
import { createDevelopmentCertificate } from '../../src/server/tls.js';
import { createFastifyVerifierHook, createVerifier, TokenVerificationError } from '../../src/verify/index.js';
import { createSelfSignedClientCertificate, createTestCa, type IssuedCertificate } from '../helpers/certificates.js';
import { addScopes, startTestServer, type TestServer } from '../helpers/server.js';

/**
 * Mutual TLS for services (RFC 8705): clients authenticate to /oauth/token
 * with a CA-issued or a pinned self-signed certificate, and their access
 * tokens are bound to it (`cnf.x5t#S256`).
 */
const thumbprint = (pem: string) => createHash('sha256').update(new X509Certificate(pem).raw).digest('base64url');

let server: TestServer;
let orders: IssuedCertificate;
let intruder: IssuedCertificate;
let pinned: IssuedCertificate;
let impostor: IssuedCertificate;
const ids: Record<string, string> = {};
let data: string;
let caFile: string;
const opened: { close(): Promise<void> }[] = [];

function clientWith(certificate?: IssuedCertificate): GatehouseClient {
  const client = new GatehouseClient({
    baseUrl: server.url,
    ca: server.ca,
    ...(certificate && { certificate: { cert: certificate.cert, key: certificate.key } }),
  });
  opened.push(client);
  return client;
}

/** A raw call on a connection presenting `certificate` (or none). */
async function call(path: string, headers: Record<string, string>, certificate?: IssuedCertificate) {
  const dispatcher = new Agent({
    connect: { ca: server.ca, ...(certificate && { cert: certificate.cert, key: certificate.key }) },
  });
  opened.push(dispatcher);
  const response = await request(`${server.url}${path}`, { headers, dispatcher });
  return {
    status: response.statusCode,
    headers: response.headers,
    json: (await response.body.json().catch(() => undefined)) as Record<string, unknown> | undefined,
  };
}

before(async () => {
  const ca = await createTestCa();
  orders = await ca.issue('CN=orders,O=Example');
  intruder = await ca.issue('CN=intruder,O=Example');
  pinned = await createSelfSignedClientCertificate('CN=reporting');
  // Self-signed, claiming the subject of a CA-issued client: must not pass as it.
  impostor = await createSelfSignedClientCertificate('CN=orders,O=Example');
  data = mkdtempSync(join(tmpdir(), 'gatehouse-mtls-'));
  caFile = join(data, 'client-ca.pem');
  writeFileSync(caFile, ca.cert);
  server = await startTestServer({ data, config: { tlsClientCa: caFile } });
  await addScopes(server.core, 'orders:read', 'reports:read');
  ids.orders = (
    await server.core.clients.createClient({
      name: 'orders',
      scopes: 'orders:read',
      tls: { subject: 'cn=orders, o=Example' },
    })
  ).client.id;
  ids.reporting = (
    await server.core.clients.createClient({
      name: 'reporting',
      scopes: 'reports:read',
      tls: { certificate: pinned.cert },
    })
  ).client.id;
});
after(async () => {
  await Promise.all(opened.map((item) => item.close()));
  await server.stop();
  rmSync(data, { recursive: true, force: true });
});

describe('tls_client_auth (a CA-issued certificate with the registered subject)', () => {
  test('the client gets a token bound to its certificate, and no secret was ever made', async () => {
    assert.deepEqual((await server.core.clients.findClient('orders'))!.authMethods, ['tls_client_auth']);
    const token = await clientWith(orders).clientToken(ids.orders!);
    assert.equal(token.scope, 'orders:read');
    const claims = decodeJwt(token.access_token);
    assert.deepEqual(claims.cnf, { 'x5t#S256': thumbprint(orders.cert) });
    const events = await server.core.audit.list({ type: 'token.issue', limit: 1 });
    assert.equal(events[0]!.detail.boundToCertificate, true);
  });

  test('a bound token works only on a connection with that certificate', async () => {
    const token = (await clientWith(orders).clientToken(ids.orders!)).access_token;
    const auth = { authorization: `Bearer ${token}` };
    assert.equal((await call('/get-info', auth, orders)).status, 200);
    const other = await call('/get-info', auth, intruder);
    assert.equal(other.status, 401);
    assert.match(String(other.headers['www-authenticate']), /error="invalid_token"/);
    assert.equal((await call('/get-info', auth)).status, 401, 'no certificate at all');
    // Forward auth checks the binding the same way.
    assert.equal((await call('/auth/verify', auth, orders)).status, 200);
    assert.equal((await call('/auth/verify', auth, intruder)).status, 401);
  });

  test('another subject from the same CA, a self-signed look-alike, or no certificate: invalid_client', async () => {
    for (const certificate of [intruder, impostor, undefined]) {
      await assert.rejects(clientWith(certificate).clientToken(ids.orders!), (error: GatehouseClientError) => {
        assert.equal(error.status, 401);
        assert.equal(error.code, 'invalid_client');
        return true;
      });
    }
  });
});

describe('self_signed_tls_client_auth (a pinned certificate)', () => {
  test('exactly the registered certificate authenticates; tokens are bound to it', async () => {
    const token = await clientWith(pinned).clientToken(ids.reporting!);
    assert.deepEqual(decodeJwt(token.access_token).cnf, { 'x5t#S256': thumbprint(pinned.cert) });
    assert.equal((await call('/get-info', { authorization: `Bearer ${token.access_token}` }, pinned)).status, 200);
    await assert.rejects(
      clientWith(orders).clientToken(ids.reporting!),
      (error: GatehouseClientError) => error.code === 'invalid_client',
    );
    await assert.rejects(
      clientWith(impostor).clientToken(ids.reporting!),
      (error: GatehouseClientError) => error.code === 'invalid_client',
    );
  });
});

describe('gatehouse/verify: a resource service that verifies offline', () => {
  test('accepts a bound token only on a connection with its certificate; verify() without one refuses it', async () => {
    const tls = await createDevelopmentCertificate();
    const verifier = createVerifier({ issuer: server.url, audience: server.url, ca: server.ca });
    const service = Fastify({ https: { ...tls, requestCert: true, rejectUnauthorized: false } });
    service.get(
      '/orders',
      { onRequest: createFastifyVerifierHook(verifier, { scopes: ['orders:read'] }) },
      async (req) => ({ bound: req.accessToken!.certificateThumbprint }),
    );
    await service.listen({ host: '127.0.0.1', port: 0 });
    try {
      const url = `https://127.0.0.1:${(service.server.address() as { port: number }).port}/orders`;
      const token = (await clientWith(orders).clientToken(ids.orders!)).access_token;
      const at = async (certificate?: IssuedCertificate) => {
        const dispatcher = new Agent({
          connect: { ca: tls.cert, ...(certificate && { cert: certificate.cert, key: certificate.key }) },
        });
        opened.push(dispatcher);
        const response = await request(url, { headers: { authorization: `Bearer ${token}` }, dispatcher });
        return { status: response.statusCode, json: (await response.body.json()) as Record<string, unknown> };
      };
      const same = await at(orders);
      assert.equal(same.status, 200);
      assert.equal(same.json.bound, thumbprint(orders.cert));
      assert.equal((await at(intruder)).status, 401);
      assert.equal((await at()).status, 401);
      await assert.rejects(verifier.verify(token), TokenVerificationError);
      assert.equal(
        (await verifier.verify(token, { certificateThumbprint: thumbprint(orders.cert) })).certificateThumbprint,
        thumbprint(orders.cert),
      );
    } finally {
      await service.close();
      await verifier.close();
    }
  });
});

describe('discovery and introspection', () => {
  test('metadata advertises both methods and certificate-bound tokens (RFC 8414, RFC 8705 §3.3)', async () => {
    const metadata = (await server.request('/.well-known/oauth-authorization-server')).json as Record<string, unknown>;
    assert.ok((metadata.token_endpoint_auth_methods_supported as string[]).includes('tls_client_auth'));
    assert.ok((metadata.token_endpoint_auth_methods_supported as string[]).includes('self_signed_tls_client_auth'));
    assert.equal(metadata.tls_client_certificate_bound_access_tokens, true);
  });

  test('introspection reports the binding (cnf) for the resource server to check', async () => {
    const token = (await clientWith(orders).clientToken(ids.orders!)).access_token;
    const { client, secret } = await server.core.clients.createClient({ name: 'gateway', scopes: 'introspect' });
    const basic = `Basic ${Buffer.from(`${client.id}:${secret}`).toString('base64')}`;
    const answer = await server.request('/oauth/introspect', { form: { token }, headers: { authorization: basic } });
    assert.equal((answer.json as { active: boolean }).active, true);
    assert.deepEqual((answer.json as { cnf: unknown }).cnf, { 'x5t#S256': thumbprint(orders.cert) });
  });
});

describe('--tls-client-auth require', () => {
  test('a connection without a CA-issued certificate is refused in the handshake', async () => {
    const strict = await startTestServer({ data, config: { tlsClientCa: caFile, tlsClientAuth: 'require' } });
    try {
      const withCert = new Agent({ connect: { ca: strict.ca, cert: orders.cert, key: orders.key } });
      const without = new Agent({ connect: { ca: strict.ca } });
      const selfSigned = new Agent({ connect: { ca: strict.ca, cert: pinned.cert, key: pinned.key } });
      opened.push(withCert, without, selfSigned);
      assert.equal((await request(`${strict.url}/healthz`, { dispatcher: withCert })).statusCode, 200);
      for (const dispatcher of [without, selfSigned]) {
        await assert.rejects(request(`${strict.url}/healthz`, { dispatcher }).then((response) => response.body.text()));
      }
    } finally {
      await strict.stop();
    }
  });

  test('require without a client CA is a configuration error', async () => {
    await assert.rejects(
      startTestServer({ config: { tlsClientAuth: 'require' } }),
      /tlsClientAuth: require needs tlsClientCa/,
    );
  });
});
