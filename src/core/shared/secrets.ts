import { createHash, hash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';

/** Bytes of entropy in every bearer secret Gatehouse issues (session tokens). */
export const SECRET_BYTES = 32;

/** A new random secret: {@link SECRET_BYTES} bytes from the CSPRNG, base64url without padding (43 characters). */
export function createSecret(): string {
  return randomBytes(SECRET_BYTES).toString('base64url');
}

/** A new random identifier for rows that are shown to people (user and session ids). */
export function createId(): string {
  return randomUUID();
}

/**
 * SHA-256 of a secret, base64url. Only this digest is stored: a read of the
 * database (a backup, an injection) yields nothing that can be replayed.
 * A fast hash is right here, unlike for passwords, because the secret has
 * 256 bits of entropy and cannot be guessed.
 */
export function hashSecret(secret: string): string {
  // One-shot crypto.hash: a quarter of createHash's cost, and this runs on every signed-in request.
  return hash('sha256', secret, 'base64url');
}

/** Compares two strings in time independent of where they differ. */
export function constantTimeEqual(a: string, b: string): boolean {
  // Compare fixed-length digests so that inputs of different length take the same path.
  return timingSafeEqual(
    createHash('sha256').update(a, 'utf8').digest(),
    createHash('sha256').update(b, 'utf8').digest(),
  );
}

/** The strict shape of a secret produced by {@link createSecret}; checked before any lookup. */
export const SECRET_PATTERN = /^[A-Za-z0-9_-]{43}$/;
