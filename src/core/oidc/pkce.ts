import { createHash } from 'node:crypto';
import { constantTimeEqual } from '../shared/index.js';

/**
 * PKCE (RFC 7636), both halves: the challenge an authorization request must
 * carry, and the verifier that must redeem its code. Only `S256`: `plain`
 * gives an attacker who reads the request the verifier itself.
 */

/** The one accepted `code_challenge_method`. */
export const PKCE_METHOD = 'S256';

// RFC 7636 §4.2: BASE64URL(SHA-256(verifier)) is 43 characters.
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
// RFC 7636 §4.1: 43 to 128 unreserved characters.
const CODE_VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

/**
 * Checks an authorization request's `code_challenge` and
 * `code_challenge_method`: the challenge to keep with the code, or the
 * `invalid_request` description to send back to the app.
 */
export function checkCodeChallenge(
  challenge: string | undefined,
  method: string | undefined,
): { ok: true; challenge: string } | { ok: false; description: string } {
  if (challenge === undefined) {
    return { ok: false, description: 'code_challenge is required: every app uses PKCE with S256 (RFC 7636).' };
  }
  if (method !== PKCE_METHOD) {
    return { ok: false, description: 'code_challenge_method must be S256 (plain is not accepted).' };
  }
  if (!S256_CHALLENGE.test(challenge)) {
    return { ok: false, description: 'code_challenge must be the 43-character base64url SHA-256 of the verifier.' };
  }
  return { ok: true, challenge };
}

/** Whether `verifier` is well formed and its SHA-256 is the code's `challenge` (compared in constant time). */
export function verifierMatches(verifier: string | undefined, challenge: string): boolean {
  const presented = verifier ?? '';
  const computed = createHash('sha256').update(presented).digest('base64url');
  return CODE_VERIFIER.test(presented) && constantTimeEqual(computed, challenge);
}
