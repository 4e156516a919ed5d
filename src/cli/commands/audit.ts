import type { Command } from 'commander';
import { GatehouseError } from '../../core/errors/index.js';
import { withCore, withDataFlags, type DataFlags } from '../context.js';
import { isoTime, printJSON, printTable } from '../output.js';

/** A time as ISO 8601, or relative: `30m`, `12h`, `7d`. */
function parseSince(value: string, now: number): number {
  const relative = /^(\d{1,6})([mhd])$/.exec(value);
  if (relative)
    return now - Number(relative[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[relative[2] as 'm' | 'h' | 'd'];
  const absolute = Date.parse(value);
  if (Number.isNaN(absolute))
    throw new GatehouseError('ERR_VALIDATION', { message: `--since: not a time: use ISO 8601 or 30m, 12h, 7d` });
  return absolute;
}

/** Registers `gatehouse audit`. */
export function registerAuditCommand(program: Command): void {
  withDataFlags(program.command('audit'))
    .description(
      'Show the audit log, newest first: sign-ins, revocations, password, role, token, client and key changes',
    )
    .option('--user <name>', 'only events about this user')
    .option('--type <type>', 'only this event type, e.g. login.failure')
    .option('--since <time>', 'only events since an ISO 8601 time or 30m, 12h, 7d ago')
    .option('--limit <n>', 'at most this many events (1 to 1000)', '100')
    .option('--json', 'print JSON')
    .action(
      async (flags: DataFlags & { user?: string; type?: string; since?: string; limit: string; json?: boolean }) => {
        if (!/^\d{1,4}$/.test(flags.limit))
          throw new GatehouseError('ERR_VALIDATION', { message: '--limit: a whole number from 1 to 1000' });
        const events = await withCore(flags, async (core) => {
          let userId: string | undefined;
          if (flags.user !== undefined) {
            const user = await core.users.findUserByName(flags.user);
            if (!user) throw new GatehouseError('ERR_USER_NOT_FOUND');
            userId = user.id;
          }
          const since = flags.since === undefined ? undefined : parseSince(flags.since, core.clock.now());
          return core.audit.list({ userId, type: flags.type, since, limit: Number(flags.limit) });
        });
        if (flags.json) return printJSON(events.map((event) => ({ ...event, at: isoTime(event.at) })));
        printTable(
          ['TIME', 'TYPE', 'ACTOR', 'USER', 'IP', 'DETAIL'],
          events.map((event) => [
            isoTime(event.at),
            event.type,
            event.actor ?? '-',
            event.userId ?? '-',
            event.ip ?? '-',
            JSON.stringify(event.detail),
          ]),
        );
      },
    );
}
