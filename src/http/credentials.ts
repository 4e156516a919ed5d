import type { FastifyRequest } from 'fastify';
import { readSessionCookie, type SessionCookieOptions } from './session-cookie.js';

/** The credential a request presents, before it is checked. */
export type PresentedCredential =
  | { kind: 'bearer'; token: string }
  | { kind: 'cookie'; token: string }
  /** An `Authorization` header that is not a well-formed `Bearer` credential. */
  | { kind: 'malformed' }
  | { kind: 'none' };

// RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
const MAX_AUTHORIZATION_LENGTH = 8192;

/**
 * Reads the request's credential. An `Authorization` header wins over the
 * cookie: a client that sends one means it, and a stale cookie must not
 * silently stand in for a bad token.
 */
export function readCredential(request: FastifyRequest, cookie: Pick<SessionCookieOptions, 'name'>): PresentedCredential {
  return readCredentialFrom(request.headers.authorization, () => readSessionCookie(request, cookie));
}

/** {@link readCredential} for any framework: the `Authorization` header, else the session cookie's value. */
export function readCredentialFrom(authorization: string | undefined, sessionCookie: () => string | undefined): PresentedCredential {
  if (authorization !== undefined) {
    if (authorization.length > MAX_AUTHORIZATION_LENGTH) return { kind: 'malformed' };
    const match = BEARER.exec(authorization);
    return match ? { kind: 'bearer', token: match[1]! } : { kind: 'malformed' };
  }
  const token = sessionCookie();
  return token === undefined ? { kind: 'none' } : { kind: 'cookie', token };
}
