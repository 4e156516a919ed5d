import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BASIC_AUTH_MODES, type BasicAuthMode } from '../core/basic-auth.js';
import { GatehouseError } from '../core/errors.js';

/** The server's settings, after defaults and validation. */
export interface ServerConfig {
  /** Folder for the SQLite database and generated files. Default `./data`. */
  data: string;
  /** Database URL. Default `sqlite:<data>/gatehouse.db`. */
  db: string;
  /** Address to listen on. Default `localhost` (IPv4 and IPv6 loopback). */
  host: string;
  /** TCP port; 0 picks a free one. Default 8443. */
  port: number;
  /** PEM certificate chain file. Default: a development certificate generated in `<data>/tls/`. */
  tlsCert: string | undefined;
  /** PEM private key file; required with `tlsCert`. */
  tlsKey: string | undefined;
  /** PEM file of the CAs that issue client certificates (RFC 8705 `tls_client_auth`). Setting it makes the server ask for certificates. */
  tlsClientCa: string | undefined;
  /** Client certificates: `optional` (asked for, not required; self-signed ones allowed for pinned clients) or `require` (CA-issued only). Default: `optional` when `tlsClientCa` is set, else not asked for. */
  tlsClientAuth: 'optional' | 'require' | undefined;
  /** Seconds of inactivity that end a session. Default 1800. */
  sessionIdleTimeout: number;
  /** Seconds after sign-in that end a session. Default 43200. */
  sessionAbsoluteTimeout: number;
  /** Session cookie name. Default `__Host-gatehouse`. */
  cookieName: string;
  /** Serve the seed lesson's `GET /get-info`. Default true. */
  lessonRoutes: boolean;
  /** pino level. Default `info`. */
  logLevel: string;
  /** The URL clients reach this deployment at; the `iss` of tokens. Default `https://<host>:<port>`. */
  publicUrl: string | undefined;
  /** The `aud` of access tokens. Default: the public URL. */
  tokenAudience: string | undefined;
  /** Access-token lifetime in seconds, 60 to 3600. Default 600. */
  accessTokenLifetime: number;
  /** Algorithm of new signing keys: `EdDSA` (Ed25519) or `ES256`. Default `EdDSA`. */
  signingAlgorithm: 'EdDSA' | 'ES256';
  /** Seconds a just-spent refresh token may be reused by a racing client, 0 to 60. Default 0 (off). */
  refreshTokenReuseGrace: number;
  /** Apply pending migrations at start (PostgreSQL; SQLite always does). Default false. */
  migrate: boolean;
  /** PostgreSQL connections per instance, 1 to 100. Default 10. */
  dbPoolSize: number;
  /** Prefix of the identity headers `/auth/verify` answers with. Default `X-Auth-`. */
  forwardAuthHeaderPrefix: string;
  /** Who may send `Authorization: Basic`: `clients`, `users`, `both` or `off`. Default `clients`. */
  basicAuth: BasicAuthMode;
  /** Milliseconds a session, user, API key or client may be served from this instance's memory; 0 turns the cache off. Default 500. */
  cacheTtlMs: number;
  /** Redis URL (`redis://HOST:PORT/N`) for shared state between instances. Default none. */
  redis: string | undefined;
  /** Prefix of this deployment's Redis keys and channels. Default `gatehouse:<deployment id>` (the id stored in the database). */
  redisPrefix: string | undefined;
  /** Origins whose pages may sign in and make cookie-authenticated changes. Default: the public URL, else each request's own origin. */
  origins: string[] | undefined;
  /** Consecutive failed sign-ins per account (and account + IP) that start a block, 3 to 10. Default 10. */
  throttleAccountFailures: number;
  /** First block, seconds (doubling with each further block). Default 60. */
  throttleBlockSeconds: number;
  /** Failed sign-ins per IP address in 15 minutes before it is blocked for 15 minutes. Default 100. */
  throttleIpFailures: number;
  /** Unauthenticated requests per minute per IP address to the sign-in and token endpoints. Default 300. */
  rateLimitPerMinute: number;
  /** Requests per minute per authenticated client to the OAuth endpoints (instead of its address's). Default 6000. */
  clientRateLimitPerMinute: number;
  /** Per-address limits count IPv6 clients by this prefix length, 32 to 128. Default 64 (one customer network). */
  ipv6PrefixLength: number;
  /** Shortest new password, 8 to 64 characters. Default 15 (NIST SP 800-63B-4, password-only accounts). */
  passwordMinLength: number;
  /** Addresses or CIDR ranges of proxies whose X-Forwarded-* headers are believed. Default none. */
  trustProxy: string[] | undefined;
  /** Offer HTTP/2 (with HTTP/1.1 still accepted, by ALPN). Default false. */
  http2: boolean;
  /** Seconds a stop (SIGTERM) lets requests in flight finish before it cuts their connections, 0 to 3600. Default 10. */
  shutdownGraceSeconds: number;
}

