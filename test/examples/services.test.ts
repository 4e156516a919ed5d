import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ROOT } from '../helpers/process.js';
import { addScopes, startTestServer, type TestServer } from '../helpers/server.js';

let gatehouse: TestServer;
before(async () => {
  gatehouse = await startTestServer();
  await addScopes(gatehouse.core, 'orders:read');
});
after(() => gatehouse.stop());

test('examples/services: a job gets a token with client_credentials and calls a service that verifies it offline', async () => {
  const { client, secret } = await gatehouse.core.clients.createClient({ name: 'billing-job', scopes: 'orders:read' });
  const env = { ...process.env, GATEHOUSE_URL: gatehouse.url, GATEHOUSE_CA: join(gatehouse.data, 'tls', 'cert.pem') };
  const orders = spawn(process.execPath, ['--import', 'tsx', 'examples/services/orders-service.ts'], {
    cwd: ROOT,
    env,
  });
  try {
    const started = await new Promise<{ url: string; cert: string }>((resolve, reject) => {
      let out = '';
      orders.stdout.on('data', (chunk) => {
        out += chunk;
        const match = /listening on (\S+)\n(-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----)/.exec(out);
        if (match) resolve({ url: match[1]!, cert: match[2]! });
      });
      orders.on('exit', (code) => reject(new Error(`orders service exited ${code}`)));
    });
    const ordersCa = join(gatehouse.data, 'orders-ca.pem');
    writeFileSync(ordersCa, `${started.cert}\n`);
    const job = spawn(process.execPath, ['--import', 'tsx', 'examples/services/billing-job.ts'], {
      cwd: ROOT,
      env: { ...env, CLIENT_ID: client.id, CLIENT_SECRET: secret!, ORDERS_URL: started.url, ORDERS_CA: ordersCa },
    });
    let output = '';
    let errors = '';
    job.stdout.on('data', (chunk) => (output += chunk));
    job.stderr.on('data', (chunk) => (errors += chunk));
    const code = await new Promise((resolve) => job.on('exit', resolve));
    assert.equal(code, 0, errors);
    assert.equal(
      output.trim(),
      `200 ${JSON.stringify({ caller: client.id, orders: [{ id: 1, item: 'tea', quantity: 2 }] })}`,
    );
  } finally {
    orders.kill('SIGTERM');
  }
});
