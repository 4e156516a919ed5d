/**
 * Brute-force and credential-stuffing protection for password sign-in
 * (OWASP Authentication and Credential Stuffing cheat sheets). The core
 * decides when to ask and what to do with the answer; the counters live
 * behind this interface (in memory for one instance, in Redis for many).
 */
export interface LoginThrottle {
  /**
   * Before checking a password: how long this attempt must wait. `retryAfterSeconds > 0`
   * refuses it outright (429), even with the right password; `delayMs` slows it down.
   */
  check(keys: ThrottleKeys): Promise<{ retryAfterSeconds: number; delayMs: number }>;
  /** After a failed attempt; returns the seconds of a block it started (0: none). */
  recordFailure(keys: ThrottleKeys): Promise<number>;
  /** After a successful sign-in: the account's consecutive-failure counters start again. */
  recordSuccess(keys: ThrottleKeys): Promise<void>;
}

/** What an attempt is counted against. */
export interface ThrottleKeys {
  /** The normalised username (or a stand-in for a name that cannot exist): known and unknown names count alike. */
  account: string;
  /** The client address. */
  ip: string;
}

/** Throttling limits. */
export interface ThrottlePolicy {
  /** Consecutive failures per account (and per account + IP) that start a block. Default 10. */
  accountFailures: number;
  /** First block, in seconds; each further block of the same account doubles it. Default 60. */
  blockSeconds: number;
  /** Longest block, in seconds. Default 3600. */
  maxBlockSeconds: number;
  /** Failures per IP address within `ipWindowSeconds` before that address is blocked; generous, for offices behind NAT. Default 100. */
  ipFailures: number;
  /** The per-IP window and block, in seconds. Default 900 (15 min). */
  ipWindowSeconds: number;
  /** Failures after which each attempt is slowed down, before the block. Default 5. */
  slowDownAfter: number;
}

/** The defaults of {@link ThrottlePolicy}. */
export const DEFAULT_THROTTLE_POLICY: Readonly<ThrottlePolicy> = Object.freeze({
  accountFailures: 10,
  blockSeconds: 60,
  maxBlockSeconds: 3600,
  ipFailures: 100,
  ipWindowSeconds: 900,
  slowDownAfter: 5,
});
