import type { Command } from 'commander';
import { createAuthCore, type AuthCore } from '../core/index.js';
import { loadConfig } from '../server/config.js';
import { loadMasterKey } from '../server/master-key.js';
import { openStore } from '../store/index.js';
import { announceChanges, type CacheChange } from '../store/read-cache.js';
import { publishAll, redisNamespace, REVOCATIONS_TOPIC } from '../store/redis.js';
import type { Store } from '../core/store/index.js';

/** The flags every data command takes. */
export interface DataFlags {
  data?: string;
  db?: string;
  redis?: string;
  redisPrefix?: string;
}

/** Adds `--data`, `--db` and `--redis` to a command. */
export function withDataFlags(command: Command): Command {
  return command
    .option('--data <dir>', 'data folder (GATEHOUSE_DATA, default ./data)')
    .option(
      '--db <url>',
      'database URL, sqlite:PATH or postgres://… (GATEHOUSE_DB, default sqlite:<data>/gatehouse.db)',
    )
    .option('--redis <url>', 'Redis URL, to tell running instances about changes at once (GATEHOUSE_REDIS)')
    .option(
      '--redis-prefix <prefix>',
      "the instances' Redis namespace, if they set one (GATEHOUSE_REDIS_PREFIX, default gatehouse:<deployment id>)",
    );
}

/** The Redis URL from the flag or `GATEHOUSE_REDIS`, if any. */
export function redisUrl(flags: DataFlags): string | undefined {
  return flags.redis ?? (process.env.GATEHOUSE_REDIS || undefined);
}

/** The data folder, database URL and public URL the flags and environment name. */
export function resolveDataConfig(flags: DataFlags) {
  return loadConfig({
    flags: { data: flags.data, db: flags.db, redisPrefix: flags.redisPrefix },
    env: {
      GATEHOUSE_DATA: process.env.GATEHOUSE_DATA,
      GATEHOUSE_DB: process.env.GATEHOUSE_DB,
      GATEHOUSE_REDIS_PREFIX: process.env.GATEHOUSE_REDIS_PREFIX,
      GATEHOUSE_PUBLIC_URL: process.env.GATEHOUSE_PUBLIC_URL,
      GATEHOUSE_PASSWORD_MIN_LENGTH: process.env.GATEHOUSE_PASSWORD_MIN_LENGTH,
    },
  });
}

/** The namespace the instances on this database use in Redis: the configured prefix, else the deployment's own. */
export async function readRedisNamespace(flags: DataFlags, store: Pick<Store, 'readDeploymentId'>): Promise<string> {
  return resolveDataConfig(flags).redisPrefix ?? redisNamespace(await store.readDeploymentId());
}

/**
 * Opens the core on the database the flags name, runs `work`, and closes the
 * store whatever happens. Works while the server runs on the same database.
 */
export async function withCore<T>(
  flags: DataFlags,
  work: (core: AuthCore, announce: (topic: string, messages: string[]) => Promise<boolean>) => Promise<T>,
  options: { signingKeys?: boolean } = {},
): Promise<T> {
  const config = resolveDataConfig(flags);
  // The CLI never changes the schema by itself: `gatehouse migrate up` does (SQLite migrates itself anyway).
  const opened = await openStore({ url: config.db, poolSize: 2 });
  // Every change that running instances cache (a disabled user, a removed key…) is announced to them
  // through Redis when it is given, as the instances announce their own; without, they see it within their cache lifetime.
  const changes: CacheChange[] = [];
  const url = redisUrl(flags);
  const store = url === undefined ? opened : announceChanges(opened, (change) => changes.push(change));

  try {
    const core = createAuthCore({
      store,
      passwordPolicy: { minLength: config.passwordMinLength },
      // The CLI signs nothing; the keys commands need the servers' master key
      // (never a new one) to encrypt a rotated key the servers can read.
      ...(options.signingKeys && {
        tokens: {
          masterKey: loadMasterKey(config.data, { create: false }),
          issuer: config.publicUrl ?? 'https://localhost',
        },
      }),
    });
    // On the instances' channels: the same namespace as theirs, or nobody hears it.
    const announce = async (topic: string, messages: string[]) =>
      url !== undefined && publishAll(url, topic, messages, { namespace: await readRedisNamespace(flags, opened) });
    const result = await work(core, announce);
    if (url !== undefined && changes.length > 0) {
      const announced = await announce(
        REVOCATIONS_TOPIC,
        changes.map((change) => JSON.stringify(change)),
      );
      if (!announced)
        process.stderr.write(
          'gatehouse: Redis not reachable: running instances see the change within their cache lifetime (500 ms by default)\n',
        );
    }
    return result;
  } finally {
    await store.close();
  }
}
