import { RateLimiterMemory } from 'rate-limiter-flexible';
import {
  DEFAULT_KEY_PREFIX,
  DEFAULT_THROTTLE_POLICY,
  refusedState,
  type Limiter,
  type LimiterFactory,
  type LoginThrottle,
  type ThrottleKeys,
  type ThrottlePolicy,
  type ThrottleTicket,
} from './throttle.js';

const DAY_SECONDS = 86_400;
const SLOW_DOWN_STEP_MS = 200;
const MAX_SLOW_DOWN_MS = 1000;

/**
 * Counters in this process's memory (rate-limiter-flexible's): the default of
 * the sign-in throttle and of the request-rate limits, and the insurance of
 * the Redis-backed counters of store/limiters.ts.
 */
export const createMemoryLimiter: LimiterFactory = (settings) => new RateLimiterMemory(settings);

/** Options of {@link createLoginThrottle}. */
export interface LoginThrottleOptions {
  /** Makes the counters: store/limiters.ts's are shared by every instance. Default {@link createMemoryLimiter}. */
  limiters?: LimiterFactory;
  /** Prefix of the Redis keys, so that deployments sharing one Redis never share counters. Default {@link DEFAULT_KEY_PREFIX}. */
  keyPrefix?: string;
}

/** One consecutive-failure counter and the key an attempt is counted under. */
interface Counter {
  limiter: Limiter;
  key: string;
}

/** What one counter said of an attempt. */
interface Taken {
  admitted: boolean;
  consumed: number;
  msBeforeNext: number;
}

/**
 * A {@link LoginThrottle} on counters from `options.limiters`: in this
 * process by default, or in Redis (store/limiters.ts), so that every instance
 * counts the same attempts. If Redis goes down, each instance falls back to
 * its own memory counters (the insurance limiter) rather than stop throttling.
 *
 * Every attempt is consumed before it is checked, atomically (a Lua script
 * in Redis), so of N concurrent guesses at most the policy's number are
 * checked. The attempt that fills an account's counter starts its block at
 * once, before its own check: the rest of a burst finds the block in place,
 * and a burst advances the block once. A right answer takes the block back.
 * An attempt from a known device ({@link ThrottleKeys.device}) goes to that
 * device's own counter and blocks instead of the account's, and to the
 * address's as always.
 */
