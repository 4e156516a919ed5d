import { fastifyCookie } from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DEVICE_COOKIE_LIFETIME_SECONDS } from '../core/sign-in/index.js';
import { SESSION_COOKIE_NAME } from '../core/sessions/index.js';
import { readCookie as readCookieHeader } from '../wire/index.js';

// The cookie serializer of @fastify/cookie, used without registering the
// plugin: its hooks would run on every request of the host application (1 µs
// each, measured) while only the routes that read a credential need a cookie.
// Cookies are read as gatehouse/express reads them (wire/cookies.ts).
const { serialize } = fastifyCookie;

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
  return readCookie(request, options.name);
}

function readCookie(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (header === undefined || header === '') return undefined;
  // A host that registered @fastify/cookie has parsed the header already.
  return request.cookies ? request.cookies[name] : readCookieHeader(header, name);
}

/**
 * The device cookie's name (see core/device-cookies.ts): the session
 * cookie's with `-device`, always with the `__Host-` prefix.
 *
 * @example
 * deviceCookieName('__Host-gatehouse') // '__Host-gatehouse-device'
 */
export function deviceCookieName(sessionCookieName: string): string {
  return `__Host-${sessionCookieName.replace(/^__Host-/, '')}-device`;
}

/** The device cookie the request carries, if any: core decides whether it is valid and for whom. */
export function readDeviceCookie(
  request: FastifyRequest,
  options: Pick<SessionCookieOptions, 'name'>,
): string | undefined {
  return readCookie(request, deviceCookieName(options.name));
}

/**
 * Sets the device cookie of a browser that just signed in: `__Host-`,
 * Secure, HttpOnly, SameSite=Lax, for a year. It outlives sign-out on
 * purpose: it says the browser is known, it signs no one in.
 */
export function setDeviceCookie(reply: FastifyReply, value: string, options: Pick<SessionCookieOptions, 'name'>): void {
  reply.header(
    'set-cookie',
    serialize(deviceCookieName(options.name), value, {
      path: '/',
      secure: true,
      httpOnly: true,
      sameSite: 'lax',
      maxAge: DEVICE_COOKIE_LIFETIME_SECONDS,
    }),
  );
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
