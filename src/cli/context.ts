import type { Command } from 'commander';
import { createAuthCore, createLoginThrottle, type AuthCore } from '../core/index.js';
import { listSettings, loadConfig, type ServerConfig, type SettingDescription } from '../server/config.js';
import { coreOptionsFromSettings } from '../server/core-options.js';
import { loadMasterKey } from '../server/master-key.js';
import { openStore } from '../store/index.js';
import { announceChanges, type CacheChange } from '../store/read-cache.js';
import { publishAll, redisNamespace, REVOCATIONS_TOPIC } from '../store/redis.js';
import type { Store } from '../core/store/index.js';

/** The flags every data command takes: the data settings of the one table, and `--config`. */
export interface DataFlags {
  config?: string;
  data?: string;
  db?: string;
  redis?: string;
  redisPrefix?: string;
}

/** The settings a data command takes as flags; every other setting reaches it as a variable or from `--config`. */
const DATA_SETTINGS: readonly (keyof ServerConfig)[] = ['data', 'db', 'redis', 'redisPrefix'];

/**
 * Adds `--config`, `--data`, `--db`, `--redis` and `--redis-prefix` to a
 * command, made from the settings table as `gatehouse serve`'s are.
 */
export function withDataFlags(command: Command): Command {
  command.option('--config <file>', 'JSON config file, as the server reads it (GATEHOUSE_CONFIG)');
  for (const setting of listSettings().filter((item) => DATA_SETTINGS.includes(item.key))) {
    command.option(...settingOption(setting));
  }
  return command;
}

/** A setting as a commander option: its flag with its argument, and its help with its variable and default. */
export function settingOption(setting: SettingDescription): [flags: string, description: string] {
  const details = [setting.env, ...(setting.default === undefined ? [] : [`default ${setting.default}`])];
  const flag = setting.arg === undefined ? setting.flag : `${setting.flag} <${setting.arg.toLowerCase()}>`;
  return [flag, `${setting.help} (${details.join(', ')})`];
}

/**
 * The server's configuration as a CLI command sees it: its flags, then every
 * `GATEHOUSE_*` variable, then the config file, then the defaults, exactly
 * as `gatehouse serve` reads them.
 *
 * @throws {GatehouseError} `ERR_CONFIG` naming the bad setting and where it came from.
 */
export function resolveDataConfig(flags: DataFlags): ServerConfig {
  return loadConfig({
    flags: { config: flags.config, data: flags.data, db: flags.db, redis: flags.redis, redisPrefix: flags.redisPrefix },
  });
}

/** The Redis URL from the flag, `GATEHOUSE_REDIS` or the config file, if any. */
export function redisUrl(flags: DataFlags): string | undefined {
  return resolveDataConfig(flags).redis;
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
  const url = config.redis;
  const store = url === undefined ? opened : announceChanges(opened, (change) => changes.push(change));

  try {
    // The settings the server runs with decide here too (session lifetimes, password policy, key algorithm…).
    // The CLI signs nothing; the keys commands need the servers' master key (never a new one) to encrypt a
    // rotated key the servers can read.
    const { throttlePolicy, ...settings } = coreOptionsFromSettings(config, {
      masterKey: options.signingKeys ? loadMasterKey(config.data, { create: false }) : undefined,
    });
    const core = createAuthCore({ ...settings, store, throttle: createLoginThrottle(throttlePolicy) });
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
