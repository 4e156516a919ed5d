import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { GatehouseClient } from '../../src/client/index.js';
import { startServe } from '../helpers/process.js';

const data = mkdtempSync(join(tmpdir(), 'gatehouse-lesson-'));
after(() => rmSync(data, { recursive: true, force: true }));

test('examples/lesson/server.ts: the lesson’s service on the plugin, with its users seeded', async () => {
  const server = await startServe([], {
    commandArgs: ['--import', 'tsx', 'examples/lesson/server.ts'],
    env: { PORT: '0', DATA: data },
    readyPattern: /lesson service on (https:\/\/\S+)/,
  });
  const client = new GatehouseClient({ baseUrl: server.url, ca: readFileSync(join(data, 'tls', 'cert.pem')) });
  try {
    await assert.rejects(client.getInfo(), (error: { status: number }) => error.status === 401);
    await assert.rejects(
      client.login('Alice', 'alice_pw'),
      (error: { code: string }) => error.code === 'ERR_INVALID_CREDENTIALS',
    );
    await client.login('Carlos', 'carlos-lesson-pw-2021');
    assert.deepEqual(await client.getInfo(), { 'Secret-number': 42 });
  } finally {
    await client.close();
    await server.stop();
  }
});
