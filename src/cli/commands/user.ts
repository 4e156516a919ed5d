import type { Command } from 'commander';
import { GatehouseError } from '../../core/errors/index.js';
import type { AuthCore } from '../../core/index.js';
import { parseRoles } from '../../core/scopes/index.js';
import { parseUsername, type User } from '../../core/users/index.js';
import { OPERATOR } from '../../core/audit/index.js';
import { withCore, withDataFlags, type DataFlags } from '../context.js';
import { isoTime, printJSON, printTable, say } from '../output.js';
import { readNewPassword } from '../password-input.js';

async function requireUser(core: AuthCore, name: string): Promise<User> {
  const user = await core.users.findUserByName(name);
  if (!user) throw new GatehouseError('ERR_USER_NOT_FOUND');
  return user;
}

const roleList = (user: User) => (user.roles.length > 0 ? user.roles.join(', ') : 'none');

/**
 * Registers `gatehouse user add|list|passwd|disable|enable|delete|roles`.
 * Names are matched as the core matches them: case-insensitively, after NFKC.
 *
 * @example
 * registerUserCommand(program); // then: gatehouse user add alice --role admin --password-stdin
 */
export function registerUserCommand(program: Command): void {
  const user = program.command('user').description('Manage users');

  withDataFlags(user.command('add <name>'))
    .description('Add a user; the password is prompted for without echo, or read from standard input')
    .option(
      '--role <role>',
      'give a role (repeatable)',
      (role: string, roles: string[]) => [...roles, role],
      [] as string[],
    )
    .option('--password-stdin', 'read the password from standard input')
    .action(async (name: string, flags: DataFlags & { role: string[]; passwordStdin?: boolean }) => {
      // Refuse a bad name, role or a taken name before asking for a password.
      parseUsername(name);
      parseRoles(flags.role);
      await withCore(flags, async (core) => {
        if (await core.users.findUserByName(name)) throw new GatehouseError('ERR_USER_EXISTS');
      });
      const password = await readNewPassword(flags);
      const created = await withCore(flags, (core) =>
        core.users.createUser({ username: name, password, roles: flags.role }, OPERATOR),
      );
      say(`created user ${created.username} (roles: ${roleList(created)})`);
    });

  withDataFlags(user.command('list'))
    .description('List users')
    .option('--json', 'print JSON')
    .action(async (flags: DataFlags & { json?: boolean }) => {
      const users = await withCore(flags, (core) => core.users.listUsers());
      if (flags.json) {
        printJSON(
          users.map((item) => ({ ...item, createdAt: isoTime(item.createdAt), updatedAt: isoTime(item.updatedAt) })),
        );
        return;
      }
      printTable(
        ['USERNAME', 'ROLES', 'STATUS', 'CREATED'],
        users.map((item) => [
          item.username,
          item.roles.join(',') || '-',
          item.disabled ? 'disabled' : 'enabled',
          isoTime(item.createdAt),
        ]),
      );
    });

  withDataFlags(user.command('passwd <name>'))
    .description(
      "Set a user's password and end all of that user's sessions, refresh tokens, API keys and app grants (offline ones included)",
    )
    .option('--password-stdin', 'read the password from standard input')
    .action(async (name: string, flags: DataFlags & { passwordStdin?: boolean }) => {
      // Check the user exists before asking for a password nobody can use.
      await withCore(flags, (core) => requireUser(core, name));
      const password = await readNewPassword(flags);
      const updated = await withCore(flags, async (core) =>
        core.users.resetPassword((await requireUser(core, name)).id, password, OPERATOR),
      );
      say(`password of ${updated.username} changed; all sessions, tokens, API keys and app grants ended`);
    });

  for (const [verb, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    withDataFlags(user.command(`${verb} <name>`))
      .description(disabled ? 'Disable a user and end all of its sessions' : 'Enable a disabled user')
      .action(async (name: string, flags: DataFlags) => {
        const updated = await withCore(flags, async (core) =>
          core.users.setDisabled((await requireUser(core, name)).id, disabled, OPERATOR),
        );
        say(`${updated.username} ${verb}d`);
      });
  }

  withDataFlags(user.command('delete <name>'))
    .description('Delete a user with its sessions, tokens and API keys')
    .action(async (name: string, flags: DataFlags) => {
      const deleted = await withCore(flags, async (core) => {
        const found = await requireUser(core, name);
        await core.users.deleteUser(found.id, OPERATOR);
        return found;
      });
      say(`deleted user ${deleted.username}`);
    });

  withDataFlags(user.command('roles <name> [roles...]'))
    .description("Replace a user's roles with the ones given; with none given, remove all of them")
    .action(async (name: string, roles: string[], flags: DataFlags) => {
      const updated = await withCore(flags, async (core) =>
        core.users.setRoles((await requireUser(core, name)).id, roles, OPERATOR),
      );
      say(`roles of ${updated.username}: ${roleList(updated)}`);
    });
}
