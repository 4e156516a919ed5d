import { GatehouseError } from '../errors/index.js';

/** Longest username accepted, in code points after NFKC normalisation. */
export const USERNAME_MAX_LENGTH = 64;

// Control and format characters (C0, C1, bidi overrides, zero-width joiners…)
// make names that look alike and can inject into logs and headers; a colon
// cannot appear in an RFC 7617 user-id; surrounding space is invisible.
const FORBIDDEN = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}:]/u;

/**
 * A username as it is shown (`display`) and the key that makes it unique
 * (`key`): NFKC-normalised and case-folded, so `Alice`, `alice` and
 * `ａｌｉｃｅ` (full-width) are the same account.
 */
export interface Username {
  readonly display: string;
  readonly key: string;
}

/**
 * Normalises and checks a username.
 *
 * @throws {GatehouseError} `ERR_INVALID_USERNAME` when it is empty, longer than
 * {@link USERNAME_MAX_LENGTH}, has surrounding white space, a colon, or a control
 * or format character.
 */
export function parseUsername(input: string): Username {
  const display = input.normalize('NFKC');
  const length = [...display].length;
  if (length === 0 || length > USERNAME_MAX_LENGTH) {
    throw new GatehouseError('ERR_INVALID_USERNAME', {
      message: `A username has 1 to ${USERNAME_MAX_LENGTH} characters.`,
    });
  }
  if (display.trim() !== display || FORBIDDEN.test(display)) {
    throw new GatehouseError('ERR_INVALID_USERNAME', {
      message: 'A username has no surrounding spaces, colons, or control characters.',
    });
  }
  return { display, key: usernameKey(display) };
}

/**
 * The uniqueness key of a username, or `null` when the input can never be a
 * valid username (so a login with it fails like any unknown user).
 */
export function tryUsernameKey(input: string): string | null {
  try {
    return parseUsername(input).key;
  } catch {
    return null;
  }
}

function usernameKey(display: string): string {
  // Lower-casing can de-normalise (e.g. U+0130), so normalise again after it.
  return display.toLowerCase().normalize('NFKC');
}
