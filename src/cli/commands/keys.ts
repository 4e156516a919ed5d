import type { Command } from 'commander';
import { KEYS_TOPIC } from '../../store/redis.js';
import { OPERATOR } from '../../core/audit/index.js';
import { redisUrl, withCore, withDataFlags, type DataFlags } from '../context.js';
import { isoTime, printJSON, printTable, say } from '../output.js';

/** Registers `gatehouse keys list|rotate`. */
export function registerKeysCommand(program: Command): void {
  const keys = program.command('keys').description('List and rotate the JWT signing keys');

  withDataFlags(keys.command('list'))
    .description('List signing keys: the active one and retired ones still published')
    .option('--json', 'print JSON')
    .action(async (flags: DataFlags & { json?: boolean }) => {
      const list = await withCore(flags, (core) => core.tokens!.keys.listKeys(), { signingKeys: true });
      const rows = list.map((key) => ({
        ...key,
        createdAt: isoTime(key.createdAt),
        retiredAt: key.retiredAt === null ? null : isoTime(key.retiredAt),
        expiresAt: key.expiresAt === null ? null : isoTime(key.expiresAt),
      }));
      if (flags.json) return printJSON(rows);
      printTable(
        ['KID', 'ALG', 'STATUS', 'CREATED', 'PUBLISHED UNTIL'],
        rows.map((key) => [key.kid, key.alg, key.status, key.createdAt, key.expiresAt ?? '-']),
      );
    });

  withDataFlags(keys.command('rotate'))
    .description('Make a new signing key active now; old keys stay published until their tokens expire')
    .option('--json', 'print JSON')
    .action(async (flags: DataFlags & { json?: boolean }) => {
      const { key, announced } = await withCore(
        flags,
        async (core, announce) => {
          const rotated = await core.tokens!.keys.rotate(OPERATOR);
          // Running instances re-read their keys at once when told; otherwise within seconds.
          return { key: rotated, announced: await announce(KEYS_TOPIC, [rotated.kid]) };
        },
        { signingKeys: true },
      );
      const url = redisUrl(flags);
      if (flags.json) return printJSON({ kid: key.kid, alg: key.alg, createdAt: isoTime(key.createdAt), announced });
      say(
        `new active key ${key.kid} (${key.alg})${url === undefined ? '' : announced ? '; instances told through Redis' : '; Redis not reachable: instances pick it up within 5 s'}`,
      );
    });
}
