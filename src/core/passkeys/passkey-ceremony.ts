import type * as SimpleWebAuthn from '@simplewebauthn/server';
import { randomFillSync } from 'node:crypto';
import { type Clock, hashSecret } from '../shared/index.js';
import { GatehouseError } from '../errors/index.js';
import { authenticatorName } from './passkey-authenticators.js';
import type { SessionOrigin } from '../sessions/index.js';
import type { PasskeyChallengeKind, PasskeyRecord, PasskeyStore } from '../store/index.js';

/**
 * What the passkey ceremonies share (core/passkey-registration.ts,
 * core/passkey-sign-in.ts): the relying party, the library, challenges,
 * and the passkey as its owner sees it. See core/passkeys.ts for the service.
 */

/** How long a ceremony may take between its options and its answer: a challenge lives this long, and is used once. */
export const PASSKEY_CHALLENGE_SECONDS = 300;
const NAME_MAX = 64;

/** Options of the passkey service (`createPasskeys` in core/passkeys.ts). */
export interface PasskeyOptions {
  /**
   * The relying party ID: the host name of the deployment's public URL (no
   * scheme, no port). A function when it is known only after listening.
   * Passkeys are bound to it: changing it makes every registered passkey useless.
   */
  rpId: string | (() => string);
  /** The origins (`https://host[:port]`) whose pages may run ceremonies; an answer from any other is refused. */
  origins: readonly string[] | (() => readonly string[]);
  /** The name browsers show for the relying party. Default `Gatehouse`. */
  rpName?: string;
  /** Roles whose holders, once they have a passkey, must sign in with it (a TOTP code no longer suffices). Default none. */
  requireForRoles?: readonly string[];
}

/** A passkey as shown to its owner: never the public key. */
export interface Passkey {
  id: string;
  name: string;
  createdAt: number;
  lastUsedAt: number | null;
  /** `multiDevice`: a synced passkey (a password manager); `singleDevice`: bound to one authenticator. */
  deviceType: string;
  backedUp: boolean;
  transports: string[];
  aaguid: string;
  /** The provider or model, from the AAGUID where known. */
  authenticator: string | null;
}

/** The relying party of every ceremony, read when each one runs (the listening URL is known only after start). */
export interface RelyingParty {
  name: string;
  id(): string;
  origins(): string[];
}

/** The {@link RelyingParty} that {@link PasskeyOptions} describe. */
export function relyingPartyOf(options: PasskeyOptions): RelyingParty {
  return {
    name: options.rpName ?? 'Gatehouse',
    id: () => (typeof options.rpId === 'function' ? options.rpId() : options.rpId),
    origins: () => [...(typeof options.origins === 'function' ? options.origins() : options.origins)],
  };
}

// The WebAuthn library (and its ASN.1 and X.509 machinery) loads on first use: start-up time is measured.
let library: Promise<typeof SimpleWebAuthn> | undefined;
/** `@simplewebauthn/server`, loaded once on first use. */
export const loadWebAuthn = () => (library ??= import('@simplewebauthn/server'));

/** Where a request came from, as audit events record it. */
export const where = (origin: SessionOrigin) => ({ ip: origin.ip ?? null, userAgent: origin.userAgent ?? null });

/** A passkey record as its owner sees it. */
export function toPasskey(record: PasskeyRecord): Passkey {
  return {
    id: record.id,
    name: record.name,
    createdAt: record.createdAt,
    lastUsedAt: record.lastUsedAt,
    deviceType: record.deviceType,
    backedUp: record.backedUp,
    transports: [...record.transports],
    aaguid: record.aaguid,
    authenticator: authenticatorName(record.aaguid),
  };
}

export /** The WebAuthn user handle of a user: their id's bytes (random, not personal), base64url as the browser returns it. */
function userHandleOf(userId: string): string {
  return Buffer.from(userId, 'utf8').toString('base64url');
}

export /** The challenge an answer signed (from its client data), or `null` when the answer is malformed. */
function challengeOf(response: { response?: { clientDataJSON?: unknown } } | null | undefined): string | null {
  const clientData = response?.response?.clientDataJSON;
  if (typeof clientData !== 'string' || clientData.length > 4096) return null;
  try {
    const challenge = (JSON.parse(Buffer.from(clientData, 'base64url').toString('utf8')) as { challenge?: unknown })
      .challenge;
    return typeof challenge === 'string' && /^[A-Za-z0-9_-]{1,128}$/.test(challenge) ? challenge : null;
  } catch {
    return null;
  }
}

export /** A passkey's name as typed: trimmed, 1 to 64 characters, no control characters. */
function parseName(name: string): string {
  const trimmed = name.normalize('NFC').trim();
  if (trimmed.length === 0 || trimmed.length > NAME_MAX || /[\u0000-\u001f\u007f]/.test(trimmed)) {
    throw new GatehouseError('ERR_VALIDATION', {
      message: `name: must be 1 to ${NAME_MAX} characters without control characters`,
      details: { field: 'name' },
    });
  }
  return trimmed;
}

/** Makes a new challenge for a ceremony and stores it by its hash; the bytes go into the options. */
export function challengeMaker(store: Pick<PasskeyStore, 'createPasskeyChallenge'>, clock: Clock) {
  return async function createChallenge(
    kind: PasskeyChallengeKind,
    userId: string | null,
    loginChallengeHash: string | null = null,
  ): Promise<Uint8Array<ArrayBuffer>> {
    const bytes = randomFillSync(new Uint8Array(32));
    const now = clock.now();
    await store.createPasskeyChallenge({
      challengeHash: hashSecret(Buffer.from(bytes).toString('base64url')),
      kind,
      userId,
      loginChallengeHash,
      createdAt: now,
      expiresAt: now + PASSKEY_CHALLENGE_SECONDS * 1000,
    });
    return bytes;
  };
}
