import fastifySwagger from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { createAuthCore, createLoginThrottle, type AuthCore } from '../core/index.js';
import type { Clock } from '../core/shared/index.js';
import type { HashQueueOptions, PasswordHasher } from '../core/passwords/index.js';
import { handleError } from '../http/error-handler.js';
import { gatehouseOpenApi } from '../http/openapi.js';
import { gatehouse } from '../http/plugin.js';
import { sendProblem } from '../http/problem.js';
import { openStore } from '../store/index.js';
import { withReadCache, type CacheChange } from '../store/read-cache.js';
import { createRedisLimiters } from '../store/limiters.js';
import { connectRedis, KEYS_TOPIC, redisNamespace, REVOCATIONS_TOPIC } from '../store/redis.js';
import type { ServerConfig } from './config.js';
import { AccessLogController } from './access-log.js';
import { coreOptionsFromSettings } from './core-options.js';
import { createLogDestination } from './log-destination.js';
import { useLingeringClose } from './lingering-close.js';
import { loadMasterKey } from './master-key.js';
import { ServerMetrics } from './metrics.js';
import { useSecurityHeaders } from './security-headers.js';
import { GATEHOUSE_VERSION } from './version.js';
import { clientCertificateOptions, type TLSMaterial } from './tls.js';

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

/**
 * TLS 1.2 at least, 1.3 preferred. Node 20's default list still accepts
 * TLS 1.2 CBC suites; this one allows only the TLS 1.3 suites and ECDHE with
 * AES-GCM or ChaCha20-Poly1305 (forward secrecy and AEAD).
 */
export const TLS_SETTINGS = {
  minVersion: 'TLSv1.2',
  ciphers: [
    'TLS_AES_128_GCM_SHA256',
    'TLS_AES_256_GCM_SHA384',
    'TLS_CHACHA20_POLY1305_SHA256',
    'ECDHE-ECDSA-AES128-GCM-SHA256',
    'ECDHE-RSA-AES128-GCM-SHA256',
    'ECDHE-ECDSA-AES256-GCM-SHA384',
    'ECDHE-RSA-AES256-GCM-SHA384',
    'ECDHE-ECDSA-CHACHA20-POLY1305',
    'ECDHE-RSA-CHACHA20-POLY1305',
  ].join(':'),
  honorCipherOrder: true,
} as const;

/** Options of {@link buildServer} that tests and embedders may set. */
export interface BuildServerOptions {
  /** TLS certificate and key. Required: Gatehouse only speaks HTTPS. */
  tls: Pick<TLSMaterial, 'cert' | 'key' | 'clientCa'>;
  /** The source of time. Default: the system clock. */
  clock?: Clock;
  /** Password hashing. Default: Argon2id at OWASP parameters. */
  hasher?: PasswordHasher;
  /** How many password hashes run and wait at once. Default: the cores less one run, 16 per slot wait. */
  hashQueue?: HashQueueOptions;
  /** Where log lines go. Default: standard output. */
  logStream?: NodeJS.WritableStream;
}

/** A server built but not yet listening. */
type BuiltServer = { app: FastifyInstance; core: AuthCore; setListeningUrl(url: string): void };

const START_CLEANUP_MS = 1000;

/**
 * The Gatehouse HTTPS server, built but not yet listening: opens the store
 * (running migrations), creates the core and registers every route. If any
 * of it fails, what was opened is closed again (within a second) before the
 * error is thrown: a failed start must not leave the pool or Redis holding
 * the process open (issue #15).
 */
export async function buildServer(config: ServerConfig, options: BuildServerOptions): Promise<BuiltServer> {
  const opened: { close?: () => Promise<unknown> } = {};
  try {
    return await assembleServer(config, options, opened);
  } catch (error) {
    await closeWithin(START_CLEANUP_MS, () => opened.close?.() ?? Promise.resolve());
    throw error;
  }
}

/** Runs `close`, giving up after `ms`: a failed start still ends promptly when a connection hangs. */
async function closeWithin(ms: number, close: () => Promise<unknown>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    close().catch(() => undefined),
    new Promise((resolve) => {
      timer = setTimeout(resolve, ms);
      timer.unref();
    }),
  ]);
  clearTimeout(timer);
}

