import { compactVerify, decodeProtectedHeader } from 'jose';
import type { Clock } from '../shared/index.js';
import {
  COMPACT_JWS_PATTERN,
  hasCanonicalSignature,
  MAX_TOKEN_LENGTH,
  signJwt,
  KEY_ALGORITHMS,
  type KeyAlgorithm,
  type KeyRing,
} from '../jwt/index.js';
import type { User } from '../users/index.js';

/** Claims OpenID Connect scopes release (Core §5.4), and Gatehouse's `roles`. */
export const CLAIMS_SUPPORTED = [
  'sub',
  'iss',
  'aud',
  'exp',
  'iat',
  'auth_time',
  'nonce',
  'acr',
  'amr',
  'azp',
  'sid',
  'preferred_username',
  'roles',
] as const;

/** `acr` values: `1` one factor, `2` more than one (RFC 8176 `mfa` among the methods). */
export const ACR_VALUES = ['1', '2'] as const;

/**
 * What a user's claims are under `scopes`: `profile` releases
 * `preferred_username` and `roles` (a documented Gatehouse claim: role
 * names, as the admin sets them). `email` releases nothing until users have
 * addresses. `sub` is always there and is the user's id, stable for life.
 * One function: the ID token and `/oauth/userinfo` both use it.
 */
export function userClaims(user: User, scopes: readonly string[]): Record<string, unknown> {
  return {
    sub: user.id,
    ...(scopes.includes('profile') && { preferred_username: user.username, roles: [...user.roles] }),
  };
}

/** The `acr` of a sign-in made with `amr`. */
export function acrOf(amr: readonly string[]): (typeof ACR_VALUES)[number] {
  return amr.includes('mfa') ? '2' : '1';
}

/** What an ID token is issued for. */
export interface IdTokenSubject {
  user: User;
  clientId: string;
  alg: KeyAlgorithm;
  scopes: readonly string[];
  /** When the user signed in, ms. */
  authTime: number;
  amr: readonly string[];
  nonce: string | null;
  /** The session at Gatehouse (OIDC Front-/Back-Channel Logout `sid`). */
  sid: string;
}

/** What Gatehouse accepts as an `id_token_hint`: a token it issued, expired or not. */
export interface IdTokenHint {
  sub: string;
  clientId: string;
  sid: string | null;
}

/** The ID-token operations; see {@link createIdTokens}. */
export type IdTokens = ReturnType<typeof createIdTokens>;

/**
 * ID tokens (OpenID Connect Core §2), signed by the key ring with the
 * client's algorithm (RS256 unless it registered another), `typ: JWT`.
 * They say who signed in, when and how; they are not access tokens (their
 * `typ` and, for RS256, their algorithm, keep them out of every guard).
 */
export function createIdTokens(deps: { keys: KeyRing; clock: Clock; issuer: () => string; lifetimeSeconds: number }) {
  const { keys, clock, issuer, lifetimeSeconds } = deps;
  return {
    async issue(subject: IdTokenSubject): Promise<string> {
      const key = await keys.activeKey(subject.alg, { create: true });
      const iat = Math.floor(clock.now() / 1000);
      return signJwt(
        {
          iss: issuer(),
          ...userClaims(subject.user, subject.scopes),
          aud: subject.clientId,
          azp: subject.clientId,
          iat,
          exp: iat + lifetimeSeconds,
          auth_time: Math.floor(subject.authTime / 1000),
          ...(subject.nonce !== null && { nonce: subject.nonce }),
          amr: [...subject.amr],
          acr: acrOf(subject.amr),
          sid: subject.sid,
        },
        key,
        'JWT',
      );
    },

    /**
     * An `id_token_hint` (RP-Initiated Logout §2): one of ours by signature
     * and issuer, for one audience; expired ones are accepted, as the
     * specification asks (a user logs out of an app long after signing in).
     * `null` for anything else.
     */
    async readHint(token: string): Promise<IdTokenHint | null> {
      if (token.length > MAX_TOKEN_LENGTH || !COMPACT_JWS_PATTERN.test(token)) return null;
      try {
        const header = decodeProtectedHeader(token);
        if (header.typ !== 'JWT' || typeof header.kid !== 'string' || header.crit !== undefined) return null;
        if (typeof header.alg !== 'string' || !(KEY_ALGORITHMS as readonly string[]).includes(header.alg)) return null;
        if (!hasCanonicalSignature(token, header.alg)) return null;
        const key = await keys.verificationKey(header.kid);
        if (!key || key.alg !== header.alg) return null;
        const { payload } = await compactVerify(token, key.key, { algorithms: [key.alg] });
        const claims = JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>;
        if (claims.iss !== issuer() || typeof claims.sub !== 'string' || typeof claims.aud !== 'string') return null;
        if (typeof claims.auth_time !== 'number') return null;
        return { sub: claims.sub, clientId: claims.aud, sid: typeof claims.sid === 'string' ? claims.sid : null };
      } catch {
        return null;
      }
    },
  };
}
