import type { Command } from 'commander';
import { createAuthCore, type AuthCore } from '../core/index.js';
import { loadConfig } from '../server/config.js';
import { loadMasterKey } from '../server/master-key.js';
import { openStore } from '../store/index.js';

/** The flags every data command takes. */
export interface DataFlags {
  data?: string;
  db?: string;
}

/** Adds `--data` and `--db` to a command. */
export function withDataFlags(command: Command): Command {
  return command
    .option('--data <dir>', 'data folder (GATEHOUSE_DATA, default ./data)')
    .option('--db <url>', 'database URL, sqlite:PATH (GATEHOUSE_DB, default sqlite:<data>/gatehouse.db)');
}

/**
 * Opens the core on the database the flags name, runs `work`, and closes the
 * store whatever happens. Works while the server runs on the same database.
 */
export async function withCore<T>(flags: DataFlags, work: (core: AuthCore) => Promise<T>): Promise<T> {
  const config = loadConfig({
    flags: { data: flags.data, db: flags.db },
    env: { GATEHOUSE_DATA: process.env.GATEHOUSE_DATA, GATEHOUSE_DB: process.env.GATEHOUSE_DB, GATEHOUSE_PUBLIC_URL: process.env.GATEHOUSE_PUBLIC_URL },
  });
  const store = await openStore({ url: config.db });
  try {
    const core = createAuthCore({
      store,
      // The CLI signs nothing, but key rotation must encrypt the new key under
      // the same master key as the server.
      tokens: { masterKey: loadMasterKey(config.data), issuer: config.publicUrl ?? 'https://localhost' },
    });
    return await work(core);
  } finally {
    await store.close();
  }
}
