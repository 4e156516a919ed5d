/**
 * The source of time for everything in the core. Injected so that tests can
 * pin it and move it (idle and absolute session expiry are tested this way).
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

/** The real clock: `Date.now()`. */
export const systemClock: Clock = { now: () => Date.now() };

/**
 * A clock that only moves when told to; for tests.
 *
 * @example
 * const clock = createManualClock(Date.parse('2026-01-01T00:00:00Z'));
 * clock.advance(31 * 60_000);
 */
export function createManualClock(startMs: number): Clock & { advance(ms: number): void; set(ms: number): void } {
  let current = startMs;
  return {
    now: () => current,
    advance(ms: number) {
      current += ms;
    },
    set(ms: number) {
      current = ms;
    },
  };
}
