import { relative } from 'node:path';
import type { Command } from 'commander';
import { listSettings, loadConfig } from '../../server/config.js';

const camelCase = (flag: string) =>
  flag.replace(/^--/, '').replace(/-([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());

/** Registers `gatehouse serve`: starts the HTTPS server and runs until SIGTERM or SIGINT. */
export function registerServeCommand(program: Command): void {
  const serve = program
    .command('serve')
    .description('Start the HTTPS server (flags override GATEHOUSE_* variables, which override the config file)')
    .option('--config <file>', 'JSON config file (GATEHOUSE_CONFIG)');
  // One option per setting, made from the settings table: its flag, argument, variable and default.
  for (const setting of listSettings()) {
    const details = [setting.env, ...(setting.default === undefined ? [] : [`default ${setting.default}`])];
    const flag = setting.arg === undefined ? setting.flag : `${setting.flag} <${setting.arg.toLowerCase()}>`;
    serve.option(flag, `${setting.help} (${details.join(', ')})`);
  }
  serve.action(async (options: Record<string, unknown>) => {
    // Commander names each value after its flag (--session-idle-timeout: sessionIdleTimeout); the settings have keys.
    const flags = Object.fromEntries([
      ['config', options.config],
      ...listSettings().map((setting) => [setting.key, options[camelCase(setting.flag)]]),
    ]);
    const config = loadConfig({ flags });
    // Loaded here, not at the top: every other command starts faster without the server.
    const { startServer } = await import('../../server/start.js');
    const server = await startServer(config);
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
      server.app.log.info({ signal }, 'shutting down');
      // Requests in flight finish; new ones get 503 while closing.
      server.close().then(
        () => process.exit(0),
        () => process.exit(1),
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
