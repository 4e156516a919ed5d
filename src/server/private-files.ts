import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { GatehouseError } from '../core/errors/index.js';
import { databaseKind, sqliteFile } from '../store/index.js';

/** What must be readable by the service's own user only, and under which setting it is configured. */
interface PrivatePath {
  path: string;
  /** The setting that names it, for the error message. */
  key: string;
  directory: boolean;
}

/**
 * Refuses to serve when a file that holds secrets can be read (or a folder
 * entered) by anyone but the service's own user: the data folder (0700),
 * the SQLite database and its journals, the master key and the TLS private
 * key (0600), whether Gatehouse made them or the operator gave them. A copy
 * of any of them is a copy of the deployment's secrets.
 *
 * @throws {GatehouseError} `ERR_CONFIG` naming the first file and the `chmod` that fixes it.
 */
export function checkPrivateFiles(config: {
  data: string;
  db: string;
  tlsKey?: string;
  masterKeyFromEnvironment: boolean;
}): void {
  const paths: PrivatePath[] = [{ path: config.data, key: 'data', directory: true }];
  if (databaseKind(config.db) === 'sqlite') {
    const file = sqliteFile(config.db);
    if (file !== ':memory:') {
      for (const suffix of ['', '-wal', '-shm']) paths.push({ path: `${file}${suffix}`, key: 'db', directory: false });
    }
  }
  if (!config.masterKeyFromEnvironment)
    paths.push({ path: join(config.data, 'master.key'), key: 'masterKey', directory: false });
  paths.push({ path: config.tlsKey ?? join(config.data, 'tls', 'key.pem'), key: 'tlsKey', directory: false });
  for (const { path, key, directory } of paths) {
    if (!existsSync(path)) continue;
    const mode = statSync(path).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      const wanted = directory ? '700' : '600';
      throw new GatehouseError('ERR_CONFIG', {
        message: `invalid configuration: ${key}: ${path} is open to other users (mode ${mode.toString(8).padStart(4, '0')}); run: chmod ${wanted} ${path}`,
        details: { key },
      });
    }
  }
}
