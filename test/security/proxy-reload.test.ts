import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../../src/server/config.js';
import { createDevelopmentCertificate } from '../../src/server/tls.js';
import { startServe } from '../helpers/process.js';
import { startTestServer } from '../helpers/server.js';

test('X-Forwarded-For is believed only from configured proxies', async () => {
  for (const [trustProxy, expected] of [
    [undefined, '127.0.0.1'],
    [['127.0.0.1'], '203.0.113.9'],
  ] as const) {
    const server = await startTestServer({ config: trustProxy ? { trustProxy: [...trustProxy] } : {} });
    try {
      await server.core.users.createUser({ username: 'behind', password: 'behind a proxy 1' });
      const login = await server.request('/login', {
        form: { username: 'behind', password: 'behind a proxy 1' },
        headers: { 'x-forwarded-for': '203.0.113.9' },
      });
      assert.equal(login.json.session.ip, expected, `trustProxy ${trustProxy}`);
    } finally {
      await server.stop();
    }
  }
  assert.throws(
    () => loadConfig({ flags: { trustProxy: 'true' }, env: {} }),
    /trustProxy: must be a comma-separated list of proxy addresses/,
  );
});

test('SIGHUP reloads the certificate without a restart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-reload-'));
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  const first = await createDevelopmentCertificate();
  writeFileSync(certFile, first.cert);
  writeFileSync(keyFile, first.key, { mode: 0o600 });
  const server = await startServe([
    '--data',
    dir,
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    '--tls-cert',
    certFile,
    '--tls-key',
    keyFile,
  ]);
  const served = (ca: string) =>
    new Promise<string>((resolve, reject) => {
      const socket = connect(
        { host: '127.0.0.1', port: Number(new URL(server.url).port), ca, servername: 'localhost' },
        () => {
          resolve(new X509Certificate(socket.getPeerX509Certificate()!.raw).fingerprint256);
          socket.end();
        },
      );
      socket.on('error', reject);
    });
  try {
    assert.equal(await served(first.cert), new X509Certificate(first.cert).fingerprint256);
    const second = await createDevelopmentCertificate();
    writeFileSync(certFile, second.cert);
    writeFileSync(keyFile, second.key);
    server.child.kill('SIGHUP');
    let fingerprint = '';
    for (
      let attempt = 0;
      attempt < 20 && fingerprint !== new X509Certificate(second.cert).fingerprint256;
      attempt += 1
    ) {
      await sleep(100);
      fingerprint = await served(second.cert).catch(() => '');
    }
    assert.equal(
      fingerprint,
      new X509Certificate(second.cert).fingerprint256,
      'new connections get the new certificate',
    );
    assert.equal(server.child.exitCode, null, 'still running');
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
