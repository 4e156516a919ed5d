import { GatehouseError } from '../core/errors/index.js';
import type { Store } from '../core/store/index.js';

// Signs that the database cannot be reached right now (as opposed to a query
// that is wrong): socket errors, PostgreSQL connection and shutdown classes
// (08xxx, 57P0x), pool time-outs, and SQLite's busy time-out.
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'SQLITE_BUSY',
]);
const MESSAGES = [
  /Connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /Connection ended unexpectedly/i,
  /Client has encountered a connection error/i,
  /Query read timeout/i,
];

/** Whether an error means the database is unreachable, not that the query was wrong. */
export function isDatabaseUnavailable(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || /^08|^57P0/.test(code))) return true;
  return typeof message === 'string' && MESSAGES.some((pattern) => pattern.test(message));
}

/**
 * Wraps every store method so that an unreachable database surfaces as
 * `ERR_UNAVAILABLE` (HTTP 503 with Retry-After), never as an internal error.
 */
export function withUnavailableErrors(store: Store): Store {
  const wrapped = {} as Record<string, unknown>;
  for (const [name, value] of Object.entries(store)) {
    wrapped[name] =
      typeof value === 'function' && name !== 'close' && name !== 'ping'
        ? async (...args: unknown[]) => {
            try {
              return await (value as (...a: unknown[]) => Promise<unknown>)(...args);
            } catch (error) {
              if (isDatabaseUnavailable(error))
                throw new GatehouseError('ERR_UNAVAILABLE', {
                  message: 'The database is not reachable; try again shortly.',
                  cause: error,
                });
              throw error;
            }
          }
        : value;
  }
  return wrapped as unknown as Store;
}
