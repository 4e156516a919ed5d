import type { Command } from 'commander';
import { OPERATOR } from '../../core/audit/index.js';
import { withCore, withDataFlags, type DataFlags } from '../context.js';
import { printJSON, printTable, say } from '../output.js';

/** Registers `gatehouse scope add|list|remove`: the scope registry. */
export function registerScopeCommand(program: Command): void {
  const scope = program.command('scope').description('Manage the scopes credentials may be granted');

  withDataFlags(scope.command('add <name>'))
    .description('Add a scope; with --role, only users with one of the roles may hold it (and no service client)')
    .requiredOption(
      '--description <text>',
      'what holding it allows, in words (shown to operators and on consent pages)',
    )
    .option(
      '--role <role>',
      'a role whose users may hold it (repeatable)',
      (role: string, roles: string[]) => [...roles, role],
      [] as string[],
    )
    .option('--json', 'print JSON')
    .action(async (name: string, flags: DataFlags & { description: string; role: string[]; json?: boolean }) => {
      const created = await withCore(flags, (core) =>
        core.scopes.create({ name, description: flags.description, roles: flags.role }, OPERATOR),
      );
      if (flags.json) return printJSON(created);
      say(`added scope ${created.name}${created.roles.length > 0 ? ` (roles: ${created.roles.join(', ')})` : ''}`);
    });

  withDataFlags(scope.command('list'))
    .description('List scopes: the reserved ones and those added')
    .option('--json', 'print JSON')
    .action(async (flags: DataFlags & { json?: boolean }) => {
      const scopes = await withCore(flags, (core) => core.scopes.list());
      if (flags.json) return printJSON(scopes);
      printTable(
        ['SCOPE', 'HELD BY', 'DESCRIPTION'],
        scopes.map((item) => [
          item.name,
          item.heldBy === 'clients'
            ? 'clients (reserved)'
            : item.roles.length > 0
              ? `roles ${item.roles.join(',')}`
              : item.heldBy === 'everyone'
                ? 'everyone'
                : item.heldBy,
          item.description,
        ]),
      );
    });

  withDataFlags(scope.command('remove <name>'))
    .description(
      'Remove a scope: every credential that carries it loses it at once (stripped from keys, clients, refresh tokens, consents); added again, it is a new scope',
    )
    .action(async (name: string, flags: DataFlags) => {
      await withCore(flags, (core) => core.scopes.remove(name, OPERATOR));
      say(`removed scope ${name}`);
    });
}
