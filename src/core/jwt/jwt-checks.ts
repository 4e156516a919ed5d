import { decodeProtectedHeader, type JWTPayload, type ProtectedHeaderParameters } from 'jose';

/**
 * Checks made before and after jose verifies a signature, shared by the
 * server's guard and by `gatehouse/verify`. jose alone was seen to accept
 * `==`-padded and whitespace-containing segments, high-S ECDSA signatures
 * and `exp = 1e308`; these checks close those gaps.
 */

/** The only accepted form: three base64url segments without padding or white space. */
export const COMPACT_JWS_PATTERN = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** Longer tokens are refused before any parsing. */
export const MAX_TOKEN_LENGTH = 8192;

/** RFC 9068 §2.1: the `typ` of a JWT access token. */
export const ACCESS_TOKEN_TYPE = 'at+jwt';

// Order of the P-256 group, halved: an ECDSA signature with s above it is the
// malleable twin of a valid one and is refused.
const P256_HALF_ORDER = BigInt('0x7fffffff800000007fffffffffffffffde737d56d38bcf4279dce5617e3192a8');

/**
 * The protected header of a compact JWS access token, when its shape is
 * acceptable: canonical compact form, `typ: at+jwt`, an allowed `alg`, a
 * string `kid`, and no `crit`. `null` otherwise. No signature is checked here.
 */
export function readAccessTokenHeader(
  token: string,
  allowedAlgorithms: readonly string[],
): (ProtectedHeaderParameters & { kid: string; alg: string }) | null {
  if (token.length > MAX_TOKEN_LENGTH || !COMPACT_JWS_PATTERN.test(token)) return null;
  let header: ProtectedHeaderParameters;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    return null;
  }
  const typ = typeof header.typ === 'string' ? header.typ.toLowerCase() : '';
  if (typ !== ACCESS_TOKEN_TYPE && typ !== `application/${ACCESS_TOKEN_TYPE}`) return null;
  if (typeof header.alg !== 'string' || !allowedAlgorithms.includes(header.alg)) return null;
  if (typeof header.kid !== 'string' || header.kid.length === 0 || header.kid.length > 128) return null;
  // No extension Gatehouse understands is ever critical.
  if (header.crit !== undefined) return null;
  return header as ProtectedHeaderParameters & { kid: string; alg: string };
}

/** Whether the signature (the third segment) is in its one canonical form: the only base64url spelling of its bytes and, for ES256, a low `s`. */
export function hasCanonicalSignature(token: string, alg: string): boolean {
  const encoded = token.slice(token.lastIndexOf('.') + 1);
  const signature = Buffer.from(encoded, 'base64url');
  // One encoding per signature: base64url's last character carries unused
  // bits, and a decoder ignores them, so without this check one signed token
  // has several spellings that all verify (a twin that escapes any list or
  // cache keyed by the token's exact string).
  if (signature.toString('base64url') !== encoded) return false;
  if (alg !== 'ES256') return true;
  if (signature.length !== 64) return false;
  const s = BigInt(`0x${signature.subarray(32).toString('hex')}`);
  return s > 0n && s <= P256_HALF_ORDER;
}

/**
 * Whether verified claims are within bounds: integer `iat` and `exp`,
 * `exp` after `iat` by at most `maxLifetimeSeconds`, and the required
 * string claims present.
 */
export function hasBoundedLifetime(payload: JWTPayload, maxLifetimeSeconds: number): boolean {
  const { iat, exp } = payload;
  if (!Number.isSafeInteger(iat) || !Number.isSafeInteger(exp)) return false;
  const lifetime = (exp as number) - (iat as number);
  return lifetime > 0 && lifetime <= maxLifetimeSeconds;
}

/** RFC 8705 §3.1: the `x5t#S256` certificate thumbprint of a `cnf` claim, if it is one (base64url SHA-256, 43 characters). */
export function boundThumbprint(cnf: unknown): string | undefined {
  const value = (cnf as Record<string, unknown> | null | undefined)?.['x5t#S256'];
  return typeof value === 'string' && /^[A-Za-z0-9_-]{43}$/.test(value) ? value : undefined;
}

