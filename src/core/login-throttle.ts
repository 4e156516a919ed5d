import {
  RateLimiterMemory,
  RateLimiterRedis,
  type RateLimiterAbstract,
  type RateLimiterRes,
} from 'rate-limiter-flexible';
import { DEFAULT_THROTTLE_POLICY, type LoginThrottle, type ThrottleKeys, type ThrottlePolicy } from './throttle.js';

const DAY_SECONDS = 86_400;
const SLOW_DOWN_STEP_MS = 200;
const MAX_SLOW_DOWN_MS = 1000;

/**
 * A {@link LoginThrottle} on rate-limiter-flexible: counters in this process,
 * or in Redis when an ioredis client is given, so that every instance counts the same
 * attempts. If Redis goes down, each instance falls back to its own memory
 * counters (the insurance limiter) rather than stop throttling.
 */
export function createLoginThrottle(
  policy: ThrottlePolicy = DEFAULT_THROTTLE_POLICY,
  options: { redis?: unknown } = {},
): LoginThrottle {
  const make = (keyPrefix: string, points: number, duration: number, blockDuration = 0): RateLimiterAbstract => {
    const settings = { keyPrefix: `gatehouse:throttle:${keyPrefix}`, points, duration, blockDuration };
    const memory = new RateLimiterMemory(settings);
    return options.redis
      ? new RateLimiterRedis({
          ...settings,
          storeClient: options.redis,
          rejectIfRedisNotReady: true,
          insuranceLimiter: memory,
        })
      : memory;
  };
  // Consecutive failures: counted until a success resets them (or a quiet day passes).
  const byAccount = make('account', policy.accountFailures, DAY_SECONDS);
  const byAccountAndIp = make('account-ip', policy.accountFailures, DAY_SECONDS);
  const byIp = make('ip', policy.ipFailures, policy.ipWindowSeconds, policy.ipWindowSeconds);
  // How many blocks an account has had lately: each one lasts twice the last.
  const blocks = make('blocks', 1_000_000, DAY_SECONDS);

  const accountKey = (keys: ThrottleKeys) => keys.account;
  const accountIpKey = (keys: ThrottleKeys) => `${keys.account}\u0000${keys.ip}`;

  async function blockedFor(limiter: RateLimiterAbstract, key: string): Promise<number> {
    const state = await limiter.get(key);
    return state && state.consumedPoints > limiter.points ? Math.ceil(state.msBeforeNext / 1000) : 0;
  }

  /** Counts a failure; returns true when this one reached the limit. */
  async function count(limiter: RateLimiterAbstract, key: string): Promise<boolean> {
    const state = await limiter.consume(key).catch((rejection: RateLimiterRes | Error) => {
      if (rejection instanceof Error) throw rejection;
      return rejection;
    });
    return state.consumedPoints >= limiter.points;
  }

  return {
    async check(keys) {
      const waits = await Promise.all([
        blockedFor(byAccount, accountKey(keys)),
        blockedFor(byAccountAndIp, accountIpKey(keys)),
        blockedFor(byIp, keys.ip),
      ]);
      const failures = (await byAccount.get(accountKey(keys)))?.consumedPoints ?? 0;
      const delayMs =
        failures >= policy.slowDownAfter
          ? Math.min((failures - policy.slowDownAfter + 1) * SLOW_DOWN_STEP_MS, MAX_SLOW_DOWN_MS)
          : 0;
      return { retryAfterSeconds: Math.max(...waits), delayMs };
    },

    async recordFailure(keys): Promise<number> {
      const [accountFull, accountIpFull] = await Promise.all([
        count(byAccount, accountKey(keys)),
        count(byAccountAndIp, accountIpKey(keys)),
        count(byIp, keys.ip),
      ]);
      if (accountFull || accountIpFull) {
        // A growing block: each block of the same account within a day lasts twice the last.
        const previous = await blocks.consume(keys.account).catch((rejection: RateLimiterRes) => rejection);
        const seconds = Math.min(
          policy.blockSeconds * 2 ** Math.max(0, previous.consumedPoints - 1),
          policy.maxBlockSeconds,
        );
        await Promise.all([
          accountFull ? byAccount.block(accountKey(keys), seconds) : undefined,
          accountIpFull ? byAccountAndIp.block(accountIpKey(keys), seconds) : undefined,
        ]);
        return seconds;
      }
      return blockedFor(byIp, keys.ip);
    },

    async recordSuccess(keys) {
      await Promise.all([byAccount.delete(accountKey(keys)), byAccountAndIp.delete(accountIpKey(keys))]);
    },
  };
}
