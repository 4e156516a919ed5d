import type { FastifyReply, FastifyRequest } from 'fastify';

/** How the session cookie is set. */
export interface SessionCookieOptions {
  /** Cookie name. Default `__Host-gatehouse`: the prefix makes browsers insist on Secure, Path=/ and no Domain. */
  name: string;
  /** SameSite attribute. Default `lax`; `strict` also withholds the cookie on top-level cross-site navigation. */
  sameSite: 'lax' | 'strict';
  /** Max-Age in seconds; the session's absolute lifetime. */
  maxAgeSeconds: number;
}

/** The session token the request carries in its cookie, if any. */
export function readSessionCookie(request: FastifyRequest, options: SessionCookieOptions): string | undefined {
  return request.cookies[options.name];
}

/** Sets the session cookie: always Secure and HttpOnly, whatever the options say. */
export function setSessionCookie(reply: FastifyReply, token: string, options: SessionCookieOptions): void {
  reply.setCookie(options.name, token, {
    path: '/',
    secure: true,
    httpOnly: true,
    sameSite: options.sameSite,
    maxAge: options.maxAgeSeconds,
  });
}

/** Tells the browser to drop the session cookie. */
export function clearSessionCookie(reply: FastifyReply, options: SessionCookieOptions): void {
  reply.clearCookie(options.name, { path: '/', secure: true, httpOnly: true, sameSite: options.sameSite });
}
