import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { isGatehouseError } from '../../src/core/errors.js';
import { loadConfig } from '../../src/server/config.js';

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-config-'));

function configError(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    assert.ok(isGatehouseError(error, 'ERR_CONFIG'), String(error));
    assert.doesNotMatch(error.message, /\n/, 'one line');
    return error.message;
  }
  assert.fail('expected ERR_CONFIG');
}

test('defaults: ./data, SQLite inside it, localhost:8443, 30 min idle, 12 h absolute, __Host- cookie', () => {
  const config = loadConfig({ env: {} });
  assert.equal(config.data, resolve('data'));
  assert.equal(config.db, `sqlite:${resolve('data', 'gatehouse.db')}`);
  assert.equal(config.host, 'localhost');
  assert.equal(config.port, 8443);
  assert.equal(config.sessionIdleTimeout, 1800);
  assert.equal(config.sessionAbsoluteTimeout, 43_200);
  assert.equal(config.cookieName, '__Host-gatehouse');
  assert.equal(config.lessonRoutes, true);
  assert.equal(config.tlsCert, undefined);
});

test('flag beats GATEHOUSE_* variable beats config file beats default', () => {
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify({ port: 1111, host: 'file-host', sessionIdleTimeout: 60, data: dir }));
  const config = loadConfig({
    flags: { config: file, port: '3333' },
    env: { GATEHOUSE_PORT: '2222', GATEHOUSE_HOST: 'env-host' },
  });
  assert.equal(config.port, 3333);
  assert.equal(config.host, 'env-host');
  assert.equal(config.sessionIdleTimeout, 60);
  assert.equal(config.db, `sqlite:${join(dir, 'gatehouse.db')}`);
  assert.equal(loadConfig({ env: { GATEHOUSE_CONFIG: file } }).port, 1111);
});

test('a bad value stops the start with one line naming the key and its source', () => {
  assert.equal(
    configError(() => loadConfig({ env: { GATEHOUSE_PORT: 'eighty' } })),
    'invalid configuration: port: must be a whole number from 0 to 65535 (from GATEHOUSE_PORT)',
  );
  assert.match(
    configError(() => loadConfig({ flags: { port: '70000' }, env: {} })),
    /^invalid configuration: port: .*\(from --port\)$/,
  );
  assert.match(
    configError(() => loadConfig({ flags: { sessionIdleTimeout: '0' }, env: {} })),
    /^invalid configuration: sessionIdleTimeout: /,
  );
  assert.match(
    configError(() => loadConfig({ flags: { sessionIdleTimeout: '7200', sessionAbsoluteTimeout: '3600' }, env: {} })),
    /^invalid configuration: sessionIdleTimeout: must be shorter than sessionAbsoluteTimeout \(7200 s is not shorter than 3600 s\): an idle timeout that long never applies$/,
  );
  assert.match(
    configError(() => loadConfig({ flags: { sessionIdleTimeout: '600', sessionAbsoluteTimeout: '600' }, env: {} })),
    /^invalid configuration: sessionIdleTimeout: must be shorter than sessionAbsoluteTimeout \(600 s is not shorter than 600 s\)/,
  );
  assert.match(
    configError(() => loadConfig({ flags: { tlsCert: 'cert.pem' }, env: {} })),
    /^invalid configuration: tlsKey: /,
  );
  assert.match(
    configError(() => loadConfig({ flags: { cookieName: 'bad name;' }, env: {} })),
    /^invalid configuration: cookieName: /,
  );
  assert.match(
    configError(() => loadConfig({ flags: { logLevel: 'loud' }, env: {} })),
    /^invalid configuration: logLevel: /,
  );
  assert.match(
    configError(() => loadConfig({ flags: { lessonRoutes: 'maybe' }, env: {} })),
    /^invalid configuration: lessonRoutes: /,
  );
});

test('config file problems: missing, not JSON, not an object, unknown key, wrong type', () => {
  assert.match(
    configError(() => loadConfig({ flags: { config: join(dir, 'missing.json') }, env: {} })),
    /^invalid configuration: config: file not found: /,
  );
  const broken = join(dir, 'broken.json');
  writeFileSync(broken, '{ port: ');
  assert.match(
    configError(() => loadConfig({ flags: { config: broken }, env: {} })),
    /^invalid configuration: config: not a readable JSON file/,
  );
  const array = join(dir, 'array.json');
  writeFileSync(array, '[]');
  assert.match(
    configError(() => loadConfig({ flags: { config: array }, env: {} })),
    /must hold a JSON object/,
  );
  const unknown = join(dir, 'unknown.json');
  writeFileSync(unknown, '{"prot": 8443}');
  assert.match(
    configError(() => loadConfig({ flags: { config: unknown }, env: {} })),
    /^invalid configuration: prot: unknown key/,
  );
  const typed = join(dir, 'typed.json');
  writeFileSync(typed, '{"port": "8443x"}');
  assert.match(
    configError(() => loadConfig({ flags: { config: typed }, env: {} })),
    /^invalid configuration: port: .*\(from the config file\)$/,
  );
});

test('every setting has its flag on `gatehouse serve` and its row in docs/configuration.md', async () => {
  const { listSettings } = await import('../../src/server/config.js');
  const { runCLI } = await import('../helpers/process.js');
  const help = (await runCLI(['serve', '--help'])).stdout;
  const docs = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
  for (const { key, flag, env } of listSettings()) {
    assert.ok(help.includes(flag), `serve --help lacks ${flag}`);
    assert.ok(help.includes(env), `serve --help lacks ${env}`);
    assert.ok(docs.includes(`| \`${key}\` | \`${flag}`), `docs/configuration.md lacks the row of ${key}`);
    assert.ok(docs.includes(`\`${env}\``), `docs/configuration.md lacks ${env}`);
  }
});
