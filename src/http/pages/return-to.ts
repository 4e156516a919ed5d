import type { FastifyReply } from 'fastify';
import type { AuthCore } from '../../core/index.js';
import { returnTo } from '../routes/forward-auth.js';
import { formTarget, pagesBase } from './send.js';

/** Below the pages' base: where a waiting authorization request resumes once the user has signed in. */
export const RESUME_PATH = 'oauth/authorize/resume';
const INTERACTION = /^[A-Za-z0-9_-]{43}$/;

/** The path (from the server's root) that resumes a waiting authorization request. */
export function resumeUrl(reply: FastifyReply, interaction: string): string {
  return `${pagesBase(reply)}${RESUME_PATH}?interaction=${interaction}`;
}

function interactionOf(value: string, reply: FastifyReply): string | null {
  const start = `${pagesBase(reply)}${RESUME_PATH}?interaction=`;
  if (!value.startsWith(start)) return null;
  const id = value.slice(start.length);
  return INTERACTION.test(id) ? id : null;
}

/**
 * Where a sign-in sends the browser back (`return_to`, `rd`): a waiting
 * authorization request of this server, or a protected site of a
 * configured origin (forward auth). Anything else: nowhere (the account
 * page), so the sign-in page is no open redirect.
 */
export function signInReturn(
  source: unknown,
  origins: readonly string[] | undefined,
  reply: FastifyReply,
): string | null {
  const value = (source as Record<string, unknown> | undefined)?.return_to;
  if (typeof value === 'string' && interactionOf(value, reply) !== null) return value;
  return returnTo(source, origins);
}

/**
 * Where the forms of a page that leads to `back` may end up, for its
 * `form-action`: browsers hold every redirect after a form post to it, and a
 * sign-in for an app ends at the app's redirect URI.
 */
export async function formTargetsFor(
  back: string | null,
  core: AuthCore,
  reply: FastifyReply,
): Promise<(string | null)[]> {
  if (back === null) return [];
  const interaction = interactionOf(back, reply);
  if (interaction === null) return [formTarget(back)];
  const redirectUri = await core.openId?.authorization.pendingRedirectUri(interaction);
  return redirectUri ? [formTarget(redirectUri)] : [];
}
