import { jwtVerify } from 'jose';
import { BoundedCache, type Clock, createId } from '../shared/index.js';
import {
  hasCanonicalSignature,
  readAccessTokenClaims,
  readAccessTokenHeader,
  ACCESS_TOKEN_TYPE,
  type AccessTokenClaims,
  signJwt,
  SIGNING_ALGORITHMS,
  type KeyRing,
} from '../jwt/index.js';

/** Lifetime of access tokens unless configured, in seconds (10 minutes). */
export const DEFAULT_ACCESS_TOKEN_LIFETIME_SECONDS = 600;
/** Longest access-token lifetime Gatehouse allows, in seconds (1 hour). */
export const MAX_ACCESS_TOKEN_LIFETIME_SECONDS = 3600;

/** Tolerated clock difference between issuer and verifier, in seconds. */
export const CLOCK_SKEW_SECONDS = 30;

/** What an access token is issued for. */
export interface AccessTokenSubject {
  sub: string;
  clientId: string;
  /** The scopes it carries (already checked against what the holder may hold); none is none. */
  scopes: readonly string[];
  roles?: string[];
  sid?: string;
  /** An app token's grant (its consent's grant id, claim `gid`): ending the grant refuses the token. */
  grantId?: string;
  /** Bind the token to this client certificate (RFC 8705 `cnf.x5t#S256`). */
  certificateThumbprint?: string;
}

/** Options of {@link createAccessTokens}. */
export interface AccessTokenOptions {
  keys: KeyRing;
  clock: Clock;
  /** `iss` of every token: the deployment's public URL (read when needed: it may be known only after listening). */
  issuer: () => string;
  /** `aud` of every token: the resource servers' identifier. */
  audience: () => string;
  /** Lifetime of new tokens, seconds; 60 to 3600. Default 600. */
  lifetimeSeconds: number;
}

/** Most verified tokens kept in memory (about 10 MB at most). */
const VERIFIED_CACHE_ENTRIES = 10_000;

export type { AccessTokenClaims };

/** The access-token operations; see {@link createAccessTokens}. */
export type AccessTokens = ReturnType<typeof createAccessTokens>;

/**
 * JWT access tokens after RFC 9068 (`typ: at+jwt`), signed by the key ring's
 * active key, verified only against the deployment's own keys by `kid`.
 */
export function createAccessTokens(options: AccessTokenOptions) {
  const { keys, clock, issuer, audience, lifetimeSeconds } = options;
  // Verified tokens, by their exact string, until they expire: a signature
  // check costs more than the rest of a request, and a client sends the same
  // token many times. A key is the whole token as received, never a decoded or
  // normalised form, so a token altered in any byte is checked afresh.
  // Revocation (jti, session, grant) is checked by the caller on every request.
  const verified = new BoundedCache<string, AccessTokenClaims>(VERIFIED_CACHE_ENTRIES);

  return {
    lifetimeSeconds,

    /** Signs a new access token; returns it with its lifetime and id. */
    async issueAccessToken(subject: AccessTokenSubject): Promise<{ token: string; expiresIn: number; jti: string }> {
      const key = await keys.activeKey();
      const iat = Math.floor(clock.now() / 1000);
      const jti = createId();
      const claims: Record<string, unknown> = { client_id: subject.clientId };
      if (subject.scopes.length > 0) claims.scope = subject.scopes.join(' ');
      if (subject.roles) claims.roles = subject.roles;
      if (subject.sid) claims.sid = subject.sid;
      if (subject.grantId) claims.gid = subject.grantId;
      if (subject.certificateThumbprint) claims.cnf = { 'x5t#S256': subject.certificateThumbprint };
      const token = await signJwt(
        {
          ...claims,
          iss: issuer(),
          sub: subject.sub,
          aud: audience(),
          iat,
          exp: iat + lifetimeSeconds,
          jti,
        },
        key,
        ACCESS_TOKEN_TYPE,
      );
      return { token, expiresIn: lifetimeSeconds, jti };
    },

    /**
     * The claims of a valid access token of this deployment, or `null`:
     * wrong shape, `typ`, `alg` or `kid`; bad signature; another issuer or
     * audience; expired or not yet valid; a lifetime over the limit.
     * Revocation (`jti`, `sid`, `gid`) is the caller's to check.
     */
    async verifyAccessToken(token: string): Promise<AccessTokenClaims | null> {
      const hit = verified.get(token, clock.now());
      if (hit !== undefined) return hit;
      const header = readAccessTokenHeader(token, SIGNING_ALGORITHMS);
      if (!header || !hasCanonicalSignature(token, header.alg)) return null;
      const key = await keys.verificationKey(header.kid);
      if (!key || key.alg !== header.alg) return null;
      try {
        const { payload } = await jwtVerify(token, key.key, {
          algorithms: [key.alg],
          issuer: issuer(),
          audience: audience(),
          typ: ACCESS_TOKEN_TYPE,
          clockTolerance: CLOCK_SKEW_SECONDS,
          currentDate: new Date(clock.now()),
          requiredClaims: ['exp', 'iat', 'jti', 'sub', 'client_id'],
        });
        const read = readAccessTokenClaims(payload, MAX_ACCESS_TOKEN_LIFETIME_SECONDS);
        if (!read) return null;
        // Frozen: one object is shared by every request that presents this token.
        const claims: AccessTokenClaims = Object.freeze({
          ...read,
          scopes: Object.freeze(read.scopes) as string[],
          roles: Object.freeze(read.roles) as string[],
        });
        verified.set(token, claims, claims.exp * 1000);
        return claims;
      } catch {
        return null;
      }
    },
  };
}
