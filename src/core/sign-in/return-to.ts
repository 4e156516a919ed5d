/**
 * Where a browser may be sent back to after a sign-in (`return_to`, or
 * forward auth's `rd`): the one rule, on plain strings, for the forward-auth
 * route and the sign-in pages alike. Anything else is nowhere, so neither is
 * an open redirect.
 */

/** Below the pages' base: where a waiting authorization request resumes once the user has signed in. */
export const RESUME_PATH = 'oauth/authorize/resume';

/** Longer return URLs are refused before any parsing. */
const MAX_RETURN_LENGTH = 2048;
const INTERACTION = /^[A-Za-z0-9_-]{43}$/;

/**
 * The path (from the server's root) that resumes the waiting authorization
 * request `interaction`; `pagesBase` is where the pages are mounted (`/` or `/auth/`).
 */
export function resumePath(pagesBase: string, interaction: string): string {
  return `${pagesBase}${RESUME_PATH}?interaction=${interaction}`;
}

/** The interaction a return URL resumes, when it is exactly this server's resume path for one; else `null`. */
export function resumedInteraction(value: string, pagesBase: string): string | null {
  const start = resumePath(pagesBase, '');
  if (!value.startsWith(start)) return null;
  const id = value.slice(start.length);
  return INTERACTION.test(id) ? id : null;
}

/**
 * A protected site's return URL (forward auth's `rd`, else `return_to`),
 * when it is safe to send a browser back to: an https URL without
 * credentials on one of the deployment's configured `origins`, at most 2048
 * characters. Its normalised form, else `null`.
 */
export function protectedSiteReturn(
  params: Record<string, unknown> | undefined,
  origins: readonly string[] | undefined,
): string | null {
  const value = params?.rd ?? params?.return_to;
  if (typeof value !== 'string' || value.length > MAX_RETURN_LENGTH || !origins || origins.length === 0) return null;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  return url.protocol === 'https:' && url.username === '' && url.password === '' && origins.includes(url.origin)
    ? url.href
    : null;
}

/**
 * Where a sign-in sends the browser back, from a query or form's `return_to`
 * (or `rd`): a waiting authorization request of this server (its resume
 * path below `pagesBase`), or a protected site of a configured origin.
 * `null`: nowhere (the account page).
 */
export function signInReturnTarget(
  params: Record<string, unknown> | undefined,
  options: { origins: readonly string[] | undefined; pagesBase: string },
): string | null {
  const value = params?.return_to;
  if (typeof value === 'string' && resumedInteraction(value, options.pagesBase) !== null) return value;
  return protectedSiteReturn(params, options.origins);
}