/** Where a setting came from, so an error can say which one to fix. */
type Source = 'flag' | 'env' | 'file';

interface Setting<K extends keyof ServerConfig> {
  env: string;
  flag: string;
  parse(raw: unknown): ServerConfig[K];
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
// RFC 6265 cookie-name token characters.
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,64}$/;

function text(raw: unknown): string {
  if (typeof raw !== 'string' || raw.trim() === '') throw new Error('must be a non-empty string');
  return raw;
}

function integer(min: number, max: number) {
  return (raw: unknown): number => {
    const value = typeof raw === 'string' && /^\s*\d+\s*$/.test(raw) ? Number(raw) : raw;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw new Error(`must be a whole number from ${min} to ${max}`);
    }
    return value;
  };
}

/** A parser that accepts exactly one of `values` (case-sensitive). */
function oneOf<T extends string>(values: readonly T[]) {
  const expected = values.length === 2 ? `${values[0]} or ${values[1]}` : `one of ${values.join(', ')}`;
  return (raw: unknown): T => {
    if (typeof raw !== 'string' || !(values as readonly string[]).includes(raw)) throw new Error(`must be ${expected}`);
    return raw as T;
  };
}

function boolean(raw: unknown): boolean {
  if (raw === true || raw === 'true' || raw === '1') return true;
  if (raw === false || raw === 'false' || raw === '0') return false;
  throw new Error('must be true or false');
}

/** A Redis key prefix: letters, digits and `:._-`, no spaces (keys and channel names are built from it). */
function redisPrefix(raw: unknown): string {
  if (typeof raw !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9:._-]{0,63}$/.test(raw) || raw.endsWith(':'))
    throw new Error('must be 1 to 64 letters, digits, colons, dots, dashes or underscores, not ending with a colon');
  return raw;
}

