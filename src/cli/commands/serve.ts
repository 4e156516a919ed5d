import type { Command } from 'commander';

/** Registers `gatehouse serve`. (Placeholder: the server owner fills this in.) */
export function registerServeCommand(program: Command): void {
  program.command('serve').description('Start the HTTPS server');
}
