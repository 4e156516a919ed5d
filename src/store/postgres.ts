import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.js';

/** Options of {@link openPostgres}. */
export interface PostgresOptions {
  /** Connections in the pool. Default 10. */
  poolSize?: number;
  /**
   * Told when a pooled connection fails (the database restarted, a backend
   * was terminated), so the caller can log it. The connection is dropped and
   * the next query opens another. The error is pg's (`Connection terminated
   * unexpectedly`, or the server's FATAL with its `code`, e.g. 57P01): it
   * never carries the connection string. Default: ignored.
   */
  onConnectionError?: (error: Error) => void;
}

/**
 * Opens a PostgreSQL connection pool for Gatehouse. A connection that fails
 * in the pool (database restarted) is reported to `onConnectionError` and
 * replaced on the next query; the pool never throws into the event loop.
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
  const onConnectionError = options.onConnectionError ?? (() => undefined);
  // pg-pool listens for a client's 'error' only while the client is idle and
  // removes that listener on checkout. When PostgreSQL stops, a backend's
  // FATAL (57P01) ends the running query, the client goes back to the pool
  // and out to a waiting query, and the socket's close then emits 'error' on
  // a checked-out client: with no listener, Node ends the process
  // (node-postgres #2762, #2439). So every client gets a listener of its own,
  // for its whole life.
  pool.on('connect', (client) => client.on('error', onConnectionError));
  // The idle case is reported by the client's own listener above.
  pool.on('error', () => undefined);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { db, pool };
}
