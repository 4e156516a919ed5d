import { resolve } from 'node:path';
import { Migrator, type Kysely } from 'kysely';
import { GatehouseError } from '../core/errors/index.js';
import type { Store } from '../core/store/index.js';
import { createKyselyStore } from './kysely-store.js';
import { migrationProvider } from './migrations.js';
import { openPostgres, type PostgresOptions } from './postgres.js';
import type { Database } from './schema.js';
import { openSqlite } from './sqlite.js';
import { isDatabaseUnavailable, withUnavailableErrors } from './unavailable.js';

/** Options of {@link openStore}. */
export interface OpenStoreOptions {
  /**
   * Where the data lives: `sqlite:PATH` (or a bare file path), `sqlite::memory:`,
   * or `postgres://USER@HOST:PORT/DB` (also `postgresql://`).
   */
  url: string;
  /**
   * What to do with an older schema: `apply` brings it up to date; `verify`
   * refuses to open it. Default: `apply` for SQLite (the embedded default),
   * `verify` for PostgreSQL (shared by many instances: migrate on purpose,
   * with `gatehouse migrate up` or `serve --migrate`). A schema newer than
   * this Gatehouse knows is always refused.
   */
  migrations?: 'apply' | 'verify';
  /** PostgreSQL connections per instance. Default 10. */
  poolSize?: number;
  /** Told when a PostgreSQL connection fails (see {@link PostgresOptions.onConnectionError}). Default: ignored. */
  onConnectionError?: PostgresOptions['onConnectionError'];
}

/** The kind of database a URL names. */
export function databaseKind(url: string): 'sqlite' | 'postgres' {
  if (/^postgres(ql)?:\/\//i.test(url)) return 'postgres';
  if (url.startsWith('sqlite:') || url === ':memory:' || !/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return 'sqlite';
  throw new GatehouseError('ERR_CONFIG', {
    message: `db: ${url.split(':')[0]} databases are not supported; use sqlite:PATH or postgres://…`,
    details: { key: 'db' },
  });
}

/** Opens the Kysely database a URL names, without touching its schema. */
export function openDatabase(url: string, options: PostgresOptions = {}): Kysely<Database> {
  return databaseKind(url) === 'postgres' ? openPostgres(url, options).db : openSqlite(sqliteFile(url)).db;
}

/** Migration state: applied and pending names, and names the database has that this version does not know. */
export async function readMigrationStatus(
  db: Kysely<Database>,
): Promise<{ applied: string[]; pending: string[]; unknown: string[] }> {
  const known = Object.keys(await migrationProvider.getMigrations());
  const infos = await new Migrator({ db, provider: migrationProvider }).getMigrations();
  const applied = infos.filter((info) => info.executedAt !== undefined).map((info) => info.name);
  // Migrator lists only known migrations; read the table for ones from a newer version.
  let recorded: string[];
  try {
    const table = db as unknown as Kysely<{ kysely_migration: { name: string } }>;
    recorded = (await table.selectFrom('kysely_migration').select('name').execute()).map((row) => row.name);
  } catch {
    recorded = [];
  }
  return {
    applied,
    pending: known.filter((name) => !applied.includes(name)),
    unknown: recorded.filter((name) => !known.includes(name)),
  };
}

/** The deployment id (migration `0011_deployment`), or `null` on a database that does not have it yet. */
export async function readDeploymentIdIfAny(db: Kysely<Database>): Promise<string | null> {
  try {
    return (await db.selectFrom('deployment').select('id').executeTakeFirst())?.id ?? null;
  } catch {
    return null;
  }
}

/** Applies pending migrations; returns their names. @throws {GatehouseError} `ERR_CONFIG` for a newer schema. */
export async function applyMigrations(db: Kysely<Database>): Promise<string[]> {
  const status = await readMigrationStatus(db);
  if (status.unknown.length > 0) throw newerSchemaError(status.unknown);
  const { error, results } = await new Migrator({ db, provider: migrationProvider }).migrateToLatest();
  if (error) throw error;
  return (results ?? []).filter((result) => result.status === 'Success').map((result) => result.migrationName);
}

/**
 * Opens the database named by `url` and checks (or brings up to date) its schema.
 *
 * @throws {GatehouseError} `ERR_CONFIG` for an unsupported URL, a schema newer than this version, or (with `verify`) an older one.
 */
export async function openStore(options: OpenStoreOptions): Promise<Store> {
  const kind = databaseKind(options.url);
  const db = openDatabase(options.url, options);
  const store = withUnavailableErrors(createKyselyStore(db, { close: () => db.destroy() }));
  try {
    const policy = options.migrations ?? (kind === 'sqlite' ? 'apply' : 'verify');
    if (policy === 'apply') {
      await applyMigrations(db);
    } else {
      const status = await readMigrationStatus(db);
      if (status.unknown.length > 0) throw newerSchemaError(status.unknown);
      if (status.pending.length > 0) {
        throw new GatehouseError('ERR_CONFIG', {
          message: `the database schema is older than this Gatehouse (pending: ${status.pending.join(', ')}); run gatehouse migrate up, or serve --migrate`,
          details: { key: 'db' },
        });
      }
    }
  } catch (error) {
    await db.destroy();
    if (isDatabaseUnavailable(error)) {
      throw new GatehouseError('ERR_UNAVAILABLE', {
        message: `the database is not reachable (${(error as Error).message})`,
        cause: error,
      });
    }
    throw error;
  }
  return store;
}

function newerSchemaError(unknown: string[]): GatehouseError {
  return new GatehouseError('ERR_CONFIG', {
    message: `the database schema is newer than this Gatehouse (unknown migrations: ${unknown.join(', ')}); upgrade Gatehouse`,
    details: { key: 'db' },
  });
}

/** The SQLite file a database URL names. */
export function sqliteFile(url: string): string {
  if (url === 'sqlite::memory:' || url === ':memory:') return ':memory:';
  if (url.startsWith('sqlite:')) return resolve(url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, ''));
  return resolve(url);
}
