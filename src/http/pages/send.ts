import type { FastifyReply } from 'fastify';
import { PAGE_CSP } from './assets.js';

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