/** Every setting, its environment variable, its flag and its parser: the one table of configuration. */
const SETTINGS: { [K in keyof ServerConfig]: Setting<K> } = {
  data: { env: 'GATEHOUSE_DATA', flag: '--data', parse: text },
  db: { env: 'GATEHOUSE_DB', flag: '--db', parse: text },
  host: { env: 'GATEHOUSE_HOST', flag: '--host', parse: text },
  port: { env: 'GATEHOUSE_PORT', flag: '--port', parse: integer(0, 65_535) },
  tlsCert: { env: 'GATEHOUSE_TLS_CERT', flag: '--tls-cert', parse: text },
  tlsKey: { env: 'GATEHOUSE_TLS_KEY', flag: '--tls-key', parse: text },
  tlsClientCa: { env: 'GATEHOUSE_TLS_CLIENT_CA', flag: '--tls-client-ca', parse: text },
  tlsClientAuth: {
    env: 'GATEHOUSE_TLS_CLIENT_AUTH',
    flag: '--tls-client-auth',
    parse: oneOf(['optional', 'require'] as const),
  },
  sessionIdleTimeout: {
    env: 'GATEHOUSE_SESSION_IDLE_TIMEOUT',
    flag: '--session-idle-timeout',
    parse: integer(1, 31_536_000),
  },
  sessionAbsoluteTimeout: {
    env: 'GATEHOUSE_SESSION_ABSOLUTE_TIMEOUT',
    flag: '--session-absolute-timeout',
    parse: integer(1, 31_536_000),
  },
  cookieName: {
    env: 'GATEHOUSE_COOKIE_NAME',
    flag: '--cookie-name',
    parse(raw) {
      if (typeof raw !== 'string' || !COOKIE_NAME.test(raw))
        throw new Error('must be a cookie name token of 1 to 64 characters');
      return raw;
    },
  },
  lessonRoutes: { env: 'GATEHOUSE_LESSON_ROUTES', flag: '--lesson-routes', parse: boolean },
  publicUrl: {
    env: 'GATEHOUSE_PUBLIC_URL',
    flag: '--public-url',
    parse(raw) {
      if (typeof raw !== 'string' || !/^https:\/\/[^\s/?#]+$/.test(raw))
        throw new Error('must be an https:// origin without a path, e.g. https://auth.example.com');
      return raw;
    },
  },
  tokenAudience: { env: 'GATEHOUSE_TOKEN_AUDIENCE', flag: '--token-audience', parse: text },
  accessTokenLifetime: {
    env: 'GATEHOUSE_ACCESS_TOKEN_LIFETIME',
    flag: '--access-token-lifetime',
    parse: integer(60, 3600),
  },
  migrate: { env: 'GATEHOUSE_MIGRATE', flag: '--migrate', parse: boolean },
  dbPoolSize: { env: 'GATEHOUSE_DB_POOL_SIZE', flag: '--db-pool-size', parse: integer(1, 100) },
  cacheTtlMs: { env: 'GATEHOUSE_CACHE_TTL_MS', flag: '--cache-ttl-ms', parse: integer(0, 1000) },
  forwardAuthHeaderPrefix: {
    env: 'GATEHOUSE_FORWARD_AUTH_HEADER_PREFIX',
    flag: '--forward-auth-header-prefix',
    parse(raw) {
      if (typeof raw !== 'string' || !/^[A-Za-z][A-Za-z0-9-]{0,31}-$/.test(raw))
        throw new Error('must be letters, digits and dashes, ending with a dash (e.g. X-Auth-)');
      return raw;
    },
  },
  redis: {
    env: 'GATEHOUSE_REDIS',
    flag: '--redis',
    parse(raw) {
      if (typeof raw !== 'string' || !/^rediss?:\/\/\S+$/.test(raw))
        throw new Error('must be a redis:// or rediss:// URL');
      return raw;
    },
  },
  redisPrefix: { env: 'GATEHOUSE_REDIS_PREFIX', flag: '--redis-prefix', parse: redisPrefix },
  throttleAccountFailures: {
    env: 'GATEHOUSE_THROTTLE_ACCOUNT_FAILURES',
    flag: '--throttle-account-failures',
    parse: integer(3, 10),
  },
  throttleBlockSeconds: {
    env: 'GATEHOUSE_THROTTLE_BLOCK_SECONDS',
    flag: '--throttle-block-seconds',
    parse: integer(1, 3600),
  },
  throttleIpFailures: {
    env: 'GATEHOUSE_THROTTLE_IP_FAILURES',
    flag: '--throttle-ip-failures',
    parse: integer(10, 1_000_000),
  },
  http2: { env: 'GATEHOUSE_HTTP2', flag: '--http2', parse: boolean },
  shutdownGraceSeconds: {
    env: 'GATEHOUSE_SHUTDOWN_GRACE_SECONDS',
    flag: '--shutdown-grace-seconds',
    parse: integer(0, 3600),
  },
  trustProxy: {
    env: 'GATEHOUSE_TRUST_PROXY',
    flag: '--trust-proxy',
    parse(raw) {
      const list = Array.isArray(raw)
        ? raw
        : typeof raw === 'string'
          ? raw
              .split(',')
              .map((item) => item.trim())
              .filter(Boolean)
          : null;
      // IPv4 or IPv6 addresses, optionally with a /prefix: never "true" (that would believe any client).
      if (
        !list ||
        list.length === 0 ||
        !list.every((item) => typeof item === 'string' && /^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(item))
      ) {
        throw new Error('must be a comma-separated list of proxy addresses or CIDR ranges');
      }
      return list as string[];
    },
  },
  passwordMinLength: { env: 'GATEHOUSE_PASSWORD_MIN_LENGTH', flag: '--password-min-length', parse: integer(8, 64) },
  ipv6PrefixLength: { env: 'GATEHOUSE_IPV6_PREFIX_LENGTH', flag: '--ipv6-prefix-length', parse: integer(32, 128) },
  rateLimitPerMinute: {
    env: 'GATEHOUSE_RATE_LIMIT_PER_MINUTE',
    flag: '--rate-limit-per-minute',
    parse: integer(10, 1_000_000),
  },
  clientRateLimitPerMinute: {
    env: 'GATEHOUSE_CLIENT_RATE_LIMIT_PER_MINUTE',
    flag: '--client-rate-limit-per-minute',
    parse: integer(10, 1_000_000),
  },
  origins: {
    env: 'GATEHOUSE_ORIGINS',
    flag: '--origins',
    parse(raw) {
      const list = Array.isArray(raw)
        ? raw
        : typeof raw === 'string'
          ? raw
              .split(',')
              .map((item) => item.trim())
              .filter(Boolean)
          : null;
      if (
        !list ||
        list.length === 0 ||
        !list.every((item) => typeof item === 'string' && /^https:\/\/[^\s/?#]+$/.test(item))
      ) {
        throw new Error('must be a comma-separated list of https:// origins');
      }
      return list.map((item: string) => item.toLowerCase());
    },
  },
  refreshTokenReuseGrace: {
    env: 'GATEHOUSE_REFRESH_TOKEN_REUSE_GRACE',
    flag: '--refresh-token-reuse-grace',
    parse: integer(0, 60),
  },
  basicAuth: { env: 'GATEHOUSE_BASIC_AUTH', flag: '--basic-auth', parse: oneOf(BASIC_AUTH_MODES) },
  signingAlgorithm: {
    env: 'GATEHOUSE_SIGNING_ALGORITHM',
    flag: '--signing-algorithm',
    parse: oneOf(['EdDSA', 'ES256'] as const),
  },
  logLevel: { env: 'GATEHOUSE_LOG_LEVEL', flag: '--log-level', parse: oneOf(LOG_LEVELS) },
};

const DEFAULTS: Omit<
  ServerConfig,
  | 'db'
  | 'tlsCert'
  | 'tlsKey'
  | 'tlsClientCa'
  | 'tlsClientAuth'
  | 'publicUrl'
  | 'tokenAudience'
  | 'redis'
  | 'redisPrefix'
  | 'origins'
  | 'trustProxy'
> = {
  data: './data',
  host: 'localhost',
  port: 8443,
  sessionIdleTimeout: 1800,
  sessionAbsoluteTimeout: 43_200,
  cookieName: '__Host-gatehouse',
  lessonRoutes: true,
  logLevel: 'info',
  accessTokenLifetime: 600,
  signingAlgorithm: 'EdDSA',
  refreshTokenReuseGrace: 0,
  migrate: false,
  dbPoolSize: 10,
  cacheTtlMs: 500,
  forwardAuthHeaderPrefix: 'X-Auth-',
  basicAuth: 'clients',
  throttleAccountFailures: 10,
  throttleBlockSeconds: 60,
  throttleIpFailures: 100,
  rateLimitPerMinute: 300,
  clientRateLimitPerMinute: 6000,
  ipv6PrefixLength: 64,
  passwordMinLength: 15,
  http2: false,
  shutdownGraceSeconds: 10,
};

/** Every setting's key, flag and environment variable, for help texts and documentation checks. */
export function listSettings(): { key: keyof ServerConfig; flag: string; env: string }[] {
  return (Object.keys(SETTINGS) as (keyof ServerConfig)[]).map((key) => ({
    key,
    flag: SETTINGS[key].flag,
    env: SETTINGS[key].env,
  }));
}

/** Options of {@link loadConfig}. */
export interface LoadConfigOptions {
  /** Command-line values, keyed like {@link ServerConfig}; `undefined` means not given. */
  flags?: Partial<Record<keyof ServerConfig | 'config', unknown>>;
  /** The environment. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Builds the server configuration: a flag wins over its `GATEHOUSE_*`
 * variable, which wins over the config file (`--config FILE` or
 * `GATEHOUSE_CONFIG`, JSON with the keys of {@link ServerConfig}), which wins
 * over the default.
 *
 * @throws {GatehouseError} `ERR_CONFIG` with a one-line message naming the bad key and where it came from.
 */
export function loadConfig(options: LoadConfigOptions = {}): ServerConfig {
  const flags = options.flags ?? {};
  const env = options.env ?? process.env;
  const file = readConfigFile(flags.config ?? env.GATEHOUSE_CONFIG);
  const values: Partial<Record<keyof ServerConfig, unknown>> = {};
  for (const key of Object.keys(SETTINGS) as (keyof ServerConfig)[]) {
    const setting = SETTINGS[key];
    const found: [Source, unknown] | undefined =
      flags[key] !== undefined
        ? ['flag', flags[key]]
        : env[setting.env] !== undefined && env[setting.env] !== ''
          ? ['env', env[setting.env]]
          : file[key] !== undefined
            ? ['file', file[key]]
            : undefined;
    if (!found) continue;
    try {
      values[key] = setting.parse(found[1]);
    } catch (error) {
      const where = found[0] === 'flag' ? setting.flag : found[0] === 'env' ? setting.env : 'the config file';
      throw configError(key, `${(error as Error).message} (from ${where})`);
    }
  }
  const config = { ...DEFAULTS, ...values } as ServerConfig;
  config.data = resolve(config.data);
  config.db ??= `sqlite:${join(config.data, 'gatehouse.db')}`;
  if ((config.tlsCert === undefined) !== (config.tlsKey === undefined)) {
    throw configError(
      config.tlsCert === undefined ? 'tlsCert' : 'tlsKey',
      'tlsCert and tlsKey go together: give both or neither',
    );
  }
  if (config.tlsClientAuth === 'require' && config.tlsClientCa === undefined) {
    throw configError('tlsClientAuth', 'require needs tlsClientCa: the CA that issues the client certificates');
  }
  if (config.sessionIdleTimeout >= config.sessionAbsoluteTimeout) {
    throw configError(
      'sessionIdleTimeout',
      `must be shorter than sessionAbsoluteTimeout (${config.sessionIdleTimeout} s is not shorter than ${config.sessionAbsoluteTimeout} s): an idle timeout that long never applies`,
    );
  }
  return config;
}

function readConfigFile(path: unknown): Record<string, unknown> {
  if (path === undefined || path === '') return {};
  if (typeof path !== 'string') throw configError('config', 'must be a file path');
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : 'not a readable JSON file';
    throw configError('config', `${reason}: ${path}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw configError('config', `must hold a JSON object: ${path}`);
  }
  for (const key of Object.keys(parsed)) {
    if (!Object.hasOwn(SETTINGS, key)) throw configError(key, `unknown key in the config file ${path}`);
  }
  return parsed as Record<string, unknown>;
}

function configError(key: string, reason: string): GatehouseError {
  return new GatehouseError('ERR_CONFIG', { message: `invalid configuration: ${key}: ${reason}`, details: { key } });
}
