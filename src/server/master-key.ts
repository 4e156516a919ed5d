import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GatehouseError } from '../core/errors/index.js';

/**
 * The 32-byte master key that encrypts signing keys at rest:
 * `GATEHOUSE_MASTER_KEY` (43 base64url characters) when set, else
 * `<data>/master.key`, created on first use with mode 0600 (unless
 * `create: false`: the CLI must never invent a key the servers do not have).
 * Never taken from a command-line flag, where `ps` would show it.
 *
 * @throws {GatehouseError} `ERR_CONFIG` for a value that is not 32 bytes of base64url (the value is never echoed).
 */
export function loadMasterKey(data: string, options: { env?: NodeJS.ProcessEnv; create?: boolean } = {}): Uint8Array {
  const fromEnv = (options.env ?? process.env).GATEHOUSE_MASTER_KEY;
  if (fromEnv !== undefined && fromEnv !== '') return decode(fromEnv.trim(), 'GATEHOUSE_MASTER_KEY');
  const file = join(data, 'master.key');
  if (existsSync(file)) return decode(readFileSync(file, 'utf8').trim(), file);
  if (options.create === false) {
    throw new GatehouseError('ERR_CONFIG', {
      message: `invalid configuration: masterKey: none found: set GATEHOUSE_MASTER_KEY, or run where ${file} is`,
      details: { key: 'masterKey' },
    });
  }
  mkdirSync(data, { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  // 'wx': never overwrite a key another process wrote a moment ago.
  try {
    writeFileSync(file, `${key.toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return decode(readFileSync(file, 'utf8').trim(), file);
    throw error;
  }
  return new Uint8Array(key);
}

function decode(value: string, source: string): Uint8Array {
  const bytes = Buffer.from(value, 'base64url');
  if (!/^[A-Za-z0-9_-]{43}$/.test(value) || bytes.length !== 32) {
    throw new GatehouseError('ERR_CONFIG', {
      message: `invalid configuration: masterKey: must be 32 bytes as 43 base64url characters (from ${source})`,
      details: { key: 'masterKey' },
    });
  }
  return new Uint8Array(bytes);
}