/** {@link buildServer}'s work; `opened.close` undoes what is open so far. */
async function assembleServer(
  config: ServerConfig,
  options: BuildServerOptions,
  opened: { close?: () => Promise<unknown> },
): Promise<BuiltServer> {
  const masterKey = loadMasterKey(config.data);
  // Without a configured public URL, the issuer is the URL the server ends up listening on.
  let listeningUrl = `https://${config.host}:${config.port}`;
  // The app's logger, once it exists: the store and Redis report what they lose through it.
  let log: FastifyBaseLogger | undefined;
  // The read cache keeps the signed-in hot path off the database (see
  // docs/benchmarks.md). Its revocations go to the other instances through
  // Redis when there is one; without, they see them within cacheTtlMs.
  const cache = withReadCache(
    await openStore({
      url: config.db,
      migrations: config.migrate ? 'apply' : undefined,
      poolSize: config.dbPoolSize,
      // A restart of PostgreSQL ends every pooled connection: each is replaced on its next query.
      onConnectionError: (error) =>
        log?.warn(
          { err: error.message, code: (error as { code?: string }).code },
          'database connection lost: replaced on the next query',
        ),
    }),
    {
      ttlMs: config.cacheTtlMs,
      clock: options.clock,
      onChange: (change) => void bus?.publish(REVOCATIONS_TOPIC, JSON.stringify(change)),
    },
  );
  const store = cache.store;
  opened.close = () => store.close();
  const bus =
    config.redis === undefined
      ? null
      : connectRedis(config.redis, {
          // Keys and channels carry the deployment: two deployments on one Redis never meet.
          namespace: config.redisPrefix ?? redisNamespace(await store.readDeploymentId()),
          onStatus(status, error) {
            // Losing Redis degrades, never stops, the service: say so loudly.
            if (status === 'down')
              log?.warn(
                { err: error?.message },
                'redis unreachable: serving without shared broadcast; throttling counts per instance',
              );
            else log?.info('redis connected');
          },
        });
  opened.close = async () => {
    await bus?.close();
    await store.close();
  };
  // The throttle's and the rate limits' counters, shared by every instance when there is Redis.
  const sharedLimiters = bus ? createRedisLimiters(bus.client) : undefined;
  const metrics = new ServerMetrics();
  // The settings' part of the core is the CLI's too: one mapping (core-options.ts).
  const { throttlePolicy, ...settings } = coreOptionsFromSettings(config, {
    masterKey,
    listeningUrl: () => listeningUrl,
  });
  const core = createAuthCore({
    ...settings,
    onAuditEvent: metrics.observeAuditEvent,
    throttle: createLoginThrottle(throttlePolicy, { limiters: sharedLimiters, keyPrefix: bus?.namespace }),
    store,
    clock: options.clock,
    hasher: options.hasher,
    hashQueue: options.hashQueue,
  });
  const https = {
    cert: options.tls.cert,
    key: options.tls.key,
    ...TLS_SETTINGS,
    ...clientCertificateOptions(config, options.tls.clientCa),
  };
  const destination = options.logStream ? null : createLogDestination();
  const logStream = options.logStream ?? destination!.stream;
  const common = {
    logger: {
      level: config.logLevel,
      redact: { paths: LOG_REDACT_PATHS, censor: '[redacted]' },
      stream: logStream,
    },
    // Strict JSON Schema: reject unknown fields instead of dropping them, never coerce types.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
    // Behind no proxy by default: the peer address is the client. X-Forwarded-*
    // is believed only from the configured proxy addresses.
    trustProxy: config.trustProxy ?? false,
    requestTimeout: 30_000,
    // A stop answers what reaches it (with Connection: close) rather than 503: see graceful-stop.ts.
    return503OnClosing: false,
    logController: new AccessLogController(
      destination?.accessSink ?? logStream,
      ['trace', 'debug', 'info'].includes(config.logLevel),
    ),
  } as const;
  // With HTTP/2 on, ALPN still lets HTTP/1.1 clients in (the lesson's requests, curl without --http2).
  // The routes are the same either way; only the server object differs, so one type serves both.
  const app = (config.http2
    ? Fastify({ ...common, http2: true, https: { ...https, allowHTTP1: true } })
    : Fastify({ ...common, https })) as unknown as FastifyInstance;
  // From here the app's onClose hooks close the store, the log and Redis.
  opened.close = () => app.close();
  app.addHook('onClose', async () => store.close());
  if (destination) app.addHook('onClose', async () => destination.close());
  log = app.log;
  if (bus) {
    // A rotation made on another instance (or by the CLI) takes effect here at once.
    bus.subscribe(KEYS_TOPIC, () => core.tokens!.keys.invalidate());
    bus.subscribe(REVOCATIONS_TOPIC, (message) => {
      try {
        cache.apply(JSON.parse(message) as CacheChange);
      } catch {
        // Not JSON: nothing to apply; the time to live still bounds staleness.
      }
    });
    app.addHook('onClose', async () => bus.close());
  }
  app.setErrorHandler(handleError);
  useSecurityHeaders(app);
  // Before any route: a 413 must reach the client before the connection closes.
  useLingeringClose(app);
  app.setNotFoundHandler((_request, reply) => sendProblem(reply, 'ERR_NOT_FOUND'));

  // Before any route: @fastify/swagger learns the routes as they are added.
  await app.register(
    fastifySwagger,
    gatehouseOpenApi({ cookieName: config.cookieName, version: GATEHOUSE_VERSION, basicAuth: config.basicAuth }),
  );
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  app.get('/healthz', { schema: { tags: ['operations'], summary: 'The process answers' } }, async () => ({
    status: 'ok',
  }));
  app.get(
    '/readyz',
    {
      schema: {
        tags: ['operations'],
        summary: 'The database answers (200: ready, or degraded while Redis does not)',
        'x-problems': ['Problem503'],
      },
    },
    async (_request, reply) => {
      const redis = bus === null ? 'absent' : bus.status();
      // Without Redis an instance still serves (throttling per instance, revocations within the cache lifetime): degraded, not unready.
      if (await store.ping()) return { status: redis === 'down' ? 'degraded' : 'ready', database: 'up', redis };
      return sendProblem(reply, 'ERR_UNAVAILABLE', 'The database does not answer.');
    },
  );

  await app.register(gatehouse, {
    core,
    cookie: { name: config.cookieName },
    lessonRoutes: config.lessonRoutes,
    pages: true,
    forwardAuth: { headerPrefix: config.forwardAuthHeaderPrefix, signInUrl: config.publicUrl },
    origins: config.origins ?? (config.publicUrl === undefined ? undefined : [config.publicUrl.toLowerCase()]),
    rateLimitPerMinute: config.rateLimitPerMinute,
    clientRateLimitPerMinute: config.clientRateLimitPerMinute,
    ...(bus && sharedLimiters && { sharedCounters: { limiters: sharedLimiters, keyPrefix: bus.namespace } }),
    ipv6PrefixLength: config.ipv6PrefixLength,
    basicAuth: config.basicAuth,
    clientCertificates: config.tlsClientCa !== undefined || config.tlsClientAuth !== undefined,
  });
  metrics.attach(app, core, config.cookieName);
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
