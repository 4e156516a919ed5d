#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { registerAuditCommand } from './commands/audit.js';
import { registerClientCommand } from './commands/client.js';
import { registerConsentsCommand } from './commands/consents.js';
import { registerDumpCommands } from './commands/dump.js';
import { registerKeysCommand } from './commands/keys.js';
import { registerMigrateCommand } from './commands/migrate.js';
import { registerScopeCommand } from './commands/scope.js';
import { registerServeCommand } from './commands/serve.js';
import { registerSessionsCommand } from './commands/sessions.js';
import { registerUserCommand } from './commands/user.js';
import { errorLine } from './output.js';
import { GATEHOUSE_VERSION } from '../server/version.js';

const program = new Command('gatehouse')
  .description('Gatehouse: secure authentication for REST APIs')
  .version(GATEHOUSE_VERSION)
  .showHelpAfterError()
  .exitOverride();

registerServeCommand(program);
registerUserCommand(program);
registerSessionsCommand(program);
registerClientCommand(program);
registerConsentsCommand(program);
registerScopeCommand(program);
registerKeysCommand(program);
registerMigrateCommand(program);
registerDumpCommands(program);
registerAuditCommand(program);

// `gatehouse user list | head -1`: a reader that stops early is not an error worth a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(process.exitCode ?? 0);
});

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Help and version are exits with code 0; usage errors were already printed.
    process.exitCode = error.exitCode === 0 ? 0 : 2;
  } else {
    // Expected failures: one line, no stack, never a secret (messages are generic by design).
    process.stderr.write(errorLine(error));
    process.exitCode = 1;
  }
}
