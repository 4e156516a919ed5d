import { compactDecrypt, CompactEncrypt } from 'jose';
import { createHmac, hkdfSync, randomBytes } from 'node:crypto';
import type * as Otplib from 'otplib';
import { type Clock, hashSecret } from '../shared/index.js';
import { GatehouseError } from '../errors/index.js';
import type { TwoFactorStore } from '../store/index.js';

/** TOTP as every authenticator app reads it (RFC 6238 defaults): SHA-1, 6 digits, 30-second steps. */
const PERIOD_SECONDS = 30;
/** One step either side of now: a phone clock a little off, or a code typed as it changed. */
const TOLERANCE_SECONDS = PERIOD_SECONDS;
/** How many recovery codes an enrolment gives. */
export const RECOVERY_CODE_COUNT = 10;
const RECOVERY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';

/** Options of {@link createTwoFactor}. */
export interface TwoFactorOptions {
  /** 32 bytes that encrypt TOTP secrets at rest (the deployment's master key). */
  masterKey: Uint8Array;
  /** The name authenticator apps show beside the account. Default `Gatehouse`. */
  issuer?: string;
}

/** Where a user stands with two-factor sign-in. */
export interface TwoFactorStatus {
  enabled: boolean;
  /** An enrolment was started and not yet confirmed with a code. */
  pending: boolean;
  recoveryCodesLeft: number;
}

/** Which second factor a sign-in used. */
export type SecondFactor = 'totp' | 'recovery_code';

/** The two-factor service; see {@link createTwoFactor}. */
export type TwoFactor = ReturnType<typeof createTwoFactor>;

// otplib (and its crypto) loads on first use: most starts never check a code, and start-up time is measured.
let otplib: Promise<typeof Otplib> | undefined;
const loadOtplib = () => (otplib ??= import('otplib'));

/** Marks a recovery code stored as an HMAC; codes stored before it are plain SHA-256 and still accepted. */
const RECOVERY_HASH_PREFIX = 'h1:';

/** A code as typed: spaces and dashes dropped, letters lower-cased. */
function normalizeCode(code: string): string {
  return code.replace(/[\s-]/g, '').toLowerCase();
}

/** 50 bits from the CSPRNG in two groups of five (`k7pq2-mx9rt`); no 0/o, 1/l/i to misread. */
function createRecoveryCode(): string {
  const bytes = randomBytes(10);
  const chars = [...bytes].map((byte) => RECOVERY_ALPHABET[byte % RECOVERY_ALPHABET.length]);
  return `${chars.slice(0, 5).join('')}-${chars.slice(5).join('')}`;
}

/**
 * Two-factor sign-in with TOTP (RFC 6238) and one-time recovery codes.
 *
 * The TOTP secret is kept encrypted under the master key (AES-256-GCM via JWE
 * `dir`), never shown again after enrolment. A code is accepted once: the
 * time step it belongs to is recorded atomically, so it cannot be replayed on
 * this or another instance. Recovery codes are random (50 bits) and kept as
 * HMAC-SHA-256 under a key derived from the master key, so a copy of the
 * database alone cannot be searched for them (50 bits is within reach of an
 * offline search of a plain hash); each works once.
 */
