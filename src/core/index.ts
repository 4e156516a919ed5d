import {
  createAccessTokens,
  DEFAULT_ACCESS_TOKEN_LIFETIME_SECONDS,
  MAX_ACCESS_TOKEN_LIFETIME_SECONDS,
  createApiKeys,
  createRefreshTokens,
} from './tokens/index.js';
import { createAccountService } from './accounts/index.js';
import { createAuthorizationEndpoint, createCodeGrant, createIdTokens } from './oidc/index.js';
import { createConsents } from './consents/index.js';
import { createGrants } from './grants/index.js';
import { createScopeRegistry } from './scopes/index.js';
import { createAuditLog, type AuditEventInput, type AuditLog } from './audit/index.js';
import {
  createBasicAuth,
  createLoginThrottle,
  type LoginThrottle,
  createTwoFactor,
  type TwoFactorOptions,
  createLogin,
  createDeviceCookies,
} from './sign-in/index.js';
import { systemClock, type Clock } from './shared/index.js';
import { createClientService } from './clients/index.js';
import { createKeyRing, type SigningAlgorithm } from './jwt/index.js';
import { createPrincipalResolver } from './principals/index.js';
import { createPasskeys, type PasskeyOptions } from './passkeys/index.js';
import {
  withHashQueue,
  type HashQueueOptions,
  createArgon2Hasher,
  PASSWORD_MIN_LENGTH,
  type PasswordHasher,
  type PasswordPolicy,
} from './passwords/index.js';
import { createSessionService, DEFAULT_SESSION_POLICY, type SessionPolicy } from './sessions/index.js';
import type { Store } from './store/index.js';
import { createUserService } from './users/index.js';

/** Options of {@link createAuthCore}. */
export interface AuthCoreOptions {
  /** Where users and sessions live. Required. */
  store: Store;
  /** Password hashing. Default: Argon2id at OWASP parameters. */
  hasher?: PasswordHasher;
  /** How many password hashes run and wait at once. Default: the cores less one run, 16 per slot wait. */
  hashQueue?: HashQueueOptions;
  /** The source of time. Default: the system clock. */
  clock?: Clock;
  /** Session lifetimes; unset fields take {@link DEFAULT_SESSION_POLICY}. */
  sessionPolicy?: Partial<SessionPolicy>;
  /** JWT access tokens. Without it, only sessions and API keys work. */
  tokens?: TokenOptions;
  /** What new passwords must meet; unset fields take the defaults (15 characters minimum). */
  passwordPolicy?: Partial<PasswordPolicy>;
  /** Called when an audit event cannot be stored (the operation itself goes on). Default: ignore. */
  onAuditError?: (error: unknown) => void;
  /** Told of every audit event as it is recorded (for metrics). Must not throw. */
  onAuditEvent?: (event: AuditEventInput) => void;
  /**
   * Two-factor sign-in (TOTP). Default: on when {@link tokens} is given, with
   * its master key; a user who enrolled can then not sign in without a code.
   */
  twoFactor?: TwoFactorOptions;
  /** Brute-force protection for password sign-in. Default: {@link DEFAULT_THROTTLE_POLICY} counted in memory. */
  throttle?: LoginThrottle;
  /** Per-address limits count IPv6 clients by this prefix length. Default 64. */
  ipv6PrefixLength?: number;
  /** Passkeys (WebAuthn): the relying party and its origins. Without it, no passkeys. */
  passkeys?: PasskeyOptions;
}

/** How Gatehouse signs access tokens. */
export interface TokenOptions {
  /** 32 bytes that encrypt the private signing keys at rest. */
  masterKey: Uint8Array;
  /** `iss` of every token: the deployment's public URL. A function when it is known only after listening. */
  issuer: string | (() => string);
  /** `aud` of every token. Default: the issuer. */
  audience?: string | (() => string);
  /** Access-token lifetime, seconds, 60 to 3600. Default 600. */
  accessTokenLifetimeSeconds?: number;
  /** Algorithm of new signing keys. Default `EdDSA`. */
  algorithm?: SigningAlgorithm;
  /**
   * Seconds during which a just-spent refresh token may be used again by a
   * racing client without ending its family. Default 0 (off): every reuse
   * ends the family (RFC 9700 §4.14).
   */
  refreshTokenReuseGraceSeconds?: number;
}

/**
 * The Gatehouse core: users, passwords, sessions and sign-in, with no HTTP and
 * no SQL. The HTTP plugin, the server and the CLI are all built on this.
 *
 * @example
 * const core = createAuthCore({ store: await openStore({ url: 'sqlite:data/gatehouse.db' }) });
 * await core.users.createUser({ username: 'Alice', password: 'correct horse battery staple' });
 * const { token } = await core.login({ username: 'alice', password: 'correct horse battery staple' });
 */
