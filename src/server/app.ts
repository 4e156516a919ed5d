import Fastify, { type FastifyInstance } from 'fastify';
import { createAuthCore, type AuthCore } from '../core/index.js';
import type { Clock } from '../core/clock.js';
import type { PasswordHasher } from '../core/passwords.js';
import { handleError } from '../http/error-handler.js';
import { gatehouse } from '../http/plugin.js';
import { sendProblem } from '../http/problem.js';
import { openStore } from '../store/index.js';
import { connectRedis, KEYS_TOPIC } from '../store/redis.js';
import type { ServerConfig } from './config.js';
import { loadMasterKey } from './master-key.js';
import type { TLSMaterial } from './tls.js';

/** Paths that pino must never write: credentials in headers, cookies and bodies. */
export const LOG_REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  '*.password',
  '*.currentPassword',
  '*.newPassword',
  '*.token',
];

/** Options of {@link buildServer} that tests and embedders may set. */
export interface BuildServerOptions {
  /** TLS certificate and key. Required: Gatehouse only speaks HTTPS. */
  tls: Pick<TLSMaterial, 'cert' | 'key'>;
  /** The source of time. Default: the system clock. */
  clock?: Clock;
  /** Password hashing. Default: Argon2id at OWASP parameters. */
  hasher?: PasswordHasher;
  /** Where log lines go. Default: standard output. */
  logStream?: NodeJS.WritableStream;
}

/**
 * The Gatehouse HTTPS server, built but not yet listening: opens the store
 * (running migrations), creates the core and registers every route.
 */
export async function buildServer(
  config: ServerConfig,
  options: BuildServerOptions,
): Promise<{ app: FastifyInstance; core: AuthCore; setListeningUrl(url: string): void }> {
  const masterKey = loadMasterKey(config.data);
  // Without a configured public URL, the issuer is the URL the server ends up listening on.
  let listeningUrl = `https://${config.host}:${config.port}`;
  const store = await openStore({ url: config.db, migrations: config.migrate ? 'apply' : undefined, poolSize: config.dbPoolSize });
  const core = createAuthCore({
    store,
    clock: options.clock,
    hasher: options.hasher,
    sessionPolicy: {
      idleTimeoutSeconds: config.sessionIdleTimeout,
      absoluteTimeoutSeconds: config.sessionAbsoluteTimeout,
    },
    tokens: {
      masterKey,
      issuer: () => config.publicUrl ?? listeningUrl,
      audience: () => config.tokenAudience ?? config.publicUrl ?? listeningUrl,
      accessTokenLifetimeSeconds: config.accessTokenLifetime,
      algorithm: config.signingAlgorithm,
      refreshTokenReuseGraceSeconds: config.refreshTokenReuseGrace,
    },
  });
  const app = Fastify({
    https: { cert: options.tls.cert, key: options.tls.key, minVersion: 'TLSv1.2' },
    logger: {
      level: config.logLevel,
      redact: { paths: LOG_REDACT_PATHS, censor: '[redacted]' },
      ...(options.logStream && { stream: options.logStream }),
    },
    // Strict JSON Schema: reject unknown fields instead of dropping them, never coerce types.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
    // Behind no proxy by default: the peer address is the client.
    trustProxy: false,
    requestTimeout: 30_000,
    return503OnClosing: true,
  });
  app.addHook('onClose', async () => store.close());
  const bus = config.redis === undefined ? null : connectRedis(config.redis, (status, error) => {
    // Losing Redis degrades, never stops, the service: say so loudly.
    if (status === 'down') app.log.warn({ err: error?.message }, 'redis unreachable: serving without shared broadcast');
    else app.log.info('redis connected');
  });
  if (bus) {
    // A rotation made on another instance (or by the CLI) takes effect here at once.
    bus.subscribe(KEYS_TOPIC, () => core.tokens!.keys.invalidate());
    app.addHook('onClose', async () => bus.close());
  }
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((_request, reply) => sendProblem(reply, 'ERR_NOT_FOUND'));

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const redis = bus === null ? 'absent' : bus.status();
    if (await store.ping()) return { status: 'ready', database: 'up', redis };
    return sendProblem(reply, 'ERR_UNAVAILABLE', 'The database does not answer.');
  });

  await app.register(gatehouse, {
    core,
    cookie: { name: config.cookieName },
    lessonRoutes: config.lessonRoutes,
  });
  await core.warmUp();
  await core.tokens!.keys.ensureActiveKey();
  return {
    app,
    core,
    setListeningUrl(url) {
      listeningUrl = url;
    },
  };
}
