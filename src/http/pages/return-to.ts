import type { FastifyReply } from 'fastify';
import type { AuthCore } from '../../core/index.js';
import { resumedInteraction, resumePath, signInReturnTarget } from '../../core/sign-in/index.js';
import { formTarget, pagesBase } from './send.js';

/** The path (from the server's root) that resumes a waiting authorization request. */
export function resumeUrl(reply: FastifyReply, interaction: string): string {
  return resumePath(pagesBase(reply), interaction);
}

/**
 * Where a sign-in sends the browser back (`return_to`, `rd`), as core's
 * `signInReturnTarget` decides for the pages mounted where `reply`'s are:
 * a waiting authorization request of this server, a protected site of a
 * configured origin, else nowhere (`null`, the account page).
 */
export function signInReturn(
  source: unknown,
  origins: readonly string[] | undefined,
  reply: FastifyReply,
): string | null {
  return signInReturnTarget(source as Record<string, unknown> | undefined, { origins, pagesBase: pagesBase(reply) });
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
  const interaction = resumedInteraction(back, pagesBase(reply));
  if (interaction === null) return [formTarget(back)];
  const redirectUri = await core.openId?.authorization.pendingRedirectUri(interaction);
  return redirectUri ? [formTarget(redirectUri)] : [];
}
