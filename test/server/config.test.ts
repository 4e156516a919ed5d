import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { isGatehouseError } from '../../src/core/errors/errors.js';
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
  assert.equal(config.sessionIdleTimeoutSeconds, 1800);
  assert.equal(config.sessionAbsoluteTimeoutSeconds, 43_200);
  assert.equal(config.cookieName, '__Host-gatehouse');
  assert.equal(config.lessonRoutes, true);
  assert.equal(config.tlsCert, undefined);
});

test('flag beats GATEHOUSE_* variable beats config file beats default', () => {
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify({ port: 1111, host: 'file-host', sessionIdleTimeoutSeconds: 60, data: dir }));
  const config = loadConfig({
    flags: { config: file, port: '3333' },
    env: { GATEHOUSE_PORT: '2222', GATEHOUSE_HOST: 'env-host' },
  });
  assert.equal(config.port, 3333);
  assert.equal(config.host, 'env-host');
  assert.equal(config.sessionIdleTimeoutSeconds, 60);
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
    configError(() => loadConfig({ flags: { sessionIdleTimeoutSeconds: '0' }, env: {} })),
    /^invalid configuration: sessionIdleTimeoutSeconds: /,
  );
  assert.match(
    configError(() =>
      loadConfig({ flags: { sessionIdleTimeoutSeconds: '7200', sessionAbsoluteTimeoutSeconds: '3600' }, env: {} }),
    ),
    /^invalid configuration: sessionIdleTimeoutSeconds: must be shorter than sessionAbsoluteTimeoutSeconds \(7200 s is not shorter than 3600 s\): an idle timeout that long never applies$/,
  );
  assert.match(
    configError(() =>
      loadConfig({ flags: { sessionIdleTimeoutSeconds: '600', sessionAbsoluteTimeoutSeconds: '600' }, env: {} }),
    ),
    /^invalid configuration: sessionIdleTimeoutSeconds: must be shorter than sessionAbsoluteTimeoutSeconds \(600 s is not shorter than 600 s\)/,
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

test('every setting is one option of `gatehouse serve` and one row of docs/configuration.md, with its default', async () => {
  const { listSettings } = await import('../../src/server/config.js');
  const { runCLI } = await import('../helpers/process.js');
  const help = (await runCLI(['serve', '--help'])).stdout.replace(/\s+/g, ' ');
  const docs = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
  const rows = docs.split('\n').filter((line) => /^\| `[a-zA-Z0-9]+` \| `--/.test(line));
  const settings = listSettings();
  assert.equal(rows.length, settings.length, 'one row per setting, and no row of a setting that does not exist');
  for (const setting of settings) {
    const { key, flag, env, arg } = setting;
    const shown = setting.default === undefined ? [] : [`default ${setting.default}`];
    const option = `${flag}${arg === undefined ? '' : ` <${arg.toLowerCase()}>`}`;
    assert.ok(help.includes(`${option} ${setting.help} (${[env, ...shown].join(', ')})`), `serve --help: ${option}`);
    const cell = setting.default === undefined ? 'none' : `\`${setting.default}\``;
    const row = `| \`${key}\` | \`${flag}${arg === undefined ? '' : ` ${arg}`}\` | \`${env}\` | ${cell} |`;
    assert.ok(
      rows.some((line) => line.startsWith(row)),
      `docs/configuration.md: ${row}`,
    );
  }
});

test('a config file key from before units were in the names says what it is called now', () => {
  const file = join(dir, 'old.json');
  writeFileSync(file, JSON.stringify({ sessionIdleTimeout: 900 }));
  assert.equal(
    configError(() => loadConfig({ flags: { config: file }, env: {} })),
    `invalid configuration: sessionIdleTimeout: is now sessionIdleTimeoutSeconds (in the config file ${file})`,
  );
});
