import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { join } from 'node:path';
import { connect, type ConnectionOptions } from 'node:tls';
import { createDevelopmentCertificate } from '../../src/server/tls.js';
import { after, before, describe, test } from 'node:test';
import { ROOT } from '../helpers/process.js';
import { COOKIE, startTestServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
before(async () => {
  server = await startTestServer();
  await server.core.users.createUser({ username: 'hdr', password: 'header password 1' });
});
after(() => server.stop());

function handshake(
  options: ConnectionOptions,
  target: { port: number; ca: string } = { port: Number(new URL(server.url).port), ca: server.ca },
): Promise<{ ok: true; protocol: string | null; cipher: string } | { ok: false; error: string }> {
  return new Promise((resolve) => {
    const socket = connect(
      { host: '127.0.0.1', port: target.port, ca: target.ca, servername: 'localhost', ...options },
      () => {
        resolve({ ok: true, protocol: socket.getProtocol(), cipher: socket.getCipher().name });
        socket.end();
      },
    );
    socket.on('error', (error) => resolve({ ok: false, error: error.message }));
  });
}

describe('TLS', () => {
  test('TLS 1.3 is offered and preferred', async () => {
    const result = await handshake({});
    assert.deepEqual([result.ok, result.ok && result.protocol], [true, 'TLSv1.3']);
  });

  test('TLS 1.2 with ECDHE + AEAD is accepted', async () => {
    const result = await handshake({ maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' });
    assert.equal(result.ok, true);
  });

  test('TLS 1.0 and 1.1, and TLS 1.2 CBC suites (which Node 20 still accepts by default), are refused', async () => {
    const attempts: ConnectionOptions[] = [
      { minVersion: 'TLSv1', maxVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0' },
      { minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' },
      ...['ECDHE-ECDSA-AES128-SHA', 'ECDHE-ECDSA-AES256-SHA384', 'ECDHE-ECDSA-AES128-SHA256'].map((ciphers) => ({
        maxVersion: 'TLSv1.2' as const,
        ciphers,
      })),
    ];
    // The control: this client does complete each of these handshakes with a permissive server.
    const { cert, key } = await createDevelopmentCertificate();
    const permissive = createServer({ cert, key, minVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0' });
    await new Promise<void>((resolve) => permissive.listen(0, '127.0.0.1', resolve));
    try {
      for (const attempt of attempts) {
        const control = await handshake(attempt, { port: (permissive.address() as { port: number }).port, ca: cert });
        assert.equal(control.ok, true, `control ${JSON.stringify(attempt)}`);
        assert.equal((await handshake(attempt)).ok, false, JSON.stringify(attempt));
      }
    } finally {
      permissive.close();
    }
  });
});

describe('security headers', () => {
  test('on every answer: HSTS ≥ 1 year, nosniff, no-referrer, a CSP and X-Frame-Options that forbid framing, same-origin CORP, no X-Powered-By, no Server', async () => {
    for (const path of ['/healthz', '/get-info', '/nope', '/.well-known/jwks.json']) {
      const response = await server.request(path);
      assert.match(String(response.headers['strict-transport-security']), /^max-age=31536000; includeSubDomains/, path);
      assert.equal(response.headers['x-content-type-options'], 'nosniff', path);
      assert.equal(response.headers['referrer-policy'], 'no-referrer', path);
      assert.equal(response.headers['content-security-policy'], "default-src 'none';frame-ancestors 'none'", path);
      assert.equal(response.headers['x-frame-options'], 'DENY', path);
      assert.equal(response.headers['cross-origin-resource-policy'], 'same-origin', path);
      // Headers for documents and old browsers mean nothing on a JSON answer and are not sent.
      for (const legacy of [
        'x-xss-protection',
        'x-download-options',
        'x-dns-prefetch-control',
        'x-permitted-cross-domain-policies',
        'origin-agent-cluster',
      ]) {
        assert.equal(response.headers[legacy], undefined, `${path} ${legacy}`);
      }
      assert.equal(response.headers['x-powered-by'], undefined, path);
      assert.equal(response.headers.server, undefined, path);
    }
  });

  test(
    'defect 9: docs/security.md names the Referrer-Policy that API answers and pages each send',
    { timeout: 30_000 },
    async () => {
      const docs = readFileSync(join(ROOT, 'docs/security.md'), 'utf8').replace(/\s+/g, ' ');
      const api = await server.request('/healthz');
      const page = await server.request('/');
      assert.match(String(page.headers['content-type']), /^text\/html/);
      assert.equal(api.headers['referrer-policy'], 'no-referrer');
      assert.equal(page.headers['referrer-policy'], 'same-origin');
      assert.ok(docs.includes('`Referrer-Policy: no-referrer` (the pages send `Referrer-Policy: same-origin` instead'));
    },
  );

  test('Cache-Control: no-store on everything that carries or reveals a credential; JWKS stays cacheable', async () => {
    const login = await server.request('/login', { form: { username: 'hdr', password: 'header password 1' } });
    const cookie = `${COOKIE}=${login.setCookie(COOKIE)}`;
    assert.equal(login.headers['cache-control'], 'no-store');
    for (const path of ['/session', '/sessions', '/get-info', '/api-keys']) {
      assert.equal((await server.request(path, { cookie })).headers['cache-control'], 'no-store', path);
    }
    assert.equal((await server.request('/token', { method: 'POST', cookie })).headers['cache-control'], 'no-store');
    assert.equal(
      (await server.request('/login', { form: { username: 'hdr', password: 'wrong password!' } })).headers[
        'cache-control'
      ],
      'no-store',
    );
    assert.equal((await server.request('/.well-known/jwks.json')).headers['cache-control'], 'public, max-age=300');
  });
});

describe('HTTP/2', () => {
  test('offered with --http2; HTTP/1.1 clients are still served', async () => {
    const { connect: connectHttp2 } = await import('node:http2');
    const h2 = await startTestServer({ config: { http2: true } });
    try {
      const session = connectHttp2(h2.url, { ca: h2.ca, servername: 'localhost' });
      const status = await new Promise<number>((resolve, reject) => {
        const stream = session.request({ ':path': '/healthz' });
        stream.on('response', (headers) => resolve(Number(headers[':status'])));
        stream.on('error', reject);
        // Drain the body, or the stream (and so the session and the server) stays open.
        stream.resume();
        stream.end();
      });
      assert.equal(status, 200);
      assert.equal(session.alpnProtocol, 'h2');
      await new Promise<void>((resolve) => session.close(() => resolve()));
      assert.equal((await h2.request('/healthz')).status, 200, 'HTTP/1.1 too');
    } finally {
      await h2.stop();
    }
  });
});
