import { relative } from 'node:path';
import type { Command } from 'commander';
import { listSettings, loadConfig, type ServerConfig } from '../../server/config.js';
import type { RunningServer } from '../../server/start.js';
import { settingOption } from '../context.js';
import { errorLine } from '../output.js';

const camelCase = (flag: string) =>
  flag.replace(/^--/, '').replace(/-([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());

/** Commander names each value after its flag (--session-idle-timeout: sessionIdleTimeout); the settings have keys. */
function flagsOf(options: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries([
    ['config', options.config],
    ...listSettings().map((setting) => [setting.key, options[camelCase(setting.flag)]]),
  ]);
}

/** Registers `gatehouse serve`: starts the HTTPS server and runs until SIGTERM or SIGINT. */
export function registerServeCommand(program: Command): void {
  const serve = program
    .command('serve')
    .description('Start the HTTPS server (flags override GATEHOUSE_* variables, which override the config file)')
    .option('--config <file>', 'JSON config file (GATEHOUSE_CONFIG)');
  // One option per setting, made from the settings table: its flag, argument, variable and default.
  for (const setting of listSettings()) serve.option(...settingOption(setting));
  serve.action(async (options: Record<string, unknown>) => {
    // Until it listens, SIGTERM and SIGINT keep their default action: the process ends at once.
    let server: RunningServer;
    let config: ServerConfig;
    try {
      config = loadConfig({ flags: flagsOf(options) });
      // Loaded here, not at the top: every other command starts faster without the server.
      const { startServer } = await import('../../server/start.js');
      server = await startServer(config);
    } catch (error) {
      // Anything before listening is fatal: one line and a non-zero exit at once, whatever
      // connections are still open (a Redis client would otherwise keep the process alive, issue #15).
      process.stderr.write(errorLine(error));
      process.exit(1);
    }
    const caFile = relative(process.cwd(), server.certFile) || server.certFile;
    const lines = [
      `Gatehouse listening on ${server.url}`,
      `Clients trust the certificate in ${caFile}: curl --cacert ${caFile} ${server.url}/healthz`,
      `  or in Python: requests.get('${server.url}/healthz', verify='${caFile}')`,
    ];
    if ((await server.core.users.countUsers()) === 0) {
      lines.push('No users yet. Add the first one with: npx gatehouse user add NAME --role admin');
    }
    process.stdout.write(`${lines.join('\n')}\n`);

    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      const grace = config.shutdownGraceSeconds;
      server.app.log.info({ signal, graceSeconds: grace }, 'shutting down');
      // Should closing the store or Redis hang after the drain, the process still ends.
      setTimeout(() => process.exit(1), (grace + 5) * 1000).unref();
      // No new connections; requests in flight and on open connections are answered
      // (with Connection: close); then the log is flushed and the pools closed.
      server.shutdown(grace).then(
        ({ cut }) => {
          if (cut > 0) server.app.log.warn({ connections: cut }, 'grace period over: connections cut');
          process.exit(0);
        },
        (error: Error) => {
          process.stderr.write(errorLine(error));
          process.exit(1);
        },
      );
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    // Certificate renewal without a restart: new connections use the files as they are now.
    process.on('SIGHUP', () => {
      server.reloadTLS().then(
        () => server.app.log.info('TLS certificate reloaded'),
        (error: Error) =>
          server.app.log.error({ err: error.message }, 'TLS certificate reload failed; keeping the old one'),
      );
    });
  });
}
