import type { FastifyReply } from 'fastify';
import type { CheckFailure } from '../../core/sign-in/index.js';
import { retryAfterSeconds } from '../../wire/index.js';
import { PAGE_CSP } from './assets.js';
import { escapeHtml } from './html.js';
import { BASE_TAG } from './html-views.js';

type Wait = Extract<CheckFailure, { status: 'throttled' | 'busy' }>;

/** The words and status of a check that must wait: throttled (429) or too busy (503). */
function waitMessage(failure: Wait): { status: 429 | 503; seconds: number; message: string } {
  const seconds = retryAfterSeconds(failure.retryAfterSeconds);
  const wait = failure.status === 'busy' ? 'Too many sign-ins right now' : 'Too many attempts';
  return {
    status: failure.status === 'busy' ? 503 : 429,
    seconds,
    message: `${wait}; try again in ${seconds} second${seconds === 1 ? '' : 's'}.`,
  };
}

/** A sign-in that must wait (throttled: 429, too busy: 503) as a page: sets `Retry-After` and sends the page made from the message. */
export function sendWaitPage(
  reply: FastifyReply,
  failure: Wait,
  page: (message: string) => string,
  formTargets?: readonly (string | null)[],
): FastifyReply {
  const { status, seconds, message } = waitMessage(failure);
  reply.header('retry-after', String(seconds));
  return sendPage(reply, status, page(message), { formTargets });
}

/**
 * A re-authentication that failed, as the page it came from: a wrong
 * password (200, the form again with the reason) or a wait (429/503 with
 * `Retry-After`). `render` draws the page with a status and a message.
 */
export function sendReauthenticationFailure(
  reply: FastifyReply,
  failure: CheckFailure,
  render: (status: number, message: string) => Promise<FastifyReply>,
): Promise<FastifyReply> {
  if (failure.status === 'refused') return render(200, 'The current password is not correct.');
  const { status, seconds, message } = waitMessage(failure);
  reply.header('retry-after', String(seconds));
  return render(status, message);
}

/** Where the pages are mounted (the plugin's `prefix`), with a trailing slash: what relative links resolve against. */
export function pagesBase(reply: FastifyReply): string {
  return `${reply.server.prefix}/`;
}

/** A redirect (`303 See Other` by default) to a page, by its path below where the pages are mounted (`?done=…` included). */
export function redirectToPage(reply: FastifyReply, path: string, status = 303): FastifyReply {
  return reply
    .code(status)
    .header('location', `${pagesBase(reply)}${path}`)
    .send();
}

/**
 * The CSP source of where a form's answer may redirect to, besides this
 * origin: browsers hold every redirect after a form post to `form-action`.
 * An origin; any port of a loopback address (a native app's listener); a
 * private-use scheme. `null` for anything else.
 */
export function formTarget(uri: string): string | null {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return null;
  }
  if (url.protocol === 'http:' && (url.hostname === '127.0.0.1' || url.hostname === '[::1]'))
    return `http://${url.hostname}:*`;
  if (url.protocol === 'https:' || url.protocol === 'http:') return url.origin;
  return /^[a-z][a-z0-9+.-]*:$/.test(url.protocol) ? url.protocol : null;
}

/**
 * Sends a page with the pages' Content-Security-Policy, its links based
 * where the pages are mounted. `formTargets`: where its forms' answers may
 * redirect besides this origin (see {@link formTarget}).
 */
export function sendPage(
  reply: FastifyReply,
  status: number,
  page: string,
  options: { formTargets?: readonly (string | null)[] } = {},
): FastifyReply {
  const based = page.replace(BASE_TAG, `<base href="${escapeHtml(pagesBase(reply))}" />`);
  const targets = (options.formTargets ?? []).filter((target): target is string => target !== null);
  const csp =
    targets.length === 0
      ? PAGE_CSP
      : PAGE_CSP.replace("form-action 'self'", () => `form-action 'self' ${targets.join(' ')}`);
  return (
    reply
      .code(status)
      .header('content-security-policy', csp)
      // Not no-referrer here: with it, browsers send `Origin: null` on form
      // posts, which the CSRF check must refuse. same-origin still sends no
      // referrer to any other site.
      .header('referrer-policy', 'same-origin')
      .type('text/html; charset=utf-8')
      .send(based)
  );
}
