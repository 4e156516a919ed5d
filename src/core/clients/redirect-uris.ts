import { GatehouseError } from '../errors/index.js';

/** Longest redirect URI Gatehouse registers. */
export const MAX_REDIRECT_URI_LENGTH = 2048;

const LOOPBACK_IPS = new Set(['127.0.0.1', '[::1]']);
// RFC 8252 §7.1: a private-use scheme is a reverse domain name (com.example.app).
const PRIVATE_USE_SCHEME = /^[a-z][a-z0-9+-]*(\.[a-z0-9+-]+)+:$/;

/**
 * Checks a redirect URI (or post-logout redirect URI) before it is
 * registered: absolute, no fragment (RFC 6749 §3.1.2), no user info,
 * `https`, or `http` to the loopback interface only (RFC 8252 §8.3), or for
 * a public (native) client a private-use scheme named after a domain
 * (RFC 8252 §7.1). Returns it unchanged: it is compared exactly.
 * @throws {GatehouseError} `ERR_VALIDATION` naming what is wrong.
 */
export function checkRedirectUri(uri: string, clientType: 'confidential' | 'public'): string {
  const invalid = (why: string) =>
    new GatehouseError('ERR_VALIDATION', { message: `Redirect URI ${JSON.stringify(uri)}: ${why}` });
  if (uri.length === 0 || uri.length > MAX_REDIRECT_URI_LENGTH || /[\s\p{Cc}]/u.test(uri))
    throw invalid(`it must be 1 to ${MAX_REDIRECT_URI_LENGTH} characters without spaces.`);
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw invalid('it is not an absolute URI.');
  }
  if (uri.includes('#')) throw invalid('it must not have a fragment.');
  // Matching is exact: a `*` would be read by operators used to other servers as a wildcard it is not.
  if (uri.includes('*')) throw invalid('it is matched exactly; wildcards are not supported.');
  if (url.username !== '' || url.password !== '') throw invalid('it must not carry a user name or password.');
  if (url.protocol === 'https:') return uri;
  if (url.protocol === 'http:') {
    if (LOOPBACK_IPS.has(url.hostname) || url.hostname === 'localhost') return uri;
    throw invalid('http is allowed only to the loopback interface (127.0.0.1, [::1], localhost); use https.');
  }
  if (clientType === 'public' && PRIVATE_USE_SCHEME.test(url.protocol)) return uri;
  throw invalid(
    clientType === 'public'
      ? 'use https, http to 127.0.0.1 or [::1], or a private-use scheme named after a domain you own (com.example.app:/callback).'
      : 'use https (http only to the loopback interface).',
  );
}

/**
 * Whether `requested` is one of the registered redirect URIs: compared
 * exactly, as strings (RFC 9700 §4.1.3), except that a public client's
 * loopback IP redirect may use any port (RFC 8252 §7.3: a native app
 * listens on an ephemeral one).
 */
export function matchRedirectUri(
  requested: string,
  registered: readonly string[],
  clientType: 'confidential' | 'public',
): boolean {
  if (registered.includes(requested)) return true;
  if (clientType !== 'public') return false;
  const portless = withoutLoopbackPort(requested);
  return portless !== null && registered.some((uri) => withoutLoopbackPort(uri) === portless);
}

// `http://127.0.0.1:PORT/rest` or `http://[::1]:PORT/rest`, as written (no normalisation): the URI without its port.
const LOOPBACK_URI = /^http:\/\/(127\.0\.0\.1|\[::1\])(?::\d{1,5})?([/?][^#]*)?$/;

function withoutLoopbackPort(uri: string): string | null {
  const match = LOOPBACK_URI.exec(uri);
  return match ? `http://${match[1]}${match[2] ?? ''}` : null;
}