/** The claims of a Gatehouse access token, as every verifier reads them. */
export interface AccessTokenClaims {
  /** User id, or the client id for a client's own token. */
  sub: string;
  client_id: string;
  /** The scopes it carries; none when it has no `scope` claim (a credential without scopes holds none). */
  scopes: string[];
  /** The user's roles when it was issued (Gatehouse's own guard reads them afresh). */
  roles: string[];
  /** The session a user token was issued from; revoking it revokes the token in Gatehouse's own guard. */
  sid: string | undefined;
  /**
   * An app token's grant: the grant id of the user's consent it was issued
   * under (from a code or a refresh). Gatehouse's own guard refuses it once
   * that grant has ended (revoked consent, replayed code, credential change).
   */
  gid?: string;
  jti: string;
  iat: number;
  exp: number;
  /** RFC 8705 §3: the SHA-256 thumbprint of the client certificate the token is bound to. */
  certificateThumbprint?: string;
}

/**
 * The one reader of access-token claims, shared by Gatehouse's guard and
 * `gatehouse/verify`: the claims of a payload whose signature was verified,
 * or `null` when any claim is out of shape: `sub`, `client_id`, `jti` not
 * strings; `iat`/`exp` not bounded by `maxLifetimeSeconds`; `scope` not a
 * string; `roles` not a list of strings; `sid` or `gid` not a string; a `cnf` other
 * than RFC 8705's `x5t#S256` (a binding that cannot be honoured is refused,
 * not ignored).
 */
export function readAccessTokenClaims(payload: JWTPayload, maxLifetimeSeconds: number): AccessTokenClaims | null {
  if (!hasBoundedLifetime(payload, maxLifetimeSeconds)) return null;
  const {
    sub,
    client_id: clientId,
    jti,
    scope,
    roles,
    sid,
    gid,
    cnf,
  } = payload as JWTPayload & Record<string, unknown>;
  if (typeof sub !== 'string' || typeof clientId !== 'string' || typeof jti !== 'string') return null;
  if (scope !== undefined && typeof scope !== 'string') return null;
  if (roles !== undefined && !(Array.isArray(roles) && roles.every((role) => typeof role === 'string'))) return null;
  if (sid !== undefined && typeof sid !== 'string') return null;
  if (gid !== undefined && typeof gid !== 'string') return null;
  const certificateThumbprint = boundThumbprint(cnf);
  if (cnf !== undefined && certificateThumbprint === undefined) return null;
  return {
    sub,
    client_id: clientId,
    scopes: scope === undefined ? [] : scope.split(' ').filter(Boolean),
    roles: (roles as string[] | undefined) ?? [],
    sid,
    ...(gid !== undefined && { gid }),
    jti,
    iat: payload.iat!,
    exp: payload.exp!,
    ...(certificateThumbprint !== undefined && { certificateThumbprint }),
  };
}

/**
 * Whether access-token claims are a service client's own token (RFC 9068
 * §2.2: its `sub` is its `client_id`) rather than a user's: no session
 * (`sid`) and the client as subject. The one rule for Gatehouse's own guard
 * and `gatehouse/verify`.
 */
export function isServiceClientToken(claims: { sub: string; client_id: string; sid?: string | undefined }): boolean {
  return claims.sid === undefined && claims.sub === claims.client_id;
}

/**
 * RFC 8705 §3: whether a token's certificate binding holds on the request's
 * connection. An unbound token holds anywhere; a bound one only when
 * `presentedThumbprint` (read only then: the base64url SHA-256 thumbprint of
 * the connection's client certificate, `undefined` without one) is its
 * `cnf` `x5t#S256`. The one check for Gatehouse's own guard and `gatehouse/verify`.
 */
export function certificateBindingHolds(
  claims: { certificateThumbprint?: string },
  presentedThumbprint: () => string | undefined,
): boolean {
  return claims.certificateThumbprint === undefined || claims.certificateThumbprint === presentedThumbprint();
}
