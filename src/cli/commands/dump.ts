import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { exportDump, importDump } from '../../store/dump.js';
import { applyMigrations, openDatabase, readMigrationStatus } from '../../store/index.js';
import { migrationProvider } from '../../store/migrations.js';
import { resolveDataConfig, withDataFlags, type DataFlags } from '../context.js';

/** Registers `gatehouse export` and `gatehouse import`: move a deployment between databases. */
export function registerDumpCommands(program: Command): void {
  withDataFlags(program.command('export'))
    .description('Write every user, session, client, key and API key as JSON lines to standard output')
    .action(async (flags: DataFlags) => {
      const db = openDatabase(resolveDataConfig(flags).db, { poolSize: 1 });
      try {
        const { applied, unknown } = await readMigrationStatus(db);
        // Hashes and encrypted keys, not plain secrets; still as sensitive as the database itself.
        process.stderr.write(
          'gatehouse: the dump holds password hashes and encrypted signing keys: keep it as safe as the database\n',
        );
        for await (const line of exportDump(db, [...applied, ...unknown])) {
          if (!process.stdout.write(`${line}\n`)) await new Promise((resolve) => process.stdout.once('drain', resolve));
        }
      } finally {
        await db.destroy();
      }
    });

  withDataFlags(program.command('import'))
    .description('Load a dump from standard input into an empty database (all or nothing); migrates it first')
    .action(async (flags: DataFlags) => {
      const db = openDatabase(resolveDataConfig(flags).db, { poolSize: 1 });
      try {
        await applyMigrations(db);
        const known = Object.keys(await migrationProvider.getMigrations());
        const counts = await importDump(db, createInterface({ input: process.stdin, crlfDelay: Infinity }), known);
        process.stdout.write(
          `imported ${Object.entries(counts)
            .map(([table, count]) => `${count} ${table}`)
            .join(', ')}\n`,
        );
      } finally {
        await db.destroy();
      }
    });
}
