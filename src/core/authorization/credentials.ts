/** The credential a request presents, before it is checked. */
export type PresentedCredential =
  | { kind: 'bearer'; token: string }
  | { kind: 'cookie'; token: string }
  /** RFC 7617 `Basic`: a user's name and password, or a client's id and secret. */
  | { kind: 'basic'; username: string; password: string }
  /** An `Authorization` header that is neither a well-formed `Bearer` nor `Basic` credential. */
  | { kind: 'malformed' }
  | { kind: 'none' };

// RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
const MAX_AUTHORIZATION_LENGTH = 8192;
// RFC 7617 §2: token68 after "Basic"; only canonical padded base64 is accepted (one spelling per credential).
const BASIC = /^Basic +((?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?) *$/i;
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes RFC 7617 `user-id:password` (UTF-8, as the `charset` parameter announces); `null` when malformed. */
function parseBasic(token68: string): { username: string; password: string } | null {
  const bytes = Buffer.from(token68, 'base64');
  if (bytes.toString('base64') !== token68) return null;
  let decoded: string;
  try {
    decoded = UTF8.decode(bytes);
  } catch {
    return null;
  }
  // The user-id cannot contain a colon; the password can. Control characters belong in neither.
  const colon = decoded.indexOf(':');
  if (colon <= 0 || /[\x00-\x1f\x7f]/.test(decoded)) return null;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * The bearer token of an `Authorization` header (RFC 6750 §2.1), or `null`
 * when the header is absent or not a well-formed `Bearer` credential.
 */
export function readBearerToken(authorization: string | undefined): string | null {
  if (authorization === undefined || authorization.length > MAX_AUTHORIZATION_LENGTH) return null;
  return BEARER.exec(authorization)?.[1] ?? null;
}

/**
 * Reads a request's credential from its `Authorization` header and the
 * session cookie's value, for any framework. The header wins over the
 * cookie: a client that sends one means it, and a stale cookie must not
 * silently stand in for a bad token.
 */
export function readPresentedCredential(
  authorization: string | undefined,
  sessionCookie: () => string | undefined,
): PresentedCredential {
  if (authorization !== undefined) {
    if (authorization.length > MAX_AUTHORIZATION_LENGTH) return { kind: 'malformed' };
    const bearer = readBearerToken(authorization);
    if (bearer !== null) return { kind: 'bearer', token: bearer };
    const basic = BASIC.exec(authorization);
    const credentials = basic ? parseBasic(basic[1]!) : null;
    return credentials ? { kind: 'basic', ...credentials } : { kind: 'malformed' };
  }
  const token = sessionCookie();
  return token === undefined ? { kind: 'none' } : { kind: 'cookie', token };
}
