import { relative } from 'node:path';
import type { Command } from 'commander';
import { loadConfig, type ServerConfig } from '../../server/config.js';
import type { RunningServer } from '../../server/start.js';
import { errorLine } from '../output.js';

/** Registers `gatehouse serve`: starts the HTTPS server and runs until SIGTERM or SIGINT. */
export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('Start the HTTPS server (flags override GATEHOUSE_* variables, which override the config file)')
    .option('--config <file>', 'JSON config file (GATEHOUSE_CONFIG)')
    .option('--data <dir>', 'data folder: SQLite database, development certificate (GATEHOUSE_DATA, default ./data)')
    .option(
      '--db <url>',
      'database URL, sqlite:PATH or postgres://USER@HOST:PORT/DB (GATEHOUSE_DB, default sqlite:<data>/gatehouse.db)',
    )
    .option('--migrate', 'apply pending database migrations at start (GATEHOUSE_MIGRATE; SQLite always does)')
    .option('--db-pool-size <n>', 'PostgreSQL connections, 1 to 100 (GATEHOUSE_DB_POOL_SIZE, default 10)')
    .option(
      '--basic-auth <who>',
      'who may send Authorization: Basic: clients, users, both or off (GATEHOUSE_BASIC_AUTH, default clients)',
    )
    .option(
      '--forward-auth-header-prefix <prefix>',
      'prefix of the identity headers of /auth/verify (GATEHOUSE_FORWARD_AUTH_HEADER_PREFIX, default X-Auth-)',
    )
    .option(
      '--cache-ttl-ms <ms>',
      'how late a change made elsewhere may be seen here, 0 to 1000 ms; 0: no cache (GATEHOUSE_CACHE_TTL_MS, default 500)',
    )
    .option('--redis <url>', 'Redis for instances that act as one: redis://HOST:PORT/N (GATEHOUSE_REDIS)')
    .option(
      '--redis-prefix <prefix>',
      "namespace of this deployment's Redis keys and channels (GATEHOUSE_REDIS_PREFIX, default gatehouse:<deployment id>)",
    )
    .option('--host <host>', 'address to listen on (GATEHOUSE_HOST, default localhost)')
    .option('--port <port>', 'port, 0 for any free one (GATEHOUSE_PORT, default 8443)')
    .option('--tls-cert <file>', 'PEM certificate chain (GATEHOUSE_TLS_CERT)')
    .option('--tls-key <file>', 'PEM private key (GATEHOUSE_TLS_KEY)')
    .option(
      '--tls-client-ca <file>',
      'PEM of the CAs that issue client certificates; asks clients for one (GATEHOUSE_TLS_CLIENT_CA)',
    )
    .option(
      '--tls-client-auth <mode>',
      'client certificates: optional or require (GATEHOUSE_TLS_CLIENT_AUTH; default optional with --tls-client-ca)',
    )
    .option(
      '--session-idle-timeout <seconds>',
      'end sessions idle this long (GATEHOUSE_SESSION_IDLE_TIMEOUT, default 1800)',
    )
    .option(
      '--session-absolute-timeout <seconds>',
      'end sessions this long after sign-in (GATEHOUSE_SESSION_ABSOLUTE_TIMEOUT, default 43200)',
    )
    .option('--cookie-name <name>', 'session cookie name (GATEHOUSE_COOKIE_NAME, default __Host-gatehouse)')
    .option('--lesson-routes <bool>', "serve the seed lesson's GET /get-info (GATEHOUSE_LESSON_ROUTES, default true)")
    .option(
      '--public-url <url>',
      'https origin clients use; the iss of tokens (GATEHOUSE_PUBLIC_URL, default https://<host>:<port>)',
    )
    .option('--token-audience <aud>', 'aud of access tokens (GATEHOUSE_TOKEN_AUDIENCE, default the public URL)')
    .option(
      '--access-token-lifetime <seconds>',
      'access-token lifetime, 60 to 3600 (GATEHOUSE_ACCESS_TOKEN_LIFETIME, default 600)',
    )
    .option(
      '--signing-algorithm <alg>',
      'EdDSA or ES256 for new signing keys (GATEHOUSE_SIGNING_ALGORITHM, default EdDSA)',
    )
    .option(
      '--refresh-token-reuse-grace <seconds>',
      'reuse window for racing refreshes, 0 to 60 (GATEHOUSE_REFRESH_TOKEN_REUSE_GRACE, default 0: off)',
    )
    .option(
      '--origins <list>',
      'comma-separated https origins whose pages may sign in (GATEHOUSE_ORIGINS, default the public URL or the request origin)',
    )
    .option(
      '--throttle-account-failures <n>',
      'consecutive failed sign-ins per account that start a block, 3 to 10 (GATEHOUSE_THROTTLE_ACCOUNT_FAILURES, default 10)',
    )
    .option(
      '--throttle-block-seconds <seconds>',
      'first block; each further one doubles (GATEHOUSE_THROTTLE_BLOCK_SECONDS, default 60)',
    )
    .option(
      '--throttle-ip-failures <n>',
      'failed sign-ins per IP in 15 min before a 15 min block (GATEHOUSE_THROTTLE_IP_FAILURES, default 100)',
    )
    .option('--password-min-length <n>', 'shortest new password, 8 to 64 (GATEHOUSE_PASSWORD_MIN_LENGTH, default 15)')
    .option(
      '--rate-limit-per-minute <n>',
      'unauthenticated requests per minute per IP to /login, /token, /oauth/* (GATEHOUSE_RATE_LIMIT_PER_MINUTE, default 300)',
    )
    .option(
      '--client-rate-limit-per-minute <n>',
      'requests per minute per authenticated client to /oauth/* (GATEHOUSE_CLIENT_RATE_LIMIT_PER_MINUTE, default 6000)',
    )
    .option(
      '--ipv6-prefix-length <bits>',
      'per-address limits count IPv6 clients by this prefix, 32 to 128 (GATEHOUSE_IPV6_PREFIX_LENGTH, default 64)',
    )
    .option('--http2', 'offer HTTP/2; HTTP/1.1 is still accepted (GATEHOUSE_HTTP2, default false)')
    .option(
      '--shutdown-grace-seconds <seconds>',
      'on SIGTERM, how long requests in flight may finish, 0 to 3600 (GATEHOUSE_SHUTDOWN_GRACE_SECONDS, default 10)',
    )
    .option(
      '--trust-proxy <list>',
      'proxy addresses/CIDRs whose X-Forwarded-* headers are believed (GATEHOUSE_TRUST_PROXY, default none)',
    )
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent (GATEHOUSE_LOG_LEVEL, default info)')
    .action(async (flags: Record<string, unknown>) => {
      // Until it listens, SIGTERM and SIGINT keep their default action: the process ends at once.
      let server: RunningServer;
      let config: ServerConfig;
      try {
        config = loadConfig({ flags });
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
