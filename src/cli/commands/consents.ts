import type { Command } from 'commander';
import { OPERATOR } from '../../core/audit/index.js';
import { GatehouseError } from '../../core/errors/index.js';
import type { AuthCore } from '../../core/index.js';
import { withCore, withDataFlags, type DataFlags } from '../context.js';
import { printJSON, printTable, say } from '../output.js';

async function requireUserId(core: AuthCore, name: string): Promise<string> {
  const user = await core.users.findUserByName(name);
  if (!user) throw new GatehouseError('ERR_USER_NOT_FOUND');
  return user.id;
}

/**
 * Registers `gatehouse consents list|revoke`: the apps a user let in (their
 * OpenID Connect consents), and revoking one, which ends every token of
 * that grant at once.
 *
 * @example
 * registerConsentsCommand(program); // then: gatehouse consents revoke alice notes-app
 */
export function registerConsentsCommand(program: Command): void {
  const consents = program.command('consents').description("List and revoke users' consents to apps");

  withDataFlags(consents.command('list <user>'))
    .description('List the apps a user let in, with the scopes agreed to, most recent first')
    .option('--json', 'print JSON')
    .action(async (name: string, flags: DataFlags & { json?: boolean }) => {
      const list = await withCore(flags, async (core) => core.consents.listForUser(await requireUserId(core, name)));
      if (flags.json) {
        return printJSON(
          list.map((item) => ({
            ...item,
            createdAt: new Date(item.createdAt).toISOString(),
            updatedAt: new Date(item.updatedAt).toISOString(),
          })),
        );
      }
      printTable(
        ['CLIENT', 'NAME', 'SCOPES', 'SINCE'],
        list.map((item) => [item.clientId, item.name, item.scopes.join(' '), new Date(item.updatedAt).toISOString()]),
      );
    });

  withDataFlags(consents.command('revoke <user> <client>'))
    .description("Revoke a user's consent to an app (its id or name): every token of that grant ends at once")
    .action(async (name: string, client: string, flags: DataFlags) => {
      await withCore(flags, async (core) => {
        const userId = await requireUserId(core, name);
        const clientId = (await core.clients.findClient(client))?.id ?? client;
        await core.consents.revoke(userId, clientId, OPERATOR);
      });
      say(`consent of ${name} to ${client} revoked; its tokens ended`);
    });
}
