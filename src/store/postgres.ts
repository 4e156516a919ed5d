import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.js';

/** Options of {@link openPostgres}. */
export interface PostgresOptions {
  /** Connections in the pool. Default 10. */
  poolSize?: number;
}

/**
 * Opens a PostgreSQL connection pool for Gatehouse. A connection that fails
 * in the pool (database restarted) is logged by the caller and replaced on
 * the next query; the pool itself never throws into the event loop.
 */
export function openPostgres(url: string, options: PostgresOptions = {}): { db: Kysely<Database>; pool: pg.Pool } {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
    // Fail fast rather than pile up when the database is gone.
    query_timeout: 15_000,
  });
  // An idle client that loses its connection emits 'error' on the pool; without
  // a listener that would crash the process (Node's unhandled 'error' event).
  pool.on('error', () => undefined);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { db, pool };
}
