import { readFileSync } from 'node:fs';
import { createRemoteJWKSet, customFetch, jwtVerify, type JWTPayload } from 'jose';
import { Agent, fetch as undiciFetch } from 'undici';
import {
  ACCESS_TOKEN_TYPE,
  certificateBindingHolds,
  hasCanonicalSignature,
  readAccessTokenClaims,
  readAccessTokenHeader,
} from '../core/jwt/index.js';

/** Options of {@link createVerifier}. */
export interface VerifierOptions {
  /** The Gatehouse deployment's issuer URL (its `iss`), e.g. `https://auth.example.com`. Required. */
  issuer: string;
  /** The `aud` this service accepts. Required. */
  audience: string;
  /** Where the public keys are. Default `<issuer>/.well-known/jwks.json`. */
  jwksUrl?: string;
  /** Accepted algorithms. Default `['EdDSA', 'ES256']`; symmetric algorithms and `none` are never accepted. */
  algorithms?: ('EdDSA' | 'ES256')[];
  /** PEM of the CA that signed Gatehouse's TLS certificate (like `requests`' `verify=`), or a file path via `caFile`. */
  ca?: string | Buffer;
  /** Path of a PEM CA file. */
  caFile?: string;
  /** Tolerated clock difference, in seconds. Default 30. */
  clockToleranceSeconds?: number;
  /** Longest accepted token lifetime (`exp - iat`), in seconds. Default 3600. */
  maxLifetimeSeconds?: number;
  /** How long the key set is cached, in milliseconds. Default 600000 (10 min); an unknown `kid` refetches sooner. */
  cacheMaxAgeMilliseconds?: number;
}

/** The claims of a verified access token. */
export interface VerifiedAccessToken {
  sub: string;
  client_id: string;
  /** The scopes it carries; none when it has no `scope` claim (a token without scopes holds none). */
  scopes: string[];
  roles: string[];
  /** The session a user's token was issued from; absent for a service client's own token. */
  sid?: string;
  /**
   * An app token's grant id (from a code or its refreshes). Gatehouse refuses
   * every token of a grant once it ends; offline, a service sees that only
   * at expiry, or at once by asking `/oauth/introspect`.
   */
  gid?: string;
  jti: string;
  iat: number;
  exp: number;
  /** RFC 8705: the SHA-256 thumbprint of the client certificate the token is bound to, if it is bound. */
  certificateThumbprint?: string;
  /** Every claim as signed. */
  payload: JWTPayload;
}

/** Thrown for every token that does not verify; the message never contains the token. */
export class TokenVerificationError extends Error {
  readonly code = 'ERR_INVALID_TOKEN';
  constructor(cause?: unknown) {
    super('The access token is not valid.', cause === undefined ? undefined : { cause });
    this.name = 'TokenVerificationError';
  }
}

/**
 * Verifies Gatehouse access tokens offline, in any other service: keys come
 * from the deployment's JWKS (cached, refetched when a rotation brings a new
 * `kid`), and every check of Gatehouse's own guard runs here too, except
 * revocation: a revoked token stays valid here until it expires, which is
 * why access tokens are short-lived. A service that must see revocation at
 * once calls `/oauth/introspect` instead.
 *
 * @example
 * const verifier = createVerifier({ issuer: 'https://auth.example.com', audience: 'https://auth.example.com', caFile: 'ca.pem' });
 * const claims = await verifier.verify(token); // throws TokenVerificationError
 */
export function createVerifier(options: VerifierOptions) {
  if (!options.issuer || !options.audience) throw new TypeError('createVerifier: issuer and audience are required');
  const algorithms = options.algorithms ?? ['EdDSA', 'ES256'];
  if (algorithms.some((alg) => alg !== 'EdDSA' && alg !== 'ES256'))
    throw new TypeError('createVerifier: algorithms may only be EdDSA and ES256');
  const ca = options.ca ?? (options.caFile ? readFileSync(options.caFile) : undefined);
  const dispatcher = ca ? new Agent({ connect: { ca } }) : undefined;
  const jwks = createRemoteJWKSet(new URL(options.jwksUrl ?? `${options.issuer}/.well-known/jwks.json`), {
    cacheMaxAge: options.cacheMaxAgeMilliseconds ?? 600_000,
    // A token signed by a freshly rotated key names a kid not yet seen: refetch
    // for it after at most a second (jose's default waits 30 s), while a flood
    // of made-up kids still costs at most one fetch a second.
    cooldownDuration: 1000,
    // The JWKS is fetched from the configured URL only; jku/x5u in token headers are never followed.
    [customFetch]: (url, init) => undiciFetch(url, { ...(init as object), dispatcher }) as unknown as Promise<Response>,
  });
  const maxLifetime = options.maxLifetimeSeconds ?? 3600;

  /**
   * The claims of a valid token, else {@link TokenVerificationError}. A
   * certificate-bound token (`cnf.x5t#S256`, RFC 8705) verifies only when
   * `connection.certificateThumbprint` (base64url SHA-256 of the client
   * certificate of the request's TLS connection) is that certificate's.
   */
  async function verify(
    token: string,
    connection: { certificateThumbprint?: string } = {},
  ): Promise<VerifiedAccessToken> {
    const header = readAccessTokenHeader(token, algorithms);
    if (!header || !hasCanonicalSignature(token, header.alg)) throw new TokenVerificationError();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, jwks, {
        algorithms,
        issuer: options.issuer,
        audience: options.audience,
        typ: ACCESS_TOKEN_TYPE,
        clockTolerance: options.clockToleranceSeconds ?? 30,
        requiredClaims: ['exp', 'iat', 'jti', 'sub', 'client_id'],
      }));
    } catch (error) {
      throw new TokenVerificationError(error);
    }
    // The same reader as Gatehouse's own guard: one answer for every claim.
    const claims = readAccessTokenClaims(payload, maxLifetime);
    if (!claims) throw new TokenVerificationError();
    // A bound token is good only on a connection with its certificate (RFC 8705 §3).
    if (!certificateBindingHolds(claims, () => connection.certificateThumbprint)) throw new TokenVerificationError();
    const { sid, ...rest } = claims;
    return { ...rest, ...(sid !== undefined && { sid }), payload };
  }

  return {
    verify,
    /** Closes the HTTPS connection pool used for the JWKS. */
    async close(): Promise<void> {
      await dispatcher?.close();
    },
  };
}

/** A verifier; see {@link createVerifier}. */
export type Verifier = ReturnType<typeof createVerifier>;
