/**
 * Brute-force and credential-stuffing protection for everything that checks
 * a password or a code: sign-in, HTTP Basic for users, second factors and
 * re-authentication (OWASP Authentication and Credential Stuffing cheat
 * sheets). The core decides when to ask and what to do with the answer; the
 * counters live behind this interface (in memory for one instance, in Redis
 * for many).
 *
 * An attempt is counted before it is checked (consume, then give back on
 * success): a limit that a burst of concurrent requests can pass is no limit.
 */
export interface LoginThrottle {
  /**
   * Counts an attempt against `keys` before the password or code is checked.
   * A refused attempt must not be checked at all (429, even with the right
   * password); an admitted one must be settled with exactly one of the
   * ticket's methods once the check is done.
   */
  begin(keys: ThrottleKeys): Promise<ThrottleTicket>;
}

/** The answer of {@link LoginThrottle.begin}. */
export type ThrottleTicket =
  | { admitted: false; retryAfterSeconds: number }
  | {
      admitted: true;
      /** Slow the check down by this much first (from the `slowDownAfter`th failure on). */
      delayMs: number;
      /** The credential was right: the account's consecutive failures start again. */
      succeed(): Promise<void>;
      /** It was wrong: the attempt stays counted. Returns the seconds of a block it started (0: none). */
      fail(): Promise<number>;
      /** Neither (the check itself failed: the database, the hasher): the attempt counts for nothing; earlier failures stand. */
      abstain(): Promise<void>;
    };

/** What an attempt is counted against. */
export interface ThrottleKeys {
  /** The normalised username (or a stand-in for a name that cannot exist): known and unknown names count alike. */
  account: string;
  /** The client address, as {@link addressKey} groups it. */
  ip: string;
  /**
   * A browser that signed in to this account before (its device cookie's id,
   * checked by the caller): the attempt counts against that device's own
   * allowance (the same policy, per device) instead of the account's, so
   * that failures from unknown browsers never lock it out, and a success
   * resets that device alone. Absent: the account-wide counters.
   */
  device?: string;
}

/** What one counter holds for a key. */
export interface LimiterState {
  /** Points consumed in the current window (or block). */
  consumedPoints: number;
  /** Milliseconds until the window (or block) ends. */
  msBeforeNext: number;
}

/**
 * One counter of points per key in a window, the shape of
 * rate-limiter-flexible's limiters: `consume` resolves with the state, or
 * rejects with it (a {@link LimiterState}, not an `Error`) when the key has
 * no points left; any `Error` is a failure of the counter itself.
 */
export interface Limiter {
  /** Points per key per window. */
  readonly points: number;
  consume(key: string): Promise<LimiterState>;
  get(key: string): Promise<LimiterState | null>;
  /** Gives one point back. */
  reward(key: string): Promise<unknown>;
  /** Sets the key's consumed points for `seconds`. */
  set(key: string, points: number, seconds: number): Promise<unknown>;
  /** Uses up the key's points for `seconds`. */
  block(key: string, seconds: number): Promise<unknown>;
  delete(key: string): Promise<unknown>;
}

/** The settings of one counter: its keys' prefix, its points per `duration` seconds, and how long a full key stays blocked. */
export interface LimiterSettings {
  keyPrefix: string;
  points: number;
  duration: number;
  blockDuration?: number;
}

/**
 * Makes counters. The core's own ({@link createMemoryLimiter}) count in this
 * process; store/limiters.ts makes counters shared in Redis by every
 * instance, and the server hands those in.
 */
export type LimiterFactory = (settings: LimiterSettings) => Limiter;

/**
 * The state a refused `consume` rejected with; rethrows anything else (a
 * counter that failed proved nothing).
 */
export function refusedState(rejection: unknown): LimiterState {
  if (rejection instanceof Error || typeof (rejection as LimiterState | null)?.msBeforeNext !== 'number')
    throw rejection;
  return rejection as LimiterState;
}

/** Throttling limits. */
export interface ThrottlePolicy {
  /** Consecutive failures per account (and per account + IP) that start a block. Default 10. */
  accountFailures: number;
  /** First block, in seconds; each further block of the same account within a day doubles it. Default 60. */
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

/** Unauthenticated requests per minute per client address to the endpoints that take secrets, unless configured. */
export const DEFAULT_RATE_LIMIT_PER_MINUTE = 300;
/** Requests per minute per authenticated client at the OAuth endpoints, unless configured. */
export const DEFAULT_CLIENT_RATE_LIMIT_PER_MINUTE = 6000;

/** IPv6 addresses are grouped by this prefix for per-address limits by default: one customer network is usually a /64. */
export const DEFAULT_IPV6_PREFIX_LENGTH = 64;

/**
 * The first part of every shared counter's key (`gatehouse:throttle:…`,
 * `gatehouse:rate:…`) and, with the deployment's id, of its namespace
 * (`gatehouse:<deployment id>`), unless a prefix is configured.
 */
export const DEFAULT_KEY_PREFIX = 'gatehouse';

/**
 * The key per-address limits count a client address under: an IPv4 address
 * as it is (an IPv4-mapped IPv6 address as its IPv4 form), an IPv6 address as
 * its first `ipv6PrefixLength` bits, so that a client cannot rotate through
 * the 2^64 addresses of its own network to escape the limit.
 *
 * @example
 * addressKey('2001:db8:1:2:3:4:5:6') // '2001:db8:1:2::/64'
 */
export function addressKey(ip: string, ipv6PrefixLength = DEFAULT_IPV6_PREFIX_LENGTH): string {
  if (!ip.includes(':')) return ip;
  const groups = expandIPv6(ip.split('%')[0]!);
  if (!groups) return ip;
  // RFC 4291 §2.5.5.2: ::ffff:0:0/96 is an IPv4 address, however it is written
  // (`::ffff:198.51.100.7`, `::ffff:c633:6407`): one client, one key.
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
    return [groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8, groups[7]! & 0xff].join('.');
  }
  let bits = Math.max(0, Math.min(128, ipv6PrefixLength));
  const kept = groups.map((group) => {
    const take = Math.max(0, Math.min(16, bits));
    bits -= take;
    return take === 0 ? 0 : group & (0xffff << (16 - take)) & 0xffff;
  });
  return `${compressIPv6(kept)}/${ipv6PrefixLength}`;
}

/** The eight 16-bit groups of an IPv6 address, or `null` when it is not one. */
function expandIPv6(address: string): number[] | null {
  let text = address.toLowerCase();
  // An embedded IPv4 tail (64:ff9b::1.2.3.4) is the last two groups.
  const v4 = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    if (Math.max(a, b, c, d) > 255) return null;
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] === '' ? [] : halves[0]!.split(':');
  const tail = halves.length === 2 && halves[1] !== '' ? halves[1]!.split(':') : [];
  const words = [...head, ...tail];
  if (!words.every((word) => /^[0-9a-f]{1,4}$/.test(word))) return null;
  const missing = 8 - words.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  return [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail].map((word) =>
    parseInt(word, 16),
  );
}

/** RFC 5952 text of eight groups: lower case, the longest run of zero groups as `::`. */
function compressIPv6(groups: number[]): string {
  let best = { start: -1, length: 0 };
  for (let start = 0; start < 8; start += 1) {
    let length = 0;
    while (start + length < 8 && groups[start + length] === 0) length += 1;
    if (length > best.length && length > 1) best = { start, length };
  }
  const text = groups.map((group) => group.toString(16));
  if (best.start < 0) return text.join(':');
  return `${text.slice(0, best.start).join(':')}::${text.slice(best.start + best.length).join(':')}`;
}