export function createAuthCore(options: AuthCoreOptions) {
  const store = options.store;
  const clock = options.clock ?? systemClock;
  // Bounded, so that a flood of sign-ins cannot take every core (see hash-queue.ts).
  const hasher = withHashQueue(options.hasher ?? createArgon2Hasher(), options.hashQueue);
  const policy: SessionPolicy = { ...DEFAULT_SESSION_POLICY, ...options.sessionPolicy };
  const audit = createAuditLog({ store, clock, onError: options.onAuditError, onEvent: options.onAuditEvent });
  const sessions = createSessionService({ store, clock, policy, audit });
  const passwordPolicy: PasswordPolicy = { minLength: PASSWORD_MIN_LENGTH, ...options.passwordPolicy };
  const scopes = createScopeRegistry({ store, clock, audit });
  const twoFactorOptions = options.twoFactor ?? (options.tokens && { masterKey: options.tokens.masterKey });
  const twoFactor = twoFactorOptions ? createTwoFactor({ store, clock, options: twoFactorOptions }) : null;
  const passwordLogin = createLogin({
    store,
    hasher,
    clock,
    sessions,
    audit,
    throttle: options.throttle ?? createLoginThrottle(),
    twoFactor,
    ipv6PrefixLength: options.ipv6PrefixLength,
    requirePasskeyForRoles: options.passkeys?.requireForRoles,
    // Known browsers keep their own allowance of wrong passwords, under a key derived from the master key.
    deviceCookies: twoFactorOptions ? createDeviceCookies({ masterKey: twoFactorOptions.masterKey, clock }) : null,
  });
  const { login, completeTwoFactor, warmUp } = passwordLogin;
  const clients = createClientService({ store, clock, scopes, audit });
  const apiKeys = createApiKeys({ store, clock, scopes, audit });
  const tokens = options.tokens ? createTokenServices(options.tokens, { store, clock, audit }) : null;
  const basicAuth = createBasicAuth({ store, clock, clients, login: passwordLogin });
  const consents = createConsents({ store, clock, audit });
  const users = createUserService({
    store,
    hasher,
    clock,
    audit,
    twoFactor,
    passwordPolicy,
    consents,
    onCredentialsChanged: (userId) => basicAuth.forgetUser(userId),
  });
  const passkeys = options.passkeys
    ? createPasskeys({
        store,
        clock,
        audit,
        login: passwordLogin,
        sessions,
        users,
        consents,
        options: options.passkeys,
      })
    : null;
  const refreshTokens = createRefreshTokens({
    store,
    clock,
    reuseGraceSeconds: options.tokens?.refreshTokenReuseGraceSeconds,
  });
  const principals = createPrincipalResolver({
    store,
    sessions,
    accessTokens: tokens?.accessTokens ?? null,
    apiKeys,
    basicAuth,
    scopes,
  });
  const openId = tokens
    ? (() => {
        const idTokens = createIdTokens({
          keys: tokens.keys,
          clock,
          issuer: tokens.issuer,
          lifetimeSeconds: tokens.accessTokens.lifetimeSeconds,
        });
        return {
          idTokens,
          authorization: createAuthorizationEndpoint({ store, clock, scopes, consents, audit, issuer: tokens.issuer }),
          codeGrant: createCodeGrant({
            store,
            clock,
            accessTokens: tokens.accessTokens,
            refreshTokens,
            idTokens,
            sessions,
            users,
            scopes,
            consents,
            audit,
          }),
        };
      })()
    : null;
  return {
    store,
    clock,
    policy,
    /** What new passwords must meet (the pages tell browsers its shortest length). */
    passwordPolicy,
    users,
    /** What a signed-in user does to their own account, after their password where it matters. */
    account: createAccountService({ login: passwordLogin, users, sessions, twoFactor, audit, consents }),
    sessions,
    login,
    completeTwoFactor,
    /** TOTP enrolment and recovery codes, when a master key is known (see {@link AuthCoreOptions.twoFactor}). */
    twoFactor,
    /** Passkeys (WebAuthn), when {@link AuthCoreOptions.passkeys} was given. */
    passkeys,
    warmUp,
    audit,
    scopes,
    apiKeys,
    clients,
    refreshTokens,
    /** Signing keys and access tokens, when {@link AuthCoreOptions.tokens} was given. */
    tokens,
    /** What users agreed apps may have (OpenID Connect consent). */
    consents,
    /** Token grants (session tokens, client credentials, authorization code, refresh, revocation, introspection), with {@link tokens}. */
    grants: tokens
      ? createGrants({
          store,
          accessTokens: tokens.accessTokens,
          refreshTokens,
          sessions,
          users,
          scopes,
          principals,
          clients,
          consents,
          codeGrant: openId!.codeGrant,
          audit,
          issuer: tokens.issuer,
          audience: tokens.audience,
        })
      : null,
    /** OpenID Connect: the authorization endpoint, ID tokens and the code grant, with {@link tokens}. */
    openId,
    principals,
  };
}

