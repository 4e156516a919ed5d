import { Redis } from 'ioredis';
import { DEFAULT_KEY_PREFIX } from '../core/sign-in/index.js';

/** What an instance needs from Redis: health, and a broadcast to the other instances. */
export interface SharedBus {
  /** `up`, or `down` while Redis cannot be reached (the instance keeps serving). */
  status(): 'up' | 'down';
  /** The command connection, for shared counters (store/limiters.ts). */
  client: Redis;
  /** The deployment's namespace: counters' keys start with it (`<namespace>:throttle:…`). */
  namespace: string;
  /** Tells every instance (this one included) that `topic` changed. Never throws: Redis being down must not fail a request. */
  publish(topic: string, message: string): Promise<void>;
  /** Calls `handler` for every message on `topic`. */
  subscribe(topic: string, handler: (message: string) => void): void;
  close(): Promise<void>;
}

/**
 * The default namespace of a deployment's Redis keys and channels:
 * `gatehouse:<id>`, the id its database was created with (`--redis-prefix`
 * names another). Two deployments on one Redis never meet (issue #15).
 */
export function redisNamespace(deploymentId: string): string {
  return `${DEFAULT_KEY_PREFIX}:${deploymentId}`;
}

/** Options of {@link connectRedis}. */
export interface ConnectRedisOptions {
  /** The deployment's {@link redisNamespace}: channels are `<namespace>:<topic>`. */
  namespace: string;
  /** Told when Redis goes down or comes back, so the instance can log it and say so in `/readyz`. */
  onStatus?: (status: 'up' | 'down', error?: Error) => void;
}

/** The broadcast topic that announces a signing-key rotation. */
export const KEYS_TOPIC = 'keys';

/** The broadcast topic that carries revocations (a read-cache change, as JSON) to the other instances. */
export const REVOCATIONS_TOPIC = 'revocations';

/**
 * Redis through ioredis: one connection for commands, one for subscriptions
 * (a subscribed connection can do nothing else). Both reconnect forever with
 * backoff; while down, commands fail fast instead of queueing, and
 * `onStatus` is told. Channels carry the deployment's namespace.
 */
export function connectRedis(url: string, { namespace, onStatus = () => undefined }: ConnectRedisOptions): SharedBus {
  const options = {
    lazyConnect: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    retryStrategy: (attempt: number) => Math.min(attempt * 200, 2000),
  };
  const commands = new Redis(url, options);
  const subscriber = new Redis(url, { ...options, enableOfflineQueue: true, maxRetriesPerRequest: null });
  const handlers = new Map<string, ((message: string) => void)[]>();
  let status: 'up' | 'down' = 'down';

  const setStatus = (next: 'up' | 'down', error?: Error) => {
    if (next === status) return;
    status = next;
    onStatus(next, error);
  };
  commands.on('ready', () => setStatus('up'));
  commands.on('error', (error: Error) => setStatus('down', error));
  commands.on('end', () => setStatus('down'));
  commands.on('close', () => setStatus('down'));
  subscriber.on('error', () => undefined);
  subscriber.on('message', (channel: string, message: string) => {
    for (const handler of handlers.get(channel) ?? []) handler(message);
  });

  return {
    status: () => status,
    client: commands,
    namespace,
    async publish(topic, message) {
      try {
        await commands.publish(`${namespace}:${topic}`, message);
      } catch {
        // Down: the others fall back to their cache lifetimes (a few seconds).
      }
    },
    subscribe(topic, handler) {
      const channel = `${namespace}:${topic}`;
      if (!handlers.has(channel)) {
        handlers.set(channel, []);
        void subscriber.subscribe(channel).catch(() => undefined);
      }
      handlers.get(channel)!.push(handler);
    },
    async close() {
      commands.disconnect();
      subscriber.disconnect();
    },
  };
}

/**
 * Publishes messages on one topic of a deployment's namespace and disconnects
 * (for the CLI, which must use the namespace the instances use). Resolves
 * `false` instead of throwing when Redis cannot be reached within two seconds.
 */
export async function publishAll(
  url: string,
  topic: string,
  messages: readonly string[],
  { namespace }: { namespace: string },
): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 2000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    for (const message of messages) await client.publish(`${namespace}:${topic}`, message);
    return true;
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}
