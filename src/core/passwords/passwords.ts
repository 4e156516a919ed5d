import { hash, verify } from '@node-rs/argon2';

// Algorithm.Argon2id; the package exports it as an ambient const enum, which isolated modules cannot read.
const ARGON2ID = 2;
import { GatehouseError } from '../errors/index.js';
import { scorePassword } from './password-strength.js';

/** Default shortest password, in characters (code points after NFKC): NIST SP 800-63B-4 for password-only accounts. */
export const PASSWORD_MIN_LENGTH = 15;
/** The shortest minimum a deployment may configure (e.g. where a second factor is required). */
export const PASSWORD_MIN_LENGTH_FLOOR = 8;
/** The lowest zxcvbn score accepted (3 of 4: about 10^8 guesses or more). */
export const PASSWORD_MIN_SCORE = 3;
/** Longest password accepted, in UTF-8 bytes; checked before hashing so a huge input cannot tie up the hasher. */
export const PASSWORD_MAX_BYTES = 1024;

/**
 * Turns passwords into stored hashes and checks them. The core depends on
 * this interface, not on Argon2, so the cost can be pinned in tests.
 */
export interface PasswordHasher {
  /** A PHC string (`$argon2id$v=19$m=…`) for the password. */
  hash(password: string): Promise<string>;
  /** Whether the password matches the PHC string; `false` for a malformed string. */
  verify(phc: string, password: string): Promise<boolean>;
  /** Whether a stored hash was made with other parameters and should be replaced at the next login. */
  needsRehash(phc: string): boolean;
  /** Whether a hash asked for now would be refused at once (see `withHashQueue`); absent means never. */
  saturated?(): boolean;
}

/** Argon2id cost parameters. */
export interface Argon2Parameters {
  /** Memory in KiB. Default 19456 (19 MiB, OWASP). */
  memoryCostKiB: number;
  /** Iterations. Default 2 (OWASP). */
  timeCost: number;
  /** Lanes. Default 1 (OWASP). */
  parallelism: number;
}

/** OWASP Password Storage Cheat Sheet, Argon2id: m=19 MiB, t=2, p=1. */
export const OWASP_ARGON2_PARAMETERS: Readonly<Argon2Parameters> = Object.freeze({
  memoryCostKiB: 19456,
  timeCost: 2,
  parallelism: 1,
});

/**
 * An Argon2id {@link PasswordHasher} (`@node-rs/argon2`). Hashing runs on the
 * libuv thread pool, never on the event loop. Passwords are NFKC-normalised
 * first (NIST SP 800-63B §5.1.1.2), so the same password typed on two keyboards
 * that compose characters differently still matches.
 */
export function createArgon2Hasher(parameters: Argon2Parameters = OWASP_ARGON2_PARAMETERS): PasswordHasher {
  const options = {
    algorithm: ARGON2ID,
    memoryCost: parameters.memoryCostKiB,
    timeCost: parameters.timeCost,
    parallelism: parameters.parallelism,
  };
  const expected = `$argon2id$v=19$m=${parameters.memoryCostKiB},t=${parameters.timeCost},p=${parameters.parallelism}$`;
  return {
    hash: (password) => hash(password.normalize('NFKC'), options),
    async verify(phc, password) {
      try {
        return await verify(phc, password.normalize('NFKC'));
      } catch {
        return false;
      }
    },
    needsRehash: (phc) => !phc.startsWith(expected),
  };
}

/** What a new password must meet. */
export interface PasswordPolicy {
  /** Shortest password in characters, {@link PASSWORD_MIN_LENGTH_FLOOR} to 64. Default {@link PASSWORD_MIN_LENGTH}. */
  minLength: number;
}

/**
 * Checks a new password against the policy (NIST SP 800-63B-4 §3.1.1.2): at
 * least `minLength` characters, at most {@link PASSWORD_MAX_BYTES} bytes and
 * taken as given (no truncation), no composition rules, and not guessable:
 * common and breached passwords, dictionary words, keyboard walks, and the
 * username or service name are refused (zxcvbn score below {@link PASSWORD_MIN_SCORE}).
 *
 * @throws {GatehouseError} `ERR_WEAK_PASSWORD` with a message that says which rule failed.
 */
export function checkPasswordPolicy(password: string, options: { minLength?: number; username?: string } = {}): void {
  checkPasswordSize(password);
  const minLength = options.minLength ?? PASSWORD_MIN_LENGTH;
  const normalized = password.normalize('NFKC');
  if ([...normalized].length < minLength) {
    throw new GatehouseError('ERR_WEAK_PASSWORD', { message: `A password has at least ${minLength} characters.` });
  }
  if (scorePassword(normalized, options.username === undefined ? [] : [options.username]) < PASSWORD_MIN_SCORE) {
    throw new GatehouseError('ERR_WEAK_PASSWORD', {
      message:
        'This password is too easy to guess (a common password, words, names or a pattern): choose a longer passphrase.',
    });
  }
}

/**
 * Refuses a password longer than {@link PASSWORD_MAX_BYTES} before any hashing.
 *
 * @throws {GatehouseError} `ERR_VALIDATION`.
 */
export function checkPasswordSize(password: string): void {
  if (Buffer.byteLength(password, 'utf8') > PASSWORD_MAX_BYTES) {
    throw new GatehouseError('ERR_VALIDATION', {
      message: `A password has at most ${PASSWORD_MAX_BYTES} bytes.`,
      details: { field: 'password' },
    });
  }
}