function createTokenServices(
  options: TokenOptions,
  { store, clock, audit }: { store: Store; clock: Clock; audit: AuditLog },
) {
  const lifetimeSeconds = options.accessTokenLifetimeSeconds ?? DEFAULT_ACCESS_TOKEN_LIFETIME_SECONDS;
  const keys = createKeyRing({
    store,
    clock,
    audit,
    masterKey: options.masterKey,
    algorithm: options.algorithm,
    // Whatever this process's lifetime, another instance may issue up to the maximum: publish retired keys that long.
    maxTokenLifetimeSeconds: MAX_ACCESS_TOKEN_LIFETIME_SECONDS,
  });
  const issuer = typeof options.issuer === 'function' ? options.issuer : () => options.issuer as string;
  const audience =
    options.audience === undefined
      ? issuer
      : typeof options.audience === 'function'
        ? options.audience
        : () => options.audience as string;
  return {
    keys,
    issuer,
    audience,
    accessTokens: createAccessTokens({ keys, clock, issuer, audience, lifetimeSeconds }),
  };
}

/** The Gatehouse core; see {@link createAuthCore}. */
export type AuthCore = ReturnType<typeof createAuthCore>;

export { createManualClock, systemClock, type Clock } from './shared/index.js';
export * from './errors/index.js';
export * from './passwords/index.js';
export {
  addressKey,
  BASIC_AUTH_MODES,
  BASIC_CACHE_SECONDS,
  type BasicAuthMode,
  type CheckFailure,
  checkFailureError,
  createLoginThrottle,
  createTwoFactor,
  DEFAULT_CLIENT_RATE_LIMIT_PER_MINUTE,
  DEFAULT_IPV6_PREFIX_LENGTH,
  DEFAULT_RATE_LIMIT_PER_MINUTE,
  DEFAULT_THROTTLE_POLICY,
  type Login,
  type LoginResult,
  type LoginThrottle,
  type ReauthenticationResult,
  RECOVERY_CODE_COUNT,
  type SecondFactor,
  type SecondFactorMethod,
  type SecondFactorResult,
  type ThrottleKeys,
  type ThrottlePolicy,
  type ThrottleTicket,
  TWO_FACTOR_CHALLENGE_SECONDS,
  type TwoFactor,
  type TwoFactorOptions,
  type TwoFactorStatus,
} from './sign-in/index.js';
export * from './passkeys/index.js';
export * from './scopes/index.js';
export * from './sessions/index.js';
export type * from './store/index.js';
export * from './users/index.js';
export {
  type AccessTokenOptions,
  type AccessTokens,
  type AccessTokenSubject,
  API_KEY_PREFIX,
  type ApiKey,
  type ApiKeys,
  CLOCK_SKEW_SECONDS,
  createAccessTokens,
  createApiKeys,
  createRefreshTokens,
  DEFAULT_ACCESS_TOKEN_LIFETIME_SECONDS,
  type GrantRefusal,
  type GrantResult,
  type IssuedTokens,
  MAX_ACCESS_TOKEN_LIFETIME_SECONDS,
  REFRESH_TOKEN_PREFIX,
  type RefreshGrant,
  type RefreshTokens,
  USER_CLIENT_ID,
} from './tokens/index.js';
export * from './audit/index.js';
export * from './clients/index.js';
export {
  ACCESS_TOKEN_TYPE,
  type AccessTokenClaims,
  type ActiveKey,
  boundThumbprint,
  COMPACT_JWS_PATTERN,
  createKeyRing,
  hasBoundedLifetime,
  hasCanonicalSignature,
  KEY_ALGORITHMS,
  type KeyAlgorithm,
  type KeyRing,
  type KeyRingOptions,
  type LoadedKeys,
  MAX_TOKEN_LENGTH,
  type PublicSigningKey,
  readAccessTokenClaims,
  readAccessTokenHeader,
  SIGNING_ALGORITHMS,
  type SigningAlgorithm,
  type SigningKeyInfo,
} from './jwt/index.js';
export * from './principals/index.js';
export * from './authorization/index.js';
export * from './grants/index.js';
export * from './accounts/index.js';
export * from './consents/index.js';
export * from './oidc/index.js';
