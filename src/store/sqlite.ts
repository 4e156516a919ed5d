import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { Database } from './schema.js';

/**
 * Opens (creating when needed) a SQLite database file for Gatehouse.
 *
 * WAL lets the CLI read and write while the server runs; `busy_timeout`
 * makes a writer wait for another instead of failing; foreign keys are off
 * in SQLite unless asked for, and deleting a user relies on them.
 */
export function openSqlite(file: string): { db: Kysely<Database>; raw: SQLite.Database } {
  if (file !== ':memory:') {
    // Private from the start: the folder 0700 and the file 0600 (SQLite gives its -wal and -shm files the database's mode).
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    closeSync(openSync(file, 'a', 0o600));
  }
  const raw = new SQLite(file);
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = NORMAL');
  raw.pragma('busy_timeout = 5000');
  raw.pragma('foreign_keys = ON');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: raw }) });
  return { db, raw };
}
