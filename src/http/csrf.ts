import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendProblem } from './problem.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Whether a method changes state (RFC 9110 §9.2.1: not safe). */
export function isUnsafeMethod(method: string): boolean {
  return !SAFE_METHODS.has(method);
}

/**
 * Whether a browser sent this request from another site (OWASP CSRF
 * Prevention: verifying origin with standard headers). `Sec-Fetch-Site:
 * cross-site` is decisive; otherwise an `Origin` header must be one of
 * `allowedOrigins`, by default the origin the request was addressed to.
 * Clients that send neither header (curl, scripts, services) are not browsers
 * acting for someone else and are not affected.
 */
export function isCrossSite(
  request: { headers: Record<string, string | string[] | undefined>; protocol: string; host: string },
  allowedOrigins: readonly string[] | undefined,
): boolean {
  if (request.headers['sec-fetch-site'] === 'cross-site') return true;
  const origin = request.headers.origin;
  if (origin === undefined) return false;
  if (typeof origin !== 'string') return true;
  // "null" is an opaque origin (sandboxed frame, data: URL): never ours.
  if (origin === 'null') return true;
  const allowed =
    allowedOrigins && allowedOrigins.length > 0 ? allowedOrigins : [`${request.protocol}://${request.host}`];
  return !allowed.includes(origin.toLowerCase());
}

/**
 * A hook that refuses a cross-site request with 403 `ERR_CROSS_SITE` whether
 * or not it carries a credential: for sign-in (login CSRF: another site must
 * not sign the browser into an account of its choosing) and sign-out.
 */
export function sameSiteOnly(allowedOrigins: readonly string[] | undefined) {
  return async function sameSiteOnly(request: FastifyRequest, reply: FastifyReply) {
    return isCrossSite(request, allowedOrigins) ? sendProblem(reply, 'ERR_CROSS_SITE') : undefined;
  };
}
