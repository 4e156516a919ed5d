import type {
  AuthenticationResponseJSON,
  AuthenticatorTransport,
  PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/server';
import type { AuditLog } from '../audit/index.js';
import { type Clock, hashSecret } from '../shared/index.js';
import { GatehouseError } from '../errors/index.js';
import type { CheckFailure, Login, LoginResult, SecondFactorResult } from '../sign-in/index.js';
import {
  challengeMaker,
  challengeOf,
  loadWebAuthn,
  PASSKEY_CHALLENGE_SECONDS,
  userHandleOf,
  where,
  type RelyingParty,
} from './passkey-ceremony.js';
import type { SessionOrigin } from '../sessions/index.js';
import type { PasskeyRecord, PasskeyStore, TwoFactorStore, UserStore } from '../store/index.js';

/**
 * The authentication ceremony (WebAuthn §7.2): a sign-in with a passkey
 * alone, or as the second step of a password sign-in, through {@link Login}
 * (throttled, on counters of its own, audited and recorded like a password sign-in).
 */
export function createPasskeySignIn({
  store,
  clock,
  audit,
  login,
  relyingParty,
}: {
  store: PasskeyStore & Pick<UserStore, 'findUserById'> & Pick<TwoFactorStore, 'findLoginChallenge'>;
  clock: Clock;
  audit: AuditLog;
  login: Login;
  relyingParty: RelyingParty;
}) {
  const createChallenge = challengeMaker(store, clock);

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
      const { verifyAuthenticationResponse } = await loadWebAuthn();
      const result = await verifyAuthenticationResponse({
        response,
        expectedChallenge: challenge!,
        expectedOrigin: relyingParty.origins(),
        expectedRPID: relyingParty.id(),
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

  return {
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
      const { generateAuthenticationOptions } = await loadWebAuthn();
      return generateAuthenticationOptions({
        rpID: relyingParty.id(),
        challenge,
        timeout: PASSKEY_CHALLENGE_SECONDS * 1000,
        userVerification: 'required',
        ...(allowCredentials && { allowCredentials }),
      });
    },

    /**
     * Signs in with a passkey alone (a passwordless sign-in begun with
     * {@link beginAuthentication} without a challenge): one `refused` for
     * every kind of wrong, throttled like a password on the account's passkey counters.
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
  };
}
