import type { FastifyInstance, FastifyRequest } from 'fastify';
import { GatehouseError } from '../core/errors/index.js';
import {
  createMemoryLimiter,
  addressKey,
  DEFAULT_CLIENT_RATE_LIMIT_PER_MINUTE,
  DEFAULT_KEY_PREFIX,
  DEFAULT_RATE_LIMIT_PER_MINUTE,
  refusedState,
  type Limiter,
  type LimiterFactory,
} from '../core/sign-in/index.js';

export { DEFAULT_CLIENT_RATE_LIMIT_PER_MINUTE, DEFAULT_RATE_LIMIT_PER_MINUTE };

/** A route's `config.rateLimit`: what its requests are counted against. */
export interface RateLimitRule {
  /**
   * `address`: every request counts against the client's address (sign-ins).
   * `client`: it counts against the address until the client authenticates,
   * then against that client instead (the route calls {@link RateLimits.chargeClient}).
   */
  by: 'address' | 'client';
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** What the route's requests are counted against; see {@link useRateLimits}. */
    rateLimit?: RateLimitRule;
  }
}

/** Every request counts against its address (an IPv4 address or IPv6 network). */
export const BY_ADDRESS: RateLimitRule = Object.freeze({ by: 'address' });

/** Unauthenticated requests count against their address, authenticated ones against their client. */
export const BY_CLIENT: RateLimitRule = Object.freeze({ by: 'client' });

/** Options of {@link createRateLimits}. */
export interface RateLimitOptions {
  /** Unauthenticated requests per minute per address. Default {@link DEFAULT_RATE_LIMIT_PER_MINUTE}. */
  addressPerMinute?: number;
  /** Requests per minute per authenticated client. Default {@link DEFAULT_CLIENT_RATE_LIMIT_PER_MINUTE}. */
  clientPerMinute?: number;
  /** IPv6 clients are counted by this prefix length. Default 64. */
  ipv6PrefixLength?: number;
  /** Makes the counters: store/limiters.ts's are shared by every instance. Default: this process's memory. */
  limiters?: LimiterFactory;
  /** Prefix of the Redis keys: the deployment's namespace. Default {@link DEFAULT_KEY_PREFIX}. */
  keyPrefix?: string;
}

/** The request-rate ceilings of the endpoints that take secrets. */
export interface RateLimits {
  /** Counts a request against its address. @throws {GatehouseError} `ERR_THROTTLED` beyond the limit. */
  chargeAddress(request: FastifyRequest): Promise<void>;
  /**
   * The request's client authenticated: gives its address back the point it
   * was charged and counts the request against the client instead.
   * @throws {GatehouseError} `ERR_THROTTLED` beyond the client's limit.
   */
  chargeClient(request: FastifyRequest, clientId: string): Promise<void>;
}

/**
 * Per-address and per-client request ceilings on counters from
 * `options.limiters` (in memory, or shared in Redis). As
 * with sign-in throttling, a request is counted before it is checked, and an
 * authenticated one gives the address's point back (issue #15: services
 * behind one NAT address each get their own rate instead of sharing 300 a
 * minute). An address is an IPv4 address or an IPv6 network (a /64 by
 * default), so a client cannot rotate through its own addresses.
 */
export function createRateLimits(options: RateLimitOptions = {}): RateLimits {
  const prefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
  const limiters = options.limiters ?? createMemoryLimiter;
  const make = (name: string, points: number): Limiter =>
    limiters({ keyPrefix: `${prefix}:rate:${name}`, points, duration: 60 });
  const byAddress = make('address', options.addressPerMinute ?? DEFAULT_RATE_LIMIT_PER_MINUTE);
  const byClient = make('client', options.clientPerMinute ?? DEFAULT_CLIENT_RATE_LIMIT_PER_MINUTE);
  const keyOf = (request: FastifyRequest) => addressKey(request.ip, options.ipv6PrefixLength);
  const consume = async (limiter: Limiter, key: string) => {
    try {
      await limiter.consume(key);
    } catch (rejection) {
      const refused = refusedState(rejection);
      throw new GatehouseError('ERR_THROTTLED', {
        details: { retryAfterSeconds: Math.max(1, Math.ceil(refused.msBeforeNext / 1000)) },
      });
    }
  };
  return {
    chargeAddress: (request) => consume(byAddress, keyOf(request)),
    async chargeClient(request, clientId) {
      await byAddress.reward(keyOf(request)).catch(() => undefined);
      await consume(byClient, clientId);
    },
  };
}

/**
 * Charges every request of a route whose `config.rateLimit` is a
 * {@link RateLimitRule} to its address, before anything else is done with it.
 */
export function useRateLimits(app: FastifyInstance, limits: RateLimits): void {
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.config?.rateLimit) await limits.chargeAddress(request);
  });
}
