#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { isGatehouseError } from '../core/errors.js';
import { registerClientCommand } from './commands/client.js';
import { registerDumpCommands } from './commands/dump.js';
import { registerKeysCommand } from './commands/keys.js';
import { registerMigrateCommand } from './commands/migrate.js';
import { registerServeCommand } from './commands/serve.js';
import { registerSessionsCommand } from './commands/sessions.js';
import { registerUserCommand } from './commands/user.js';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command('gatehouse')
  .description('Gatehouse: secure authentication for REST APIs')
  .version(version)
  .showHelpAfterError()
  .exitOverride();

registerServeCommand(program);
registerUserCommand(program);
registerSessionsCommand(program);
registerClientCommand(program);
registerKeysCommand(program);
registerMigrateCommand(program);
registerDumpCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Help and version are exits with code 0; usage errors were already printed.
    process.exitCode = error.exitCode === 0 ? 0 : 2;
  } else if (isGatehouseError(error)) {
    // Expected failures: one line, no stack, never a secret (messages are generic by design).
    process.stderr.write(`gatehouse: ${error.message}\n`);
    process.exitCode = 1;
  } else {
    process.stderr.write(`gatehouse: unexpected error: ${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}
