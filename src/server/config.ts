import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  BASIC_AUTH_MODES,
  DEFAULT_BASIC_AUTH_MODE,
  type BasicAuthMode,
  DEFAULT_IPV6_PREFIX_LENGTH,
  DEFAULT_CLIENT_RATE_LIMIT_PER_MINUTE,
  DEFAULT_KEY_PREFIX,
  DEFAULT_RATE_LIMIT_PER_MINUTE,
  DEFAULT_THROTTLE_POLICY,
} from '../core/sign-in/index.js';
import { DEFAULT_ACCESS_TOKEN_LIFETIME_SECONDS, MAX_ACCESS_TOKEN_LIFETIME_SECONDS } from '../core/tokens/index.js';
import { GatehouseError } from '../core/errors/index.js';
import { PASSWORD_MIN_LENGTH } from '../core/passwords/index.js';
import { parseRoles } from '../core/scopes/index.js';
import { DEFAULT_SESSION_POLICY, SESSION_COOKIE_NAME } from '../core/sessions/index.js';
import { DEFAULT_FORWARD_AUTH_HEADER_PREFIX } from '../http/route-context.js';
import { DEFAULT_CACHE_TTL_MS } from '../store/read-cache.js';
import { boolean, integer, list, oneOf, pattern, text } from './setting-parsers.js';

/** The server's settings, after defaults and validation. Each one's default, flag and variable: {@link SETTINGS}. */
export interface ServerConfig {
  /** Folder for the SQLite database and generated files. */
  data: string;
  /** Database URL. */
  db: string;
  /** Address to listen on. */
  host: string;
  /** TCP port; 0 picks a free one. */
  port: number;
  /** PEM certificate chain file. */
  tlsCert: string | undefined;
  /** PEM private key file; required with `tlsCert`. */
  tlsKey: string | undefined;
  /** PEM file of the CAs that issue client certificates (RFC 8705 `tls_client_auth`). Setting it makes the server ask for certificates. */
  tlsClientCa: string | undefined;
  /** Client certificates: `optional` (asked for, not required; self-signed ones allowed for pinned clients) or `require` (CA-issued only). */
  tlsClientAuth: 'optional' | 'require' | undefined;
  /** Seconds of inactivity that end a session. */
  sessionIdleTimeoutSeconds: number;
  /** Seconds after sign-in that end a session. */
  sessionAbsoluteTimeoutSeconds: number;
  /** Session cookie name. */
  cookieName: string;
  /** Serve the seed lesson's `GET /get-info`. */
  lessonRoutes: boolean;
  /** pino level. */
  logLevel: string;
  /** The URL clients reach this deployment at; the `iss` of tokens. */
  publicUrl: string | undefined;
  /** The `aud` of access tokens. */
  tokenAudience: string | undefined;
  /** Access-token lifetime in seconds, 60 to 3600. */
  accessTokenLifetimeSeconds: number;
  /** Algorithm of new signing keys: `EdDSA` (Ed25519) or `ES256`. */
  signingAlgorithm: 'EdDSA' | 'ES256';
  /** Seconds a just-spent refresh token may be reused by a racing client, 0 to 60. */
  refreshTokenReuseGraceSeconds: number;
  /** Apply pending migrations at start (PostgreSQL; SQLite always does). */
  migrate: boolean;
  /** PostgreSQL connections per instance, 1 to 100. */
  dbPoolSize: number;
  /** Prefix of the identity headers `/auth/verify` answers with. */
  forwardAuthHeaderPrefix: string;
  /** Who may send `Authorization: Basic`: `clients`, `users`, `both` or `off`. */
  basicAuth: BasicAuthMode;
  /** Milliseconds a session, user, API key or client may be served from this instance's memory; 0 turns the cache off. */
  cacheTtlMs: number;
  /** Redis URL (`redis://HOST:PORT/N`) for shared state between instances. */
  redis: string | undefined;
  /** Prefix of this deployment's Redis keys and channels (`gatehouse:<deployment id>` unless set). */
  redisPrefix: string | undefined;
  /** Origins whose pages may sign in and make cookie-authenticated changes. */
  origins: string[] | undefined;
  /** Consecutive failed sign-ins per account (and account + IP) that start a block, 3 to 10. */
  throttleAccountFailures: number;
  /** First block, seconds (doubling with each further block). */
  throttleBlockSeconds: number;
  /** Failed sign-ins per IP address in 15 minutes before it is blocked for 15 minutes. */
  throttleIpFailures: number;
  /** Unauthenticated requests per minute per IP address to the sign-in and token endpoints. */
  rateLimitPerMinute: number;
  /** Requests per minute per authenticated client to the OAuth endpoints (instead of its address's). */
  clientRateLimitPerMinute: number;
  /** Per-address limits count IPv6 clients by this prefix length, 32 to 128. */
  ipv6PrefixLength: number;
  /** Shortest new password, 8 to 64 characters. */
  passwordMinLength: number;
  /** Addresses or CIDR ranges of proxies whose X-Forwarded-* headers are believed. */
  trustProxy: string[] | undefined;
  /** Offer HTTP/2 (with HTTP/1.1 still accepted, by ALPN). */
  http2: boolean;
  /** Roles whose holders, once they have a passkey, must sign in with it (a TOTP code no longer does). Default none. */
  requirePasskeyForRole: string[] | undefined;
  /** Seconds a stop (SIGTERM) lets requests in flight finish before it cuts their connections, 0 to 3600. */
  shutdownGraceSeconds: number;
}

