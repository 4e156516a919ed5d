import type { FastifyRequest } from 'fastify';
import { readPresentedCredential, type PresentedCredential } from '../core/authorization/index.js';
import { readSessionCookie, type SessionCookieOptions } from './session-cookie.js';

export type { PresentedCredential };

/**
 * Reads the request's credential: the `Authorization` header, else the
 * session cookie (see `readPresentedCredential` in the core).
 */
export function readCredential(
  request: FastifyRequest,
  cookie: Pick<SessionCookieOptions, 'name'>,
): PresentedCredential {
  return readPresentedCredential(request.headers.authorization, () => readSessionCookie(request, cookie));
}