export function createTwoFactor({
  store,
  clock,
  options,
}: {
  store: TwoFactorStore;
  clock: Clock;
  options: TwoFactorOptions;
}) {
  const issuer = options.issuer ?? 'Gatehouse';
  // A key of its own for recovery codes (HKDF, RFC 5869): the master key itself is never used for two purposes.
  const recoveryKey = Buffer.from(
    hkdfSync('sha256', options.masterKey, new Uint8Array(0), 'gatehouse recovery codes v1', 32),
  );
  const recoveryHash = (code: string) =>
    `${RECOVERY_HASH_PREFIX}${createHmac('sha256', recoveryKey).update(code, 'utf8').digest('base64url')}`;

  async function encrypt(secret: string): Promise<string> {
    return new CompactEncrypt(new TextEncoder().encode(secret))
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
      .encrypt(options.masterKey);
  }

  async function decrypt(secretJwe: string): Promise<string> {
    const { plaintext } = await compactDecrypt(secretJwe, options.masterKey, {
      keyManagementAlgorithms: ['dir'],
      contentEncryptionAlgorithms: ['A256GCM'],
    }).catch((cause: unknown) => {
      throw new GatehouseError('ERR_CONFIG', {
        message: 'invalid configuration: masterKey: it cannot decrypt the stored two-factor secrets',
        cause,
      });
    });
    return new TextDecoder().decode(plaintext);
  }

  /** The time step a TOTP code is valid for now, or `null` when it is wrong. Does not record it. */
  async function matchTotp(secretJwe: string, code: string, afterStep: number): Promise<number | null> {
    if (!/^[0-9]{6}$/.test(code)) return null;
    const epoch = Math.floor(clock.now() / 1000);
    // The last used step is ahead of every step valid now (an instance whose clock runs ahead recorded it, or the
    // clock went back): no code can be valid; otplib would throw on such a step rather than answer.
    if (afterStep >= Math.floor((epoch + TOLERANCE_SECONDS) / PERIOD_SECONDS)) return null;
    const { verify } = await loadOtplib();
    const result = await verify({
      secret: await decrypt(secretJwe),
      token: code,
      epoch,
      epochTolerance: TOLERANCE_SECONDS,
      afterTimeStep: afterStep,
    });
    // A TOTP result carries the time step it matched (the HOTP variant of the type does not).
    return result.valid ? (result as { timeStep: number }).timeStep : null;
  }

  return {
    /** Whether the user has two-factor sign-in, and how many recovery codes are left. */
    async status(userId: string): Promise<TwoFactorStatus> {
      const record = await store.findTwoFactor(userId);
      return {
        enabled: record?.confirmedAt != null,
        pending: record !== null && record.confirmedAt === null,
        recoveryCodesLeft: record?.confirmedAt != null ? await store.countUnusedRecoveryCodes(userId) : 0,
      };
    },

    /**
     * Starts an enrolment: a new secret, and the `otpauth://` URI an
     * authenticator app scans (as a QR code) or the secret it is typed from.
     * Starting again replaces an unconfirmed enrolment.
     * @throws {GatehouseError} `ERR_TWO_FACTOR_ENABLED` when it is already on.
     */
    async beginEnrollment(user: { id: string; username: string }): Promise<{ secret: string; uri: string }> {
      const { generateSecret, generateURI } = await loadOtplib();
      const secret = generateSecret({ length: 20 });
      const stored = await store.putPendingTwoFactor({
        userId: user.id,
        secretJwe: await encrypt(secret),
        confirmedAt: null,
        lastStep: 0,
        createdAt: clock.now(),
      });
      if (!stored) throw new GatehouseError('ERR_TWO_FACTOR_ENABLED');
      return { secret, uri: generateURI({ issuer, label: user.username, secret }) };
    },

    /** The enrolment waiting for its confirming code, to show again (a mistyped code); `null` when none. */
    async pendingEnrollment(user: { id: string; username: string }): Promise<{ secret: string; uri: string } | null> {
      const record = await store.findTwoFactor(user.id);
      if (!record || record.confirmedAt !== null) return null;
      const secret = await decrypt(record.secretJwe);
      const { generateURI } = await loadOtplib();
      return { secret, uri: generateURI({ issuer, label: user.username, secret }) };
    },

    /**
     * Turns two-factor sign-in on once the user proves their app has the
     * secret, and returns the recovery codes: shown this once, kept hashed.
     * @throws {GatehouseError} `ERR_TWO_FACTOR_NOT_PENDING`, `ERR_INVALID_CODE`.
     */
    async confirmEnrollment(userId: string, code: string): Promise<{ recoveryCodes: string[] }> {
      const record = await store.findTwoFactor(userId);
      if (!record || record.confirmedAt !== null) throw new GatehouseError('ERR_TWO_FACTOR_NOT_PENDING');
      const step = await matchTotp(record.secretJwe, normalizeCode(code), record.lastStep);
      if (step === null) throw new GatehouseError('ERR_INVALID_CODE');
      const recoveryCodes = Array.from({ length: RECOVERY_CODE_COUNT }, createRecoveryCode);
      const confirmed = await store.confirmTwoFactor(
        userId,
        clock.now(),
        step,
        recoveryCodes.map((item) => recoveryHash(normalizeCode(item))),
      );
      if (!confirmed) throw new GatehouseError('ERR_TWO_FACTOR_NOT_PENDING');
      return { recoveryCodes };
    },

    /** Turns two-factor sign-in off (or cancels an enrolment); `false` when there was none. */
    disable(userId: string): Promise<boolean> {
      return store.deleteTwoFactor(userId);
    },

    /** Whether sign-in must ask this user for a second factor. */
    async isRequired(userId: string): Promise<boolean> {
      return (await store.findTwoFactor(userId))?.confirmedAt != null;
    },

    /**
     * Checks a second factor and uses it up: a TOTP code (its time step is
     * recorded, so it works once) or a recovery code. `null` when wrong.
     */
    async useCode(userId: string, code: string): Promise<SecondFactor | null> {
      const record = await store.findTwoFactor(userId);
      if (!record || record.confirmedAt === null) return null;
      const typed = normalizeCode(code);
      if (typed.length === 0 || typed.length > 64) return null;
      const step = await matchTotp(record.secretJwe, typed, record.lastStep);
      if (step !== null) return (await store.advanceTwoFactorStep(userId, step)) ? 'totp' : null;
      const now = clock.now();
      // Codes made before they were kept as HMACs are plain SHA-256: accepted until they are used or replaced.
      const used =
        (await store.useRecoveryCode(userId, recoveryHash(typed), now)) ||
        (await store.useRecoveryCode(userId, hashSecret(typed), now));
      return used ? 'recovery_code' : null;
    },
  };
}
