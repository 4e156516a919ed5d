import type { Command } from 'commander';
import { applyMigrations, openDatabase, readDeploymentIdIfAny, readMigrationStatus } from '../../store/index.js';
import { resolveDataConfig, withDataFlags, type DataFlags } from '../context.js';
import { printJSON, say } from '../output.js';

/** Registers `gatehouse migrate [status|up]`. */
export function registerMigrateCommand(program: Command): void {
  withDataFlags(program.command('migrate [action]'))
    .description('Show (status, the default) or apply (up) database schema migrations')
    .option('--json', 'print JSON')
    .action(async (action: string | undefined, flags: DataFlags & { json?: boolean }) => {
      if (action !== undefined && action !== 'status' && action !== 'up') {
        program.error(`gatehouse: unknown migrate action '${action}': use status or up`, { exitCode: 2 });
      }
      const db = openDatabase(resolveDataConfig(flags).db, { poolSize: 1 });
      try {
        const applied = action === 'up' ? await applyMigrations(db) : [];
        const status = await readMigrationStatus(db);
        const deploymentId = await readDeploymentIdIfAny(db);
        if (flags.json) return printJSON({ ...status, appliedNow: applied, deploymentId });
        for (const name of applied) say(`applied ${name}`);
        say(
          `applied: ${status.applied.length}, pending: ${status.pending.length}${status.pending.length > 0 ? ` (${status.pending.join(', ')})` : ''}`,
        );
        // The id that namespaces this deployment's Redis keys and channels (gatehouse:<id> unless --redis-prefix).
        say(`deployment: ${deploymentId ?? 'none yet (made by migration 0011_deployment)'}`);
        if (status.unknown.length > 0)
          say(
            `the database has migrations this Gatehouse does not know: ${status.unknown.join(', ')}; upgrade Gatehouse`,
          );
      } finally {
        await db.destroy();
      }
    });
}
