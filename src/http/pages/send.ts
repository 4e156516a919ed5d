import type { FastifyReply } from 'fastify';
import { isGatehouseError } from '../../core/errors.js';
import { PAGE_CSP } from './assets.js';

/**
 * A sign-in that must wait (throttled: 429, too busy: 503) as a page: sets
 * `Retry-After` and sends the page made from the message. `null` for any other error.
 */
export function sendWaitPage(
  reply: FastifyReply,
  error: unknown,
  page: (message: string) => string,
): FastifyReply | null {
  if (!isGatehouseError(error, 'ERR_THROTTLED') && !isGatehouseError(error, 'ERR_BUSY')) return null;
  const seconds = Math.max(1, Math.ceil(Number(error.details?.retryAfterSeconds ?? 1)));
  const wait = error.code === 'ERR_BUSY' ? 'Too many sign-ins right now' : 'Too many attempts';
  reply.header('retry-after', String(seconds));
  return sendPage(
    reply,
    error.code === 'ERR_BUSY' ? 503 : 429,
    page(`${wait}; try again in ${seconds} second${seconds === 1 ? '' : 's'}.`),
  );
}

/** Sends a page with the pages' Content-Security-Policy. */
export function sendPage(reply: FastifyReply, status: number, page: string): FastifyReply {
  return (
    reply
      .code(status)
      .header('content-security-policy', PAGE_CSP)
      // Not no-referrer here: with it, browsers send `Origin: null` on form
      // posts, which the CSRF check must refuse. same-origin still sends no
      // referrer to any other site.
      .header('referrer-policy', 'same-origin')
      .type('text/html; charset=utf-8')
      .send(page)
  );
}
