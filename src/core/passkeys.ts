import type * as SimpleWebAuthn from '@simplewebauthn/server';
import type {
  AuthenticationResponseJSON,
  AuthenticatorTransport,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { randomFillSync } from 'node:crypto';
import type { AccountActor } from './account.js';
import type { Actor, AuditLog } from './audit.js';
import type { Clock } from './clock.js';
import { GatehouseError } from './errors.js';
import type { CheckFailure, Login, LoginResult, SecondFactorResult } from './login.js';
import { authenticatorName } from './passkey-authenticators.js';
import { createId, hashSecret } from './secrets.js';
import type { SessionOrigin, SessionService } from './sessions.js';
import type {
  PasskeyChallengeKind,
  PasskeyRecord,
  PasskeyStore,
  SessionStore,
  TwoFactorStore,
  UserStore,
} from './store/index.js';
import { changedBy, type UserService } from './users.js';

export type { AuthenticationResponseJSON, RegistrationResponseJSON };

/** How long a ceremony may take between its options and its answer: a challenge lives this long, and is used once. */
export const PASSKEY_CHALLENGE_SECONDS = 300;
/** Adding a passkey needs a sign-in at most this long ago, or the current password. */
export const RECENT_SIGN_IN_SECONDS = 300;
/** The most passkeys one account may have. */
export const MAX_PASSKEYS_PER_USER = 20;
const NAME_MAX = 64;
const TRANSPORTS = new Set(['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb']);

/** Options of {@link createPasskeys}. */
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

/** The passkey service; see {@link createPasskeys}. */
export type Passkeys = ReturnType<typeof createPasskeys>;

// The WebAuthn library (and its ASN.1 and X.509 machinery) loads on first use: start-up time is measured.
let library: Promise<typeof SimpleWebAuthn> | undefined;
const loadLibrary = () => (library ??= import('@simplewebauthn/server'));

function toPasskey(record: PasskeyRecord): Passkey {
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

/** The WebAuthn user handle of a user: their id's bytes (random, not personal), base64url as the browser returns it. */
function userHandleOf(userId: string): string {
  return Buffer.from(userId, 'utf8').toString('base64url');
}

/** The challenge an answer signed (from its client data), or `null` when the answer is malformed. */
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

/** A passkey's name as typed: trimmed, 1 to 64 characters, no control characters. */
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

/**
 * Passkeys (WebAuthn Level 3) through `@simplewebauthn/server`: the
 * registration and authentication ceremonies, and the rules around them.
 *
 * - Challenges are made here (32 random bytes), stored server-side by
 *   their SHA-256, live {@link PASSKEY_CHALLENGE_SECONDS} and are used once
 *   (deleted before the answer is checked): any instance finishes a
 *   ceremony another began, and of concurrent answers to one challenge only
 *   one is checked at all.
 * - User verification is required; attestation is `none`; discoverable
 *   credentials are preferred, so that a passkey signs in without a name.
 * - The signature counter must move forward (WebAuthn §6.1.1): one that
 *   does not is refused and audited as a possibly cloned authenticator. The
 *   stored counter is updated compare-and-set, so two uses cannot share one value.
 * - A sign-in with a passkey is throttled, audited and recorded (`amr`
 *   `hwk user`) like one with a password, through {@link Login}.
 */
export function createPasskeys({
  store,
  clock,
  audit,
  login,
  sessions,
  users,
  options,
}: {
  store: PasskeyStore &
    Pick<SessionStore, 'findSessionById'> &
    Pick<UserStore, 'findUserById'> &
    Pick<TwoFactorStore, 'findLoginChallenge'>;
  clock: Clock;
  audit: AuditLog;
  login: Login;
  sessions: SessionService;
  users: UserService;
  options: PasskeyOptions;
}) {
  const rpName = options.rpName ?? 'Gatehouse';
  const rpId = () => (typeof options.rpId === 'function' ? options.rpId() : options.rpId);
  const origins = () => [...(typeof options.origins === 'function' ? options.origins() : options.origins)];
  const requireForRoles = options.requireForRoles ?? [];
  const where = (origin: SessionOrigin) => ({ ip: origin.ip ?? null, userAgent: origin.userAgent ?? null });
  const userActor = ({ user, origin }: AccountActor): Actor => ({ id: user.id, kind: 'user', ...where(origin) });

  /** A new challenge for a ceremony, stored by its hash; the bytes go into the options. */
  async function createChallenge(
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
  }

  /**
   * Checks an assertion of `passkey` against the challenge it signed
   * (`expected`: whom it was made for) and records the use. A wrong answer
   * is a value with its reason, for the audit log.
   */
  async function verifyAssertion(
    response: AuthenticationResponseJSON,
    passkey: PasskeyRecord,
    expected: { userId: string | null; loginChallengeHash: string | null },
    origin: SessionOrigin,
  ): Promise<{ right: boolean; reason?: string }> {
    const challenge = challengeOf(response);
    const pending = challenge === null ? null : await store.takePasskeyChallenge(hashSecret(challenge), clock.now());
    if (
      !pending ||
      pending.kind !== 'authentication' ||
      pending.userId !== expected.userId ||
      pending.loginChallengeHash !== expected.loginChallengeHash
    ) {
      return { right: false, reason: 'passkey_challenge' };
    }
    // WebAuthn §7.2 step 6: a passkey that identified the user must name them as the one its row belongs to.
    const handle = response.response?.userHandle;
    if (handle ? handle !== userHandleOf(passkey.userId) : expected.userId === null) {
      return { right: false, reason: 'passkey_user_handle' };
    }
    let info: { newCounter: number; credentialDeviceType: string; credentialBackedUp: boolean } | null = null;
    try {
      const { verifyAuthenticationResponse } = await loadLibrary();
      const result = await verifyAuthenticationResponse({
        response,
        expectedChallenge: challenge!,
        expectedOrigin: origins(),
        expectedRPID: rpId(),
        // The counter rule is ours (below), so that a regression is told apart from a bad signature and audited.
        credential: {
          id: passkey.credentialId,
          publicKey: new Uint8Array(Buffer.from(passkey.publicKey, 'base64url')),
          counter: 0,
          transports: passkey.transports as AuthenticatorTransport[],
        },
        requireUserVerification: true,
      });
      if (result.verified) info = result.authenticationInfo;
    } catch {
      info = null;
    }
    if (!info) return { right: false, reason: 'invalid_assertion' };
    const presented = info.newCounter;
    if ((presented > 0 || passkey.counter > 0) && presented <= passkey.counter) {
      // WebAuthn §6.1.1: a counter that does not move forward signals a cloned authenticator.
      await audit.record({
        type: 'passkey.counter_regressed',
        userId: passkey.userId,
        ...where(origin),
        detail: { passkeyId: passkey.id, storedCounter: passkey.counter, presentedCounter: presented },
      });
      return { right: false, reason: 'counter_regressed' };
    }
    // The BE flag is fixed for a credential's life (WebAuthn §6.1): a change means another authenticator.
    if (info.credentialDeviceType !== passkey.deviceType) return { right: false, reason: 'backup_eligibility' };
    const recorded = await store.recordPasskeyUse(passkey.id, {
      expectedCounter: passkey.counter,
      counter: presented,
      backedUp: info.credentialBackedUp,
      usedAt: clock.now(),
    });
    return recorded ? { right: true } : { right: false, reason: 'concurrent_use' };
  }

  /** The passkey an answer names, with its user; `null` when unknown (the challenge is used up all the same). */
  async function passkeyOf(response: AuthenticationResponseJSON): Promise<PasskeyRecord | null> {
    const id = typeof response?.id === 'string' && response.id.length <= 1024 ? response.id : null;
    const passkey = id === null ? null : await store.findPasskeyByCredentialId(id);
    if (!passkey) {
      const challenge = challengeOf(response);
      if (challenge !== null) await store.takePasskeyChallenge(hashSecret(challenge), clock.now());
    }
    return passkey;
  }

  /** Refuses removing the last passkey of an account whose role requires one. */
  function isRequiredFor(roles: readonly string[]): boolean {
    return roles.some((role) => requireForRoles.includes(role));
  }

  return {
    /** The relying party ID in force (the public URL's host). */
    rpId,

    /** Whether holders of `roles` must sign in with a passkey once they have one. */
    isRequiredFor,

    /** A user's passkeys, oldest first. */
    async list(userId: string): Promise<Passkey[]> {
      return (await store.listPasskeys(userId)).map(toPasskey);
    },

    /**
     * Starts adding a passkey: the options for `navigator.credentials.create()`.
     * Needs a sign-in within {@link RECENT_SIGN_IN_SECONDS}, or the current
     * password (checked and throttled like a sign-in): a stolen, older session
     * must not add its own passkey.
     * @throws {GatehouseError} `ERR_RECENT_SIGN_IN_REQUIRED` (neither), `ERR_VALIDATION` (too many passkeys).
     */
    async beginRegistration(
      actor: AccountActor,
      proof: { password?: string } = {},
    ): Promise<{ status: 'started'; options: PublicKeyCredentialCreationOptionsJSON } | CheckFailure> {
      const session = await store.findSessionById(actor.sessionId);
      const recent = session !== null && clock.now() - session.createdAt <= RECENT_SIGN_IN_SECONDS * 1000;
      if (!recent) {
        if (proof.password === undefined) throw new GatehouseError('ERR_RECENT_SIGN_IN_REQUIRED');
        const confirmed = await login.reauthenticate(actor.user.id, proof.password, actor.origin);
        if (confirmed.status !== 'confirmed') return confirmed;
      }
      const existing = await store.listPasskeys(actor.user.id);
      if (existing.length >= MAX_PASSKEYS_PER_USER) {
        throw new GatehouseError('ERR_VALIDATION', {
          message: `An account has at most ${MAX_PASSKEYS_PER_USER} passkeys; remove one first.`,
        });
      }
      const challenge = await createChallenge('registration', actor.user.id);
      const { generateRegistrationOptions } = await loadLibrary();
      const creation = await generateRegistrationOptions({
        rpName,
        rpID: rpId(),
        userName: actor.user.username,
        userDisplayName: actor.user.username,
        userID: new Uint8Array(Buffer.from(actor.user.id, 'utf8')),
        challenge,
        timeout: PASSKEY_CHALLENGE_SECONDS * 1000,
        attestationType: 'none',
        // The same authenticator is not registered twice.
        excludeCredentials: existing.map((passkey) => ({ id: passkey.credentialId, transports: passkey.transports })),
        authenticatorSelection: { residentKey: 'preferred', userVerification: 'required' },
      });
      return { status: 'started', options: creation };
    },

    /**
     * Finishes adding a passkey: checks the authenticator's answer to the
     * challenge {@link beginRegistration} made for this user (origin, RP ID,
     * user verification) and stores the credential. The first passkey ends
     * the user's other sessions (a password alone no longer signs in).
     * @throws {GatehouseError} `ERR_VALIDATION` (the name), `ERR_PASSKEY_REFUSED`, `ERR_PASSKEY_EXISTS`.
     */
    async finishRegistration(
      actor: AccountActor,
      input: { name: string; response: RegistrationResponseJSON },
    ): Promise<{ passkey: Passkey; sessionsEnded: number }> {
      const name = parseName(input.name);
      const userId = actor.user.id;
      const refuse = async (reason: string, code: 'ERR_PASSKEY_REFUSED' | 'ERR_PASSKEY_EXISTS') => {
        await audit.record({
          type: 'passkey.refused',
          ...audit.from(userActor(actor)),
          userId,
          detail: { ceremony: 'registration', reason },
        });
        return new GatehouseError(code);
      };
      const challenge = challengeOf(input.response);
      const pending = challenge === null ? null : await store.takePasskeyChallenge(hashSecret(challenge), clock.now());
      if (!pending || pending.kind !== 'registration' || pending.userId !== userId)
        throw await refuse('challenge', 'ERR_PASSKEY_REFUSED');
      let info: Extract<Awaited<ReturnType<typeof SimpleWebAuthn.verifyRegistrationResponse>>, { verified: true }>;
      try {
        const { verifyRegistrationResponse } = await loadLibrary();
        const result = await verifyRegistrationResponse({
          response: input.response,
          expectedChallenge: challenge!,
          expectedOrigin: origins(),
          expectedRPID: rpId(),
          requireUserVerification: true,
        });
        if (!result.verified) throw new Error('not verified');
        info = result;
      } catch {
        throw await refuse('invalid_attestation', 'ERR_PASSKEY_REFUSED');
      }
      const { credential, credentialDeviceType, credentialBackedUp, aaguid } = info.registrationInfo;
      const reported = Array.isArray(input.response.response?.transports) ? input.response.response.transports : [];
      const first = (await store.listPasskeys(userId)).length === 0;
      const record: PasskeyRecord = {
        id: createId(),
        userId,
        credentialId: credential.id,
        publicKey: Buffer.from(credential.publicKey).toString('base64url'),
        counter: credential.counter,
        transports: [...new Set(reported.filter((item) => TRANSPORTS.has(item)))].sort(),
        deviceType: credentialDeviceType,
        backedUp: credentialBackedUp,
        aaguid,
        name,
        createdAt: clock.now(),
        lastUsedAt: null,
      };
      if (!(await store.createPasskey(record))) throw await refuse('already_registered', 'ERR_PASSKEY_EXISTS');
      // As when two-factor sign-in is turned on: sessions opened with the password alone are not ones the owner vouches for.
      const sessionsEnded = first ? await sessions.revokeUserSessions(userId, { keepSessionId: actor.sessionId }) : 0;
      if (first) await users.touch(userId);
      await audit.record({
        type: 'passkey.register',
        ...audit.from(userActor(actor)),
        userId,
        detail: { passkeyId: record.id, name, aaguid, deviceType: credentialDeviceType, sessionsEnded },
      });
      return { passkey: toPasskey(record), sessionsEnded };
    },

    /**
     * The options for `navigator.credentials.get()`. Without `challenge`, a
     * passwordless sign-in: no user is named and any discoverable passkey
     * may answer (nothing says which accounts exist). With the challenge of
     * a password sign-in waiting for its second factor: that user's passkeys.
     * @throws {GatehouseError} `ERR_TWO_FACTOR_CHALLENGE` for an unknown, used or expired sign-in challenge.
     */
    async beginAuthentication(input: { challenge?: string } = {}): Promise<PublicKeyCredentialRequestOptionsJSON> {
      let allowCredentials: { id: string; transports: string[] }[] | undefined;
      let challenge: Uint8Array<ArrayBuffer>;
      if (input.challenge === undefined) {
        challenge = await createChallenge('authentication', null);
      } else {
        const loginChallengeHash = hashSecret(input.challenge);
        const pending = await store.findLoginChallenge(loginChallengeHash, clock.now());
        if (!pending) throw new GatehouseError('ERR_TWO_FACTOR_CHALLENGE');
        allowCredentials = (await store.listPasskeys(pending.userId)).map((passkey) => ({
          id: passkey.credentialId,
          transports: passkey.transports,
        }));
        challenge = await createChallenge('authentication', pending.userId, loginChallengeHash);
      }
      const { generateAuthenticationOptions } = await loadLibrary();
      return generateAuthenticationOptions({
        rpID: rpId(),
        challenge,
        timeout: PASSKEY_CHALLENGE_SECONDS * 1000,
        userVerification: 'required',
        ...(allowCredentials && { allowCredentials }),
      });
    },

    /**
     * Signs in with a passkey alone (a passwordless sign-in begun with
     * {@link beginAuthentication} without a challenge): one `refused` for
     * every kind of wrong, throttled against the account like a password.
     */
    async signIn(
      response: AuthenticationResponseJSON,
      origin: SessionOrigin = {},
    ): Promise<(LoginResult & { status: 'signed-in' }) | CheckFailure> {
      const passkey = await passkeyOf(response);
      const record = passkey && (await store.findUserById(passkey.userId));
      if (!passkey || !record) {
        await audit.record({
          type: 'login.failure',
          ...where(origin),
          detail: { reason: 'unknown_passkey', method: 'passkey' },
        });
        return { status: 'refused' };
      }
      return login.signInWithPasskey(record, origin, () =>
        verifyAssertion(response, passkey, { userId: null, loginChallengeHash: null }, origin),
      );
    },

    /**
     * Answers a password sign-in's second step with a passkey of that user
     * (a passkey of anyone else is refused), instead of a TOTP code.
     */
    async completeSignIn(
      loginChallenge: string,
      response: AuthenticationResponseJSON,
      origin: SessionOrigin = {},
    ): Promise<SecondFactorResult> {
      return login.completeWithPasskey(loginChallenge, origin, async (record) => {
        const passkey = await passkeyOf(response);
        if (!passkey || passkey.userId !== record.id) {
          // Another user's credential: its challenge (made for this sign-in) is used up all the same.
          const challenge = challengeOf(response);
          if (passkey && challenge !== null) await store.takePasskeyChallenge(hashSecret(challenge), clock.now());
          return false;
        }
        const expected = { userId: record.id, loginChallengeHash: hashSecret(loginChallenge) };
        return (await verifyAssertion(response, passkey, expected, origin)).right;
      });
    },

    /**
     * Renames one of the user's own passkeys.
     * @throws {GatehouseError} `ERR_VALIDATION`, `ERR_PASSKEY_NOT_FOUND` (also for another user's).
     */
    async rename(actor: AccountActor, id: string, name: string): Promise<Passkey> {
      const clean = parseName(name);
      if (!(await store.renamePasskey(actor.user.id, id, clean))) throw new GatehouseError('ERR_PASSKEY_NOT_FOUND');
      await audit.record({
        type: 'passkey.rename',
        ...audit.from(userActor(actor)),
        userId: actor.user.id,
        detail: { passkeyId: id, name: clean },
      });
      const renamed = (await store.listPasskeys(actor.user.id)).find((passkey) => passkey.id === id);
      if (!renamed) throw new GatehouseError('ERR_PASSKEY_NOT_FOUND');
      return toPasskey(renamed);
    },

    /**
     * Removes one of the user's own passkeys. The last one of an account
     * whose role requires a passkey cannot go: that would leave it a sign-in
     * its role refuses.
     * @throws {GatehouseError} `ERR_PASSKEY_NOT_FOUND` (also for another user's), `ERR_LAST_SIGN_IN_METHOD`.
     */
    async remove(actor: AccountActor, id: string): Promise<void> {
      const own = await store.listPasskeys(actor.user.id);
      if (!own.some((passkey) => passkey.id === id)) throw new GatehouseError('ERR_PASSKEY_NOT_FOUND');
      if (own.length === 1 && isRequiredFor(actor.user.roles)) throw new GatehouseError('ERR_LAST_SIGN_IN_METHOD');
      if (!(await store.deletePasskey(actor.user.id, id))) throw new GatehouseError('ERR_PASSKEY_NOT_FOUND');
      await users.touch(actor.user.id);
      await audit.record({
        type: 'passkey.remove',
        ...audit.from(userActor(actor)),
        userId: actor.user.id,
        detail: { passkeyId: id, by: 'self' },
      });
    },

    /**
     * Removes every passkey of a user, for one who lost them: they sign in
     * with their password (and TOTP, if on) and may add new ones.
     * @throws {GatehouseError} `ERR_FORBIDDEN` (an administrator's own), `ERR_USER_NOT_FOUND`.
     */
    async removeAll(userId: string, actor: Actor): Promise<number> {
      if (actor.kind === 'user' && actor.id === userId) {
        throw new GatehouseError('ERR_FORBIDDEN', {
          message: 'Administrators remove their own passkeys from the account page, not the admin routes.',
        });
      }
      if (!(await store.findUserById(userId))) throw new GatehouseError('ERR_USER_NOT_FOUND');
      const count = await store.deleteUserPasskeys(userId);
      if (count > 0) {
        await users.touch(userId);
        await audit.record({
          type: 'passkey.remove',
          ...audit.from(actor),
          userId,
          detail: { count, by: changedBy(actor, userId) },
        });
      }
      return count;
    },
  };
}
