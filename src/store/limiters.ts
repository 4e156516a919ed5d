import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import type { LimiterFactory } from '../core/sign-in/index.js';

/**
 * Counters in Redis, shared by every instance: the sign-in throttle's and the
 * request-rate limits' (core/throttle.ts {@link LimiterFactory}). Each takes
 * an attempt atomically (a Lua script); while Redis is not ready, this
 * process's memory counts instead (the insurance limiter), so throttling
 * degrades to per instance and never stops.
 *
 * @example
 * const throttle = createLoginThrottle(policy, { limiters: createRedisLimiters(bus.client), keyPrefix: bus.namespace });
 */
export function createRedisLimiters(redis: Redis): LimiterFactory {
  return (settings) =>
    new RateLimiterRedis({
      ...settings,
      storeClient: redis,
      rejectIfRedisNotReady: true,
      insuranceLimiter: new RateLimiterMemory(settings),
    });
}
