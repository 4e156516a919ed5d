import type { Command } from 'commander';
import { GatehouseError } from '../../core/errors/index.js';
import { OPERATOR } from '../../core/audit/index.js';
import { withCore, withDataFlags, type DataFlags } from '../context.js';
import { isoTime, printJSON, printTable, say } from '../output.js';

/** Registers `gatehouse sessions list|revoke`. */
export function registerSessionsCommand(program: Command): void {
  const sessions = program.command('sessions').description('List and revoke sessions');

  withDataFlags(sessions.command('list'))
    .description('List live sessions, newest first')
    .option('--user <name>', 'only this user’s')
    .option('--json', 'print JSON')
    .action(async (flags: DataFlags & { user?: string; json?: boolean }) => {
      const rows = await withCore(flags, async (core) => {
        const users = new Map((await core.users.listUsers()).map((user) => [user.id, user.username]));
        let userId: string | undefined;
        if (flags.user !== undefined) {
          const user = await core.users.findUserByName(flags.user);
          if (!user) throw new GatehouseError('ERR_USER_NOT_FOUND');
          userId = user.id;
        }
        return (await core.sessions.listSessions({ userId })).map((session) => ({
          ...session,
          username: users.get(session.userId) ?? '?',
        }));
      });
      if (flags.json) {
        printJSON(
          rows.map((row) => ({
            id: row.id,
            userId: row.userId,
            username: row.username,
            createdAt: isoTime(row.createdAt),
            lastSeenAt: isoTime(row.lastSeenAt),
            expiresAt: isoTime(row.expiresAt),
            absoluteExpiresAt: isoTime(row.absoluteExpiresAt),
            ip: row.ip,
            userAgent: row.userAgent,
          })),
        );
        return;
      }
      printTable(
        ['ID', 'USER', 'CREATED', 'LAST SEEN', 'EXPIRES', 'IP', 'USER AGENT'],
        rows.map((row) => [
          row.id,
          row.username,
          isoTime(row.createdAt),
          isoTime(row.lastSeenAt),
          isoTime(row.expiresAt),
          row.ip ?? '-',
          (row.userAgent ?? '-').slice(0, 60),
        ]),
      );
    });

  withDataFlags(sessions.command('revoke [id]'))
    .description('End one session by id, or every session of a user with --user')
    .option('--user <name>', 'end every session and every app grant of this user (sign out everywhere)')
    .action(async (id: string | undefined, flags: DataFlags & { user?: string }) => {
      if ((id === undefined) === (flags.user === undefined)) {
        throw new GatehouseError('ERR_VALIDATION', { message: 'give either a session ID or --user NAME' });
      }
      const ended = await withCore(flags, async (core) => {
        if (id !== undefined) {
          if (!(await core.sessions.revokeSession(id, { actor: OPERATOR })))
            throw new GatehouseError('ERR_SESSION_NOT_FOUND');
          return 1;
        }
        const user = await core.users.findUserByName(flags.user!);
        if (!user) throw new GatehouseError('ERR_USER_NOT_FOUND');
        return core.users.signOutEverywhere(user.id, OPERATOR);
      });
      say(`${ended} session${ended === 1 ? '' : 's'} ended`);
    });
}
