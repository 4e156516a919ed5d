import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Agent, request } from 'undici';
import { runCLI, startServe } from '../helpers/process.js';

const data = mkdtempSync(join(tmpdir(), 'gatehouse-serve-'));
after(() => rmSync(data, { recursive: true, force: true }));
const COOKIE = '__Host-gatehouse';
const PASSWORD = 'alice password 1';

async function call(
  url: string,
  ca: string,
  path: string,
  options: { form?: Record<string, string>; cookie?: string } = {},
) {
  const dispatcher = new Agent({ connect: { ca } });
  try {
    const response = await request(`${url}${path}`, {
      method: options.form ? 'POST' : 'GET',
      dispatcher,
      headers: {
        ...(options.form && { 'content-type': 'application/x-www-form-urlencoded' }),
        ...(options.cookie && { cookie: options.cookie }),
      },
      body: options.form ? new URLSearchParams(options.form).toString() : undefined,
    });
    const text = await response.body.text();
    const setCookie = ([] as string[]).concat(response.headers['set-cookie'] ?? []);
    const token = setCookie.find((line) => line.startsWith(`${COOKIE}=`))?.split(';')[0];
    return { status: response.statusCode, text, cookie: token };
  } finally {
    await dispatcher.close();
  }
}

describe('gatehouse serve, end to end', () => {
  const args = ['--data', data, '--host', '127.0.0.1', '--port', '0'];

  test('first start: HTTPS, a generated P-256 certificate for localhost, and how to add a user', async () => {
    const server = await startServe(args);
    try {
      assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      const out = server.stdout();
      assert.match(out, /curl --cacert \S*tls\/cert\.pem/);
      assert.match(out, /verify='\S*tls\/cert\.pem'/);
      assert.match(out, /No users yet\. Add the first one with: npx gatehouse user add NAME --role admin/);
      const certPem = readFileSync(join(data, 'tls', 'cert.pem'), 'utf8');
      const cert = new X509Certificate(certPem);
      assert.equal(cert.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
      assert.equal(cert.subjectAltName, 'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
      assert.equal(statSync(join(data, 'tls', 'key.pem')).mode & 0o777, 0o600);
      const health = await call(server.url, certPem, '/healthz');
      assert.deepEqual([health.status, JSON.parse(health.text)], [200, { status: 'ok' }]);
      const ready = await call(server.url, certPem, '/readyz');
      assert.deepEqual(
        [ready.status, JSON.parse(ready.text)],
        [200, { status: 'ready', database: 'up', redis: 'absent' }],
      );
    } finally {
      assert.equal(await server.stop('SIGTERM'), 0, 'graceful shutdown exits 0');
    }
    // The access log is written in batches and flushed at the stop: one line per request, none lost.
    const requests = server
      .stdout()
      .split('\n')
      .filter((line) => line.includes('"msg":"request"'))
      .map((line) => JSON.parse(line) as { url: string; status: number });
    assert.deepEqual(
      requests.map(({ url, status }) => [url, status]),
      [
        ['/healthz', 200],
        ['/readyz', 200],
      ],
    );
  });

  test('the CLI works while the server runs; sessions survive a restart; the certificate is reused', async () => {
    const first = await startServe(args);
    const ca = readFileSync(join(data, 'tls', 'cert.pem'), 'utf8');
    let cookie: string | undefined;
    try {
      const added = await runCLI(['user', 'add', 'Alice', '--role', 'admin', '--password-stdin', '--data', data], {
        input: `${PASSWORD}\n`,
      });
      assert.equal(added.code, 0, added.stderr);
      const login = await call(first.url, ca, '/login', { form: { username: 'Alice', password: PASSWORD } });
      assert.equal(login.status, 200);
      cookie = login.cookie;
      assert.ok(cookie);
      assert.equal((await call(first.url, ca, '/get-info', { cookie })).text, '{"Secret-number":42}');
    } finally {
      assert.equal(await first.stop('SIGINT'), 0);
    }

    const second = await startServe(args);
    try {
      assert.equal(readFileSync(join(data, 'tls', 'cert.pem'), 'utf8'), ca, 'same certificate');
      assert.doesNotMatch(second.stdout(), /No users yet/);
      assert.equal((await call(second.url, ca, '/get-info', { cookie })).status, 200, 'session survived the restart');
      const revoked = await runCLI(['sessions', 'revoke', '--user', 'alice', '--data', data]);
      assert.equal(revoked.code, 0, revoked.stderr);
      assert.equal(
        (await call(second.url, ca, '/get-info', { cookie })).status,
        401,
        'revoked from the CLI while running',
      );
    } finally {
      await second.stop();
    }
  });

  test('invalid configuration stops the start with one line naming the key', async () => {
    await assert.rejects(
      startServe([...args, '--session-idle-timeout', 'soon']),
      (error: { code: number; stderr: string }) => {
        assert.notEqual(error.code, 0);
        assert.equal(
          error.stderr.trim(),
          'gatehouse: invalid configuration: sessionIdleTimeoutSeconds: must be a whole number from 1 to 31536000 (from --session-idle-timeout)',
        );
        return true;
      },
    );
    // A flag wins over its variable: with --port 0 the bad GATEHOUSE_PORT is never read.
    const flagWins = await startServe(args, { env: { GATEHOUSE_PORT: '99999' } });
    await flagWins.stop();
    const envOnly = await startServe(['--data', data, '--host', '127.0.0.1'], {
      env: { GATEHOUSE_PORT: '99999' },
    }).then(
      (server) => server.stop().then(() => 'started'),
      (error: { stderr: string }) => error.stderr.trim(),
    );
    assert.equal(
      envOnly,
      'gatehouse: invalid configuration: port: must be a whole number from 0 to 65535 (from GATEHOUSE_PORT)',
    );
  });

  test('npm start runs the built server (dist/) with the same defaults', async () => {
    const server = await startServe([], {
      command: 'npm',
      commandArgs: ['start', '--silent'],
      processGroup: true,
      env: { GATEHOUSE_DATA: data, GATEHOUSE_PORT: '0', GATEHOUSE_HOST: '127.0.0.1' },
    });
    try {
      assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      const ca = readFileSync(join(data, 'tls', 'cert.pem'), 'utf8');
      assert.equal((await call(server.url, ca, '/healthz')).status, 200);
    } finally {
      await server.stop();
    }
  });
});
