import { availableParallelism } from 'node:os';
import { GatehouseError } from '../errors/index.js';
import type { PasswordHasher } from './passwords.js';

/** The error of a full hash queue: HTTP 503 with `Retry-After: 1`. */
export function busyError(): GatehouseError {
  return new GatehouseError('ERR_BUSY', { details: { retryAfterSeconds: 1 } });
}

/** Options of {@link withHashQueue}. */
export interface HashQueueOptions {
  /** Hashes computed at once. Default: the cores less one (at least 1), so the event loop keeps a core. */
  concurrency?: number;
  /** Hashes that may wait for a slot; one more is refused. Default 16 per slot (about 0.2 s of waiting at OWASP cost). */
  maxWaiting?: number;
}

/**
 * Bounds password hashing: at most `concurrency` Argon2 computations run at
 * once and at most `maxWaiting` wait; beyond that the call fails at once with
 * `ERR_BUSY` (HTTP 503 with Retry-After). A flood of sign-ins then costs
 * signed-in traffic one core at most, and the sign-ins themselves a bounded
 * wait, instead of latency growing for everyone until requests time out.
 *
 * Unknown users go through the same queue (the login hashes a dummy), so a
 * busy answer says nothing about whether an account exists.
 */
export function withHashQueue(hasher: PasswordHasher, options: HashQueueOptions = {}): PasswordHasher {
  const concurrency = options.concurrency ?? Math.max(1, availableParallelism() - 1);
  const maxWaiting = options.maxWaiting ?? concurrency * 16;
  if (!(Number.isSafeInteger(concurrency) && concurrency >= 1))
    throw new RangeError('concurrency must be a positive integer');
  if (!(Number.isSafeInteger(maxWaiting) && maxWaiting >= 0))
    throw new RangeError('maxWaiting must be a non-negative integer');
  let running = 0;
  const waiting: (() => void)[] = [];

  async function run<T>(work: () => Promise<T>): Promise<T> {
    if (running >= concurrency) {
      if (waiting.length >= maxWaiting) {
        throw busyError();
      }
      // The slot is handed over by the finishing hash (below), so `running` never overshoots.
      await new Promise<void>((resolve) => waiting.push(resolve));
    } else {
      running += 1;
    }
    try {
      return await work();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running -= 1;
    }
  }

  return {
    saturated: () => running >= concurrency && waiting.length >= maxWaiting,
    hash: (password) => run(() => hasher.hash(password)),
    verify: (phc, password) => run(() => hasher.verify(phc, password)),
    needsRehash: (phc) => hasher.needsRehash(phc),
  };
}
