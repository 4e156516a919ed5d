import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import SQLite from 'better-sqlite3';
import { databaseKind, openStore, sqliteFile } from '../../src/store/index.js';
import { MIGRATION_NAMES } from '../../src/store/migrations.js';
import { withReadCache } from '../../src/store/read-cache.js';
import { isGatehouseError } from '../../src/core/errors/errors.js';
import { runStoreConformance } from './conformance.js';
import { checkSessionAuthenticatedAtMigration } from './session-migration.js';

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));

runStoreConformance('SQLite file', () => openStore({ url: `sqlite:${join(dir, 'conformance.db')}` }));
runStoreConformance('SQLite in memory', () => openStore({ url: 'sqlite::memory:' }));
// A long time to live: every answer must come out right through invalidation alone, never through expiry.
runStoreConformance(
  'SQLite behind the read cache',
  async () => withReadCache(await openStore({ url: 'sqlite::memory:' }), { ttlMs: 60_000 }).store,
);

test('a new SQLite database is created in WAL mode with the schema migrated, and reopening keeps the data', async () => {
  const file = join(dir, 'nested', 'gatehouse.db');
  const store = await openStore({ url: `sqlite:${file}` });
  await store.createUser({
    id: 'u1',
    username: 'Alice',
    usernameKey: 'alice',
    passwordHash: 'h',
    disabled: false,
    roles: [],
    createdAt: 1,
    updatedAt: 1,
  });
  await store.close();
  assert.ok(statSync(file).isFile());
  // An attacker's finding (#14): the database was 0644 in a 0755 folder. Private from the start now.
  assert.equal(statSync(file).mode & 0o777, 0o600, 'the database file is 0600');
  assert.equal(statSync(dirname(file)).mode & 0o777, 0o700, 'a folder made for it is 0700');
  const raw = new SQLite(file, { readonly: true });
  assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
  const migrations = raw.prepare('select name from kysely_migration order by name').all() as { name: string }[];
  assert.deepEqual(
    migrations.map((row) => row.name),
    [...MIGRATION_NAMES],
  );
  raw.close();
  const reopened = await openStore({ url: `sqlite:${file}` });
  assert.equal((await reopened.findUserByKey('alice'))?.username, 'Alice');
  await reopened.close();
});

test('database URLs: sqlite:PATH, bare paths, memory, postgres://; other schemes refused without echoing the URL', () => {
  assert.equal(sqliteFile('sqlite::memory:'), ':memory:');
  assert.equal(sqliteFile('sqlite:/tmp/x.db'), '/tmp/x.db');
  assert.equal(sqliteFile('/tmp/y.db'), '/tmp/y.db');
  assert.equal(databaseKind('postgres://postgres@127.0.0.1:5432/gatehouse'), 'postgres');
  assert.equal(databaseKind('postgresql://db/gatehouse'), 'postgres');
  assert.equal(databaseKind('sqlite:data/x.db'), 'sqlite');
  assert.equal(databaseKind('data/x.db'), 'sqlite');
  try {
    databaseKind('mysql://root:hunter2@db/gatehouse');
    assert.fail('expected an error');
  } catch (error) {
    assert.ok(isGatehouseError(error, 'ERR_CONFIG'));
    assert.match(error.message, /^db: mysql databases are not supported/);
    assert.doesNotMatch(error.message, /hunter2/);
  }
});

test(
  'defect 1 (#22): migration 0013 gives existing sessions their start as their last sign-in',
  { timeout: 60_000 },
  async () => {
    await checkSessionAuthenticatedAtMigration(`sqlite:${join(dir, 'before-0013.db')}`);
  },
);