/** Where a setting came from, so an error can say which one to fix. */
type Source = 'flag' | 'env' | 'file';

/**
 * One setting: its variable, its flag, how its value is read, its default
 * and its help. `gatehouse serve`'s options are made from these, and a test
 * holds docs/configuration.md's table to them.
 */
interface Setting<K extends keyof ServerConfig> {
  env: string;
  flag: string;
  /** The flag's argument as help and docs write it (`SECONDS`); none for a switch such as `--migrate`. */
  arg?: string;
  parse(raw: unknown): ServerConfig[K];
  /** The value when none is given; none when the default is worked out from other settings (see {@link defaultText}). */
  default?: ServerConfig[K];
  /** The default as help and docs write it, where it is not simply {@link default}. */
  defaultText?: string;
  help: string;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
// RFC 6265 cookie-name token characters.
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,64}$/;

const HTTPS_ORIGIN = /^https:\/\/[^\s/?#]+$/;

/** Every setting: the one table of configuration (this file is long because the table is; each entry is all there is to a setting). */
const SETTINGS: { [K in keyof ServerConfig]: Setting<K> } = {
  data: {
    env: 'GATEHOUSE_DATA',
    flag: '--data',
    arg: 'DIR',
    parse: text,
    default: './data',
    help: 'data folder: SQLite database, development certificate',
  },
  db: {
    env: 'GATEHOUSE_DB',
    flag: '--db',
    arg: 'URL',
    parse: text,
    defaultText: 'sqlite:<data>/gatehouse.db',
    help: 'database URL, sqlite:PATH or postgres://USER@HOST:PORT/DB',
  },
  migrate: {
    env: 'GATEHOUSE_MIGRATE',
    flag: '--migrate',
    parse: boolean,
    default: false,
    help: 'apply pending database migrations at start (SQLite always does)',
  },
  dbPoolSize: {
    env: 'GATEHOUSE_DB_POOL_SIZE',
    flag: '--db-pool-size',
    arg: 'N',
    parse: integer(1, 100),
    default: 10,
    help: 'PostgreSQL connections, 1 to 100',
  },
  basicAuth: {
    env: 'GATEHOUSE_BASIC_AUTH',
    flag: '--basic-auth',
    arg: 'WHO',
    parse: oneOf(BASIC_AUTH_MODES),
    default: DEFAULT_BASIC_AUTH_MODE,
    help: 'who may send Authorization: Basic: clients, users, both or off',
  },
  forwardAuthHeaderPrefix: {
    env: 'GATEHOUSE_FORWARD_AUTH_HEADER_PREFIX',
    flag: '--forward-auth-header-prefix',
    arg: 'PREFIX',
    parse: pattern(/^[A-Za-z][A-Za-z0-9-]{0,31}-$/, 'letters, digits and dashes, ending with a dash (e.g. X-Auth-)'),
    default: DEFAULT_FORWARD_AUTH_HEADER_PREFIX,
    help: 'prefix of the identity headers of /auth/verify',
  },
  cacheTtlMs: {
    env: 'GATEHOUSE_CACHE_TTL_MS',
    flag: '--cache-ttl-ms',
    arg: 'MS',
    parse: integer(0, 1000),
    default: DEFAULT_CACHE_TTL_MS,
    help: 'how late a change made elsewhere may be seen here, 0 to 1000 ms; 0: no cache',
  },
  redis: {
    env: 'GATEHOUSE_REDIS',
    flag: '--redis',
    arg: 'URL',
    parse: pattern(/^rediss?:\/\/\S+$/, 'a redis:// or rediss:// URL'),
    help: 'Redis for instances that act as one: redis://HOST:PORT/N',
  },
  redisPrefix: {
    env: 'GATEHOUSE_REDIS_PREFIX',
    flag: '--redis-prefix',
    arg: 'PREFIX',
    // Keys and channel names are built from it.
    parse: pattern(
      /^[A-Za-z0-9][A-Za-z0-9:._-]{0,63}(?<!:)$/,
      '1 to 64 letters, digits, colons, dots, dashes or underscores, not ending with a colon',
    ),
    defaultText: `${DEFAULT_KEY_PREFIX}:<deployment id>`,
    help: "namespace of this deployment's Redis keys and channels",
  },
  host: {
    env: 'GATEHOUSE_HOST',
    flag: '--host',
    arg: 'HOST',
    parse: text,
    default: 'localhost',
    help: 'address to listen on',
  },
  port: {
    env: 'GATEHOUSE_PORT',
    flag: '--port',
    arg: 'PORT',
    parse: integer(0, 65_535),
    default: 8443,
    help: 'port, 0 for any free one',
  },
  tlsCert: {
    env: 'GATEHOUSE_TLS_CERT',
    flag: '--tls-cert',
    arg: 'FILE',
    parse: text,
    defaultText: 'generated',
    help: 'PEM certificate chain; with --tls-key',
  },
  tlsKey: {
    env: 'GATEHOUSE_TLS_KEY',
    flag: '--tls-key',
    arg: 'FILE',
    parse: text,
    defaultText: 'generated',
    help: 'PEM private key',
  },
  tlsClientCa: {
    env: 'GATEHOUSE_TLS_CLIENT_CA',
    flag: '--tls-client-ca',
    arg: 'FILE',
    parse: text,
    help: 'PEM of the CAs that issue client certificates; asks clients for one',
  },
  tlsClientAuth: {
    env: 'GATEHOUSE_TLS_CLIENT_AUTH',
    flag: '--tls-client-auth',
    arg: 'MODE',
    parse: oneOf(['optional', 'require'] as const),
    defaultText: 'optional with --tls-client-ca, else off',
    help: 'client certificates: optional or require',
  },
  sessionIdleTimeoutSeconds: {
    env: 'GATEHOUSE_SESSION_IDLE_TIMEOUT',
    flag: '--session-idle-timeout',
    arg: 'SECONDS',
    parse: integer(1, 31_536_000),
    default: DEFAULT_SESSION_POLICY.idleTimeoutSeconds,
    help: 'end sessions idle this long',
  },
  sessionAbsoluteTimeoutSeconds: {
    env: 'GATEHOUSE_SESSION_ABSOLUTE_TIMEOUT',
    flag: '--session-absolute-timeout',
    arg: 'SECONDS',
    parse: integer(1, 31_536_000),
    default: DEFAULT_SESSION_POLICY.absoluteTimeoutSeconds,
    help: 'end sessions this long after sign-in',
  },
  cookieName: {
    env: 'GATEHOUSE_COOKIE_NAME',
    flag: '--cookie-name',
    arg: 'NAME',
    parse: pattern(COOKIE_NAME, 'a cookie name token of 1 to 64 characters'),
    default: SESSION_COOKIE_NAME,
    help: 'session cookie name',
  },
  lessonRoutes: {
    env: 'GATEHOUSE_LESSON_ROUTES',
    flag: '--lesson-routes',
    arg: 'BOOL',
    parse: boolean,
    default: true,
    help: "serve the seed lesson's GET /get-info",
  },
  logLevel: {
    env: 'GATEHOUSE_LOG_LEVEL',
    flag: '--log-level',
    arg: 'LEVEL',
    parse: oneOf(LOG_LEVELS),
    default: 'info',
    help: LOG_LEVELS.join('|'),
  },
  publicUrl: {
    env: 'GATEHOUSE_PUBLIC_URL',
    flag: '--public-url',
    arg: 'URL',
    parse: pattern(HTTPS_ORIGIN, 'an https:// origin without a path, e.g. https://auth.example.com'),
    defaultText: 'https://<host>:<port>',
    help: 'https origin clients use; the iss of tokens',
  },
  tokenAudience: {
    env: 'GATEHOUSE_TOKEN_AUDIENCE',
    flag: '--token-audience',
    arg: 'AUD',
    parse: text,
    defaultText: 'the public URL',
    help: 'aud of access tokens',
  },
  accessTokenLifetimeSeconds: {
    env: 'GATEHOUSE_ACCESS_TOKEN_LIFETIME',
    flag: '--access-token-lifetime',
    arg: 'SECONDS',
    parse: integer(60, MAX_ACCESS_TOKEN_LIFETIME_SECONDS),
    default: DEFAULT_ACCESS_TOKEN_LIFETIME_SECONDS,
    help: `access-token lifetime, 60 to ${MAX_ACCESS_TOKEN_LIFETIME_SECONDS}`,
  },
  signingAlgorithm: {
    env: 'GATEHOUSE_SIGNING_ALGORITHM',
    flag: '--signing-algorithm',
    arg: 'ALG',
    parse: oneOf(['EdDSA', 'ES256'] as const),
    default: 'EdDSA',
    help: 'EdDSA or ES256 for new signing keys',
  },
  origins: {
    env: 'GATEHOUSE_ORIGINS',
    flag: '--origins',
    arg: 'LIST',
    parse: list(HTTPS_ORIGIN, 'https:// origins', (origin) => origin.toLowerCase()),
    defaultText: "the public URL, else each request's own origin",
    help: 'comma-separated https origins whose pages may sign in',
  },
  throttleAccountFailures: {
    env: 'GATEHOUSE_THROTTLE_ACCOUNT_FAILURES',
    flag: '--throttle-account-failures',
    arg: 'N',
    parse: integer(3, 10),
    default: DEFAULT_THROTTLE_POLICY.accountFailures,
    help: 'consecutive failed sign-ins per account that start a block, 3 to 10',
  },
  throttleBlockSeconds: {
    env: 'GATEHOUSE_THROTTLE_BLOCK_SECONDS',
    flag: '--throttle-block-seconds',
    arg: 'SECONDS',
    parse: integer(1, 3600),
    default: DEFAULT_THROTTLE_POLICY.blockSeconds,
    help: 'first block; each further one doubles',
  },
  throttleIpFailures: {
    env: 'GATEHOUSE_THROTTLE_IP_FAILURES',
    flag: '--throttle-ip-failures',
    arg: 'N',
    parse: integer(10, 1_000_000),
    default: DEFAULT_THROTTLE_POLICY.ipFailures,
    help: 'failed sign-ins per IP in 15 min before a 15 min block',
  },
  http2: {
    env: 'GATEHOUSE_HTTP2',
    flag: '--http2',
    parse: boolean,
    default: false,
    help: 'offer HTTP/2; HTTP/1.1 is still accepted',
  },
  // Addresses or CIDR ranges only: never "true" (that would believe any client).
  trustProxy: {
    env: 'GATEHOUSE_TRUST_PROXY',
    flag: '--trust-proxy',
    arg: 'LIST',
    parse: list(/^[0-9a-fA-F:.]+(\/\d{1,3})?$/, 'proxy addresses or CIDR ranges'),
    help: 'proxy addresses/CIDRs whose X-Forwarded-* headers are believed',
  },
  passwordMinLength: {
    env: 'GATEHOUSE_PASSWORD_MIN_LENGTH',
    flag: '--password-min-length',
    arg: 'N',
    parse: integer(8, 64),
    default: PASSWORD_MIN_LENGTH,
    help: 'shortest new password, 8 to 64',
  },
  rateLimitPerMinute: {
    env: 'GATEHOUSE_RATE_LIMIT_PER_MINUTE',
    flag: '--rate-limit-per-minute',
    arg: 'N',
    parse: integer(10, 1_000_000),
    default: DEFAULT_RATE_LIMIT_PER_MINUTE,
    help: 'requests per minute per IP to /login, /token, /oauth/*',
  },
  clientRateLimitPerMinute: {
    env: 'GATEHOUSE_CLIENT_RATE_LIMIT_PER_MINUTE',
    flag: '--client-rate-limit-per-minute',
    arg: 'N',
    parse: integer(10, 1_000_000),
    default: DEFAULT_CLIENT_RATE_LIMIT_PER_MINUTE,
    help: 'requests per minute per authenticated client to /oauth/* (instead of its address limit)',
  },
  ipv6PrefixLength: {
    env: 'GATEHOUSE_IPV6_PREFIX_LENGTH',
    flag: '--ipv6-prefix-length',
    arg: 'BITS',
    parse: integer(32, 128),
    default: DEFAULT_IPV6_PREFIX_LENGTH,
    help: 'per-address limits count IPv6 clients by this prefix, 32 to 128',
  },
  shutdownGraceSeconds: {
    env: 'GATEHOUSE_SHUTDOWN_GRACE_SECONDS',
    flag: '--shutdown-grace-seconds',
    arg: 'SECONDS',
    parse: integer(0, 3600),
    default: 10,
    help: 'on SIGTERM, how long requests in flight may finish before their connections are cut',
  },
  refreshTokenReuseGraceSeconds: {
    env: 'GATEHOUSE_REFRESH_TOKEN_REUSE_GRACE',
    flag: '--refresh-token-reuse-grace',
    arg: 'SECONDS',
    parse: integer(0, 60),
    default: 0,
    defaultText: '0 (off)',
    help: 'reuse window for racing refreshes, 0 to 60',
  },
  requirePasskeyForRole: {
    env: 'GATEHOUSE_REQUIRE_PASSKEY_FOR_ROLE',
    flag: '--require-passkey-for-role',
    arg: 'ROLES',
    parse(raw) {
      const roles = list(/^\S+$/, 'role names')(raw);
      try {
        return parseRoles(roles);
      } catch {
        throw new Error('must be a comma-separated list of role names (lower-case letters, digits and _ : . -)');
      }
    },
    help: 'comma-separated roles whose holders must sign in with their passkey once they have one',
  },
};

/** Keys the config file took before their unit was in their name. */
const RENAMED: Record<string, keyof ServerConfig> = {
  sessionIdleTimeout: 'sessionIdleTimeoutSeconds',
  sessionAbsoluteTimeout: 'sessionAbsoluteTimeoutSeconds',
  accessTokenLifetime: 'accessTokenLifetimeSeconds',
  refreshTokenReuseGrace: 'refreshTokenReuseGraceSeconds',
};

/** A setting as help texts and docs show it. */
export interface SettingDescription {
  key: keyof ServerConfig;
  flag: string;
  env: string;
  arg: string | undefined;
  /** The default as written in help and docs, or `undefined` when there is none. */
  default: string | undefined;
  help: string;
}

/** Every setting, in the table's order: for `gatehouse serve`'s options and the check of docs/configuration.md. */
export function listSettings(): SettingDescription[] {
  return (Object.keys(SETTINGS) as (keyof ServerConfig)[]).map((key) => {
    const setting: Setting<keyof ServerConfig> = SETTINGS[key];
    const shown = setting.defaultText ?? (setting.default === undefined ? undefined : String(setting.default));
    return { key, flag: setting.flag, env: setting.env, arg: setting.arg, default: shown, help: setting.help };
  });
}

function defaults(): Partial<ServerConfig> {
  const values: Partial<Record<keyof ServerConfig, unknown>> = {};
  for (const key of Object.keys(SETTINGS) as (keyof ServerConfig)[]) {
    if (SETTINGS[key].default !== undefined) values[key] = SETTINGS[key].default;
  }
  return values as Partial<ServerConfig>;
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
  const config = { ...defaults(), ...values } as ServerConfig;
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
  if (config.sessionIdleTimeoutSeconds >= config.sessionAbsoluteTimeoutSeconds) {
    throw configError(
      'sessionIdleTimeoutSeconds',
      `must be shorter than sessionAbsoluteTimeoutSeconds (${config.sessionIdleTimeoutSeconds} s is not shorter than ${config.sessionAbsoluteTimeoutSeconds} s): an idle timeout that long never applies`,
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
    if (Object.hasOwn(RENAMED, key)) throw configError(key, `is now ${RENAMED[key]} (in the config file ${path})`);
    if (!Object.hasOwn(SETTINGS, key)) throw configError(key, `unknown key in the config file ${path}`);
  }
  return parsed as Record<string, unknown>;
}

function configError(key: string, reason: string): GatehouseError {
  return new GatehouseError('ERR_CONFIG', { message: `invalid configuration: ${key}: ${reason}`, details: { key } });
}
