import type { Consents } from '../consents/index.js';
import type { PublicKeyCredentialCreationOptionsJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import type * as SimpleWebAuthn from '@simplewebauthn/server';
import type { AccountActor } from '../accounts/index.js';
import type { Actor, AuditLog } from '../audit/index.js';
import { type Clock, createId, hashSecret } from '../shared/index.js';
import { GatehouseError } from '../errors/index.js';
import type { CheckFailure, Login } from '../sign-in/index.js';
import {
  challengeMaker,
  challengeOf,
  loadWebAuthn,
  parseName,
  PASSKEY_CHALLENGE_SECONDS,
  toPasskey,
  where,
  type Passkey,
  type RelyingParty,
} from './passkey-ceremony.js';
import type { SessionService } from '../sessions/index.js';
import type { PasskeyRecord, PasskeyStore, SessionStore } from '../store/index.js';
import type { UserService } from '../users/index.js';

/** Adding a passkey needs a sign-in at most this long ago, or the current password. */
export const RECENT_SIGN_IN_SECONDS = 300;
/** The most passkeys one account may have. */
export const MAX_PASSKEYS_PER_USER = 20;
const TRANSPORTS = new Set(['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb']);

/**
 * The registration ceremony (WebAuthn §7.1): options for
 * `navigator.credentials.create()` after a recent sign-in or the password,
 * then the authenticator's answer checked and stored.
 */
export function createPasskeyRegistration({
  store,
  clock,
  audit,
  login,
  sessions,
  users,
  consents,
  relyingParty,
}: {
  store: PasskeyStore & Pick<SessionStore, 'findSessionById'>;
  clock: Clock;
  audit: AuditLog;
  login: Login;
  sessions: SessionService;
  users: UserService;
  /** Ends the account's app grants when its first passkey is added. */
  consents: Pick<Consents, 'endUserGrants'>;
  relyingParty: RelyingParty;
}) {
  const createChallenge = challengeMaker(store, clock);
  const userActor = ({ user, origin }: AccountActor): Actor => ({ id: user.id, kind: 'user', ...where(origin) });

  return {
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
      const recent = session !== null && clock.now() - session.authenticatedAt <= RECENT_SIGN_IN_SECONDS * 1000;
      if (!recent) {
        if (proof.password === undefined) throw new GatehouseError('ERR_RECENT_SIGN_IN_REQUIRED');
        const confirmed = await login.reauthenticate(actor.user.id, proof.password, actor.origin, actor.sessionId);
        if (confirmed.status !== 'confirmed') return confirmed;
      }
      const existing = await store.listPasskeys(actor.user.id);
      if (existing.length >= MAX_PASSKEYS_PER_USER) {
        throw new GatehouseError('ERR_VALIDATION', {
          message: `An account has at most ${MAX_PASSKEYS_PER_USER} passkeys; remove one first.`,
        });
      }
      const challenge = await createChallenge('registration', actor.user.id);
      const { generateRegistrationOptions } = await loadWebAuthn();
      const creation = await generateRegistrationOptions({
        rpName: relyingParty.name,
        rpID: relyingParty.id(),
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
        const { verifyRegistrationResponse } = await loadWebAuthn();
        const result = await verifyRegistrationResponse({
          response: input.response,
          expectedChallenge: challenge!,
          expectedOrigin: relyingParty.origins(),
          expectedRPID: relyingParty.id(),
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
      // …nor grants to apps made through them (issue #22): they end, offline ones included.
      if (first) await consents.endUserGrants(userId, { actor: userActor(actor), reason: 'passkey_added' });
      if (first) await users.touch(userId);
      await audit.record({
        type: 'passkey.register',
        ...audit.from(userActor(actor)),
        userId,
        detail: { passkeyId: record.id, name, aaguid, deviceType: credentialDeviceType, sessionsEnded },
      });
      return { passkey: toPasskey(record), sessionsEnded };
    },
  };
}
