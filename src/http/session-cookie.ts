import { fastifyCookie } from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SESSION_COOKIE_NAME } from '../core/sessions.js';

// The cookie codec of @fastify/cookie, used without registering the plugin:
// its hooks would run on every request of the host application (1 µs each,
// measured) while only the routes that read a credential need a cookie.
const { parse, serialize } = fastifyCookie;

export { SESSION_COOKIE_NAME };

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
export function readSessionCookie(
  request: FastifyRequest,
  options: Pick<SessionCookieOptions, 'name'>,
): string | undefined {
  const header = request.headers.cookie;
  if (header === undefined || header === '') return undefined;
  // A host that registered @fastify/cookie has parsed the header already.
  return (request.cookies ?? parse(header))[options.name];
}

/** Sets the session cookie: always Secure and HttpOnly, whatever the options say. */
export function setSessionCookie(reply: FastifyReply, token: string, options: SessionCookieOptions): void {
  reply.header(
    'set-cookie',
    serialize(options.name, token, {
      path: '/',
      secure: true,
      httpOnly: true,
      sameSite: options.sameSite,
      maxAge: options.maxAgeSeconds,
    }),
  );
}

/** Tells the browser to drop the session cookie. */
export function clearSessionCookie(reply: FastifyReply, options: SessionCookieOptions): void {
  reply.header(
    'set-cookie',
    serialize(options.name, '', {
      path: '/',
      secure: true,
      httpOnly: true,
      sameSite: options.sameSite,
      expires: new Date(0),
    }),
  );
}
