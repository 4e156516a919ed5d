import type { AuthCoreOptions } from '../core/index.js';
import { DEFAULT_THROTTLE_POLICY, type ThrottlePolicy } from '../core/sign-in/index.js';
import type { ServerConfig } from './config.js';

/** What the settings decide of the core; see {@link coreOptionsFromSettings}. */
export interface CoreSettings extends Pick<
  AuthCoreOptions,
  'sessionPolicy' | 'passwordPolicy' | 'ipv6PrefixLength' | 'tokens' | 'passkeys'
> {
  /**
   * The sign-in throttle's limits. The throttle itself is the caller's to make
   * (`createLoginThrottle(throttlePolicy, { limiters })`, with store/limiters.ts's counters): where its counters live
   * is a connection, not a setting.
   */
  throttlePolicy: ThrottlePolicy;
}

/** What the settings alone cannot say; see {@link coreOptionsFromSettings}. */
export interface CoreSettingsContext {
  /**
   * The master key that encrypts signing keys and TOTP secrets. Without it,
   * no `tokens` (nor two-factor): the core then handles sessions and API keys only.
   */
  masterKey?: Uint8Array;
  /**
   * The URL the server listens on, for the issuer, the audience and the
   * passkeys' relying party when no public URL is set. Read each time (the
   * port may be known only after listening). Default `https://<host>:<port>`.
   */
  listeningUrl?: () => string;
}

/**
 * The core's options as the settings ({@link ServerConfig}, from the one
 * table in config.ts) make them: session, throttle and password policies,
 * token lifetimes and algorithm, passkeys. `gatehouse serve` and every CLI
 * command build their core from this one mapping, so that both decide alike
 * (a session the server keeps is one `gatehouse sessions list` lists).
 *
 * @example
 * const config = loadConfig();
 * const { throttlePolicy, ...settings } = coreOptionsFromSettings(config, { masterKey });
 * const core = createAuthCore({ store, ...settings, throttle: createLoginThrottle(throttlePolicy) });
 */
export function coreOptionsFromSettings(config: ServerConfig, context: CoreSettingsContext = {}): CoreSettings {
  const listening = context.listeningUrl ?? (() => `https://${config.host}:${config.port}`);
  const publicUrl = () => config.publicUrl ?? listening();
  return {
    sessionPolicy: {
      idleTimeoutSeconds: config.sessionIdleTimeoutSeconds,
      absoluteTimeoutSeconds: config.sessionAbsoluteTimeoutSeconds,
    },
    throttlePolicy: {
      ...DEFAULT_THROTTLE_POLICY,
      accountFailures: config.throttleAccountFailures,
      blockSeconds: config.throttleBlockSeconds,
      ipFailures: config.throttleIpFailures,
    },
    passwordPolicy: { minLength: config.passwordMinLength },
    ipv6PrefixLength: config.ipv6PrefixLength,
    ...(context.masterKey && {
      tokens: {
        masterKey: context.masterKey,
        issuer: publicUrl,
        audience: () => config.tokenAudience ?? publicUrl(),
        accessTokenLifetimeSeconds: config.accessTokenLifetimeSeconds,
        algorithm: config.signingAlgorithm,
        refreshTokenReuseGraceSeconds: config.refreshTokenReuseGraceSeconds,
      },
    }),
    // WebAuthn binds passkeys to the public URL's host (the RP ID); answers must come from the deployment's origins.
    passkeys: {
      rpId: () => new URL(publicUrl()).hostname,
      origins: () => config.origins ?? [new URL(publicUrl()).origin.toLowerCase()],
      requireForRoles: config.requirePasskeyForRole ?? [],
    },
  };
}
