import type { Server as HTTPSServer } from 'node:https';
import type { FastifyInstance } from 'fastify';
import type { AuthCore } from '../core/index.js';
import { GatehouseError } from '../core/errors/index.js';
import { databaseKind } from '../store/index.js';
import { buildServer, TLS_SETTINGS, type BuildServerOptions } from './app.js';
import type { ServerConfig } from './config.js';
import { trackConnections } from './graceful-stop.js';
import { checkPrivateFiles } from './private-files.js';
import { clientCertificateOptions, loadTLS } from './tls.js';

/** A running server. */
export interface RunningServer {
  app: FastifyInstance;
  core: AuthCore;
  /** `https://host:port`, with the port actually bound. */
  url: string;
  /** The certificate file clients should trust. */
  certFile: string;
  /** Stops accepting connections, lets requests in flight finish, closes the database. */
  close(): Promise<void>;
  /**
   * The graceful stop of SIGTERM: stops accepting, answers what is in flight
   * and what arrives on open connections (with `Connection: close`) for up
   * to `graceSeconds`, cuts what is left, then closes as {@link close} does.
   * Resolves with the number of connections cut.
   */
  shutdown(graceSeconds: number): Promise<{ cut: number }>;
  /** Deletes expired sessions, refresh tokens, revocations, sign-in and passkey challenges and keys now (also every ten minutes); returns how many of each. */
  purgeExpired(): Promise<Record<string, number>>;
  /** Re-reads the certificate and key files (on SIGHUP); new connections use them. */
  reloadTLS(): Promise<void>;
}

const PURGE_INTERVAL_MS = 10 * 60_000;

/** A listen failure as one line that names the setting to change. */
function listenError(config: ServerConfig, error: NodeJS.ErrnoException): GatehouseError {
  const reason =
    error.code === 'EADDRINUSE'
      ? 'the address is already in use'
      : error.code === 'EACCES'
        ? 'permission denied (ports below 1024 need privileges)'
        : error.code === 'EADDRNOTAVAIL'
          ? 'no such address on this machine'
          : (error.code ?? error.message);
  return new GatehouseError('ERR_CONFIG', {
    message: `invalid configuration: port: cannot listen on ${config.host}:${config.port}: ${reason}`,
    details: { key: 'port' },
    cause: error,
  });
}

/**
 * Loads TLS material, builds the server and starts listening; purges expired
 * sessions, refresh tokens, revocations and retired keys every ten minutes.
 */
export async function startServer(
  config: ServerConfig,
  options: Omit<BuildServerOptions, 'tls'> = {},
): Promise<RunningServer> {
  const tls = await loadTLS(config);
  const { app, core, setListeningUrl } = await buildServer(config, { ...options, tls });
  try {
    // The files exist now (the database, the master key, a generated certificate): none may be open to other users.
    checkPrivateFiles({ ...config, masterKeyFromEnvironment: Boolean(process.env.GATEHOUSE_MASTER_KEY) });
  } catch (error) {
    await app.close();
    throw error;
  }
  // HTTP/2 sessions are drained by Fastify's close itself.
  const connections = config.http2 ? null : trackConnections(app);
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    await app.close();
    throw listenError(config, error as NodeJS.ErrnoException);
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `https://${host}:${port}`;
  setListeningUrl(url);
  if (config.publicUrl === undefined && databaseKind(config.db) === 'postgres') {
    // Instances behind a load balancer must share one issuer, or their tokens verify only where they were made.
    app.log.warn(
      `no --public-url: tokens name ${url} as their issuer; set the URL clients use when several instances serve one deployment`,
    );
  }

  const purgeExpired = async () => {
    const purged = {
      sessions: await core.sessions.purgeExpiredSessions(),
      refreshTokens: await core.refreshTokens.purgeExpiredRefreshTokens(),
      revocations: await core.store.purgeExpiredRevocations(core.clock.now()),
      loginChallenges: await core.store.purgeExpiredLoginChallenges(core.clock.now()),
      passkeyChallenges: await core.store.purgeExpiredPasskeyChallenges(core.clock.now()),
      signingKeys: (await core.tokens?.keys.purgeExpiredKeys()) ?? 0,
      authorizationCodes: (await core.openId?.codeGrant.purgeExpired()) ?? 0,
    };
    if (Object.values(purged).some((count) => count > 0)) app.log.info({ purged }, 'expired rows purged');
    return purged;
  };
  const purge = async () => {
    try {
      await purgeExpired();
    } catch (error) {
      app.log.warn({ err: error }, 'session purge failed');
    }
  };
  await purge();
  const timer = setInterval(purge, PURGE_INTERVAL_MS);
  timer.unref();

  return {
    app,
    core,
    url,
    certFile: tls.certFile,
    purgeExpired,
    async close() {
      clearInterval(timer);
      await app.close();
    },
    async shutdown(graceSeconds) {
      clearInterval(timer);
      const drained = (await connections?.drain(graceSeconds * 1000)) ?? { cut: 0 };
      // Then the store, Redis and the log (flushed) close with the app.
      await app.close();
      return drained;
    },
    async reloadTLS() {
      const fresh = await loadTLS(config);
      const { ca } = clientCertificateOptions(config, fresh.clientCa);
      (app.server as HTTPSServer).setSecureContext({
        cert: fresh.cert,
        key: fresh.key,
        ...TLS_SETTINGS,
        ...(ca !== undefined && { ca }),
      });
    },
  };
}
