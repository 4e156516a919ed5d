import { resolve } from 'node:path';
import { Migrator } from 'kysely';
import type { Store } from '../core/store.js';
import { GatehouseError } from '../core/errors.js';
import { createKyselyStore } from './kysely-store.js';
import { migrationProvider } from './migrations.js';
import { openSqlite } from './sqlite.js';

/** Options of {@link openStore}. */
export interface OpenStoreOptions {
  /**
   * Where the data lives: `sqlite:PATH` (or a bare file path), or
   * `sqlite::memory:` for a throw-away database.
   */
  url: string;
}

/**
 * Opens the database named by `url` and brings its schema up to date.
 *
 * @throws {GatehouseError} `ERR_CONFIG` for a URL of a kind Gatehouse cannot open.
 */
export async function openStore(options: OpenStoreOptions): Promise<Store> {
  const file = sqliteFile(options.url);
  const { db } = openSqlite(file);
  const store = createKyselyStore(db, { close: () => db.destroy() });
  try {
    const { error } = await new Migrator({ db, provider: migrationProvider }).migrateToLatest();
    if (error) throw error;
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return store;
}

/** The SQLite file a database URL names. */
export function sqliteFile(url: string): string {
  if (url === 'sqlite::memory:' || url === ':memory:') return ':memory:';
  if (url.startsWith('sqlite:')) return resolve(url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, ''));
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    throw new GatehouseError('ERR_CONFIG', {
      message: `db: ${url.split(':')[0]} databases are not supported; use sqlite:PATH`,
      details: { key: 'db' },
    });
  }
  return resolve(url);
}