export function createLoginThrottle(
  policy: ThrottlePolicy = DEFAULT_THROTTLE_POLICY,
  options: LoginThrottleOptions = {},
): LoginThrottle {
  const prefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
  const limiters = options.limiters ?? createMemoryLimiter;
  const make = (name: string, points: number, duration: number, blockDuration = 0): Limiter =>
    limiters({ keyPrefix: `${prefix}:throttle:${name}`, points, duration, blockDuration });
  // Consecutive failures: counted until a success resets them (or a quiet day passes).
  const byAccount = make('account', policy.accountFailures, DAY_SECONDS);
  const byAccountAndIp = make('account-ip', policy.accountFailures, DAY_SECONDS);
  // A known browser's own consecutive failures (see ThrottleKeys.device): the same policy, per device.
  const byDevice = make('device', policy.accountFailures, DAY_SECONDS);
  // Failures from one address in a window; the limiter blocks the address itself when it is exceeded.
  const byIp = make('ip', policy.ipFailures, policy.ipWindowSeconds, policy.ipWindowSeconds);
  // How many blocks an account has had lately: each one lasts twice the last.
  const blocks = make('blocks', 1_000_000, DAY_SECONDS);

  const blockLength = (blocksSoFar: number) =>
    Math.min(policy.blockSeconds * 2 ** Math.max(0, blocksSoFar - 1), policy.maxBlockSeconds);

  async function take(limiter: Limiter, key: string): Promise<Taken> {
    const state = await limiter.consume(key).catch(refusedState);
    return {
      admitted: state.consumedPoints <= limiter.points,
      consumed: state.consumedPoints,
      msBeforeNext: state.msBeforeNext,
    };
  }

  /** The wait to announce for a refused attempt: the block in place, or the one being started by an attempt in flight. */
  async function waitFor(refusals: { taken: Taken; isAddress: boolean }[], blocksKey: string): Promise<number> {
    let wait = 0;
    for (const { taken, isAddress } of refusals) {
      // A per-account counter with its day-long lifetime is full of attempts in flight, not blocked (yet).
      const blocked = isAddress || taken.msBeforeNext <= policy.maxBlockSeconds * 1000;
      const seconds = blocked
        ? Math.ceil(taken.msBeforeNext / 1000)
        : blockLength(((await blocks.get(blocksKey))?.consumedPoints ?? 0) + 1);
      wait = Math.max(wait, seconds);
    }
    return Math.max(1, wait);
  }

  /** The consecutive-failure counters an attempt goes to: the account's (and account + IP), or a known device's own. */
  function counters(keys: ThrottleKeys): { counted: Counter[]; blocksKey: string } {
    if (keys.device !== undefined) {
      const key = `${keys.account}\u0000${keys.device}`;
      return { counted: [{ limiter: byDevice, key }], blocksKey: `device\u0000${key}` };
    }
    return {
      counted: [
        { limiter: byAccount, key: keys.account },
        { limiter: byAccountAndIp, key: `${keys.account}\u0000${keys.ip}` },
      ],
      blocksKey: keys.account,
    };
  }

  return {
    async begin(keys: ThrottleKeys): Promise<ThrottleTicket> {
      const { counted, blocksKey } = counters(keys);
      const [address, ...taken] = await Promise.all([
        take(byIp, keys.ip),
        ...counted.map(({ limiter, key }) => take(limiter, key)),
      ]);
      if (!address!.admitted || taken.some((item) => !item.admitted)) {
        // A refused attempt is never checked: it counts for nothing. The
        // counters that admitted it give their point back; a full one keeps
        // it (its block, or the attempt in flight that filled it, decides).
        await Promise.all([
          address!.admitted ? byIp.reward(keys.ip) : undefined,
          ...counted.map(({ limiter, key }, index) => (taken[index]!.admitted ? limiter.reward(key) : undefined)),
        ]);
        const refusals = [
          { taken: address!, isAddress: true },
          ...taken.map((item) => ({ taken: item, isAddress: false })),
        ].filter((item) => !item.taken.admitted);
        return { admitted: false, retryAfterSeconds: await waitFor(refusals, blocksKey) };
      }
      // This attempt fills a counter: start the block now, before the check,
      // so that the rest of a burst finds it (and only this attempt starts it).
      const fills = counted.filter(({ limiter }, index) => taken[index]!.consumed === limiter.points);
      let blockSeconds = 0;
      const startBlock = () => Promise.all(fills.map(({ limiter, key }) => limiter.block(key, blockSeconds)));
      if (fills.length > 0) {
        blockSeconds = blockLength((await blocks.consume(blocksKey)).consumedPoints);
        await startBlock();
      }
      const previousFailures = taken[0]!.consumed - 1;
      const delayMs =
        previousFailures >= policy.slowDownAfter
          ? Math.min((previousFailures - policy.slowDownAfter + 1) * SLOW_DOWN_STEP_MS, MAX_SLOW_DOWN_MS)
          : 0;
      /** Takes back a block this attempt started, and its place in the doubling. */
      const takeBackBlock = async () => {
        if (blockSeconds === 0) return;
        await blocks.reward(blocksKey);
      };
      return {
        admitted: true,
        delayMs,
        async succeed() {
          await Promise.all([
            ...counted.map(({ limiter, key }) => limiter.delete(key)),
            byIp.reward(keys.ip),
            takeBackBlock(),
          ]);
        },
        async fail() {
          // The block runs its full length from the failure (the check may have been slowed down meanwhile).
          if (blockSeconds > 0) await startBlock();
          return blockSeconds;
        },
        async abstain() {
          // Earlier failures stand; this attempt is as if it had not happened.
          await Promise.all([
            ...counted.map((counter) =>
              fills.includes(counter)
                ? counter.limiter.set(counter.key, counter.limiter.points - 1, DAY_SECONDS)
                : counter.limiter.reward(counter.key),
            ),
            byIp.reward(keys.ip),
            takeBackBlock(),
          ]);
        },
      };
    },
  };
}
