import { createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { type Clock, constantTimeEqual } from '../shared/index.js';

/** How long a device cookie is honoured after its sign-in, in seconds: one year. */
export const DEVICE_COOKIE_LIFETIME_SECONDS = 365 * 86_400;

/** How far ahead of this instance's clock another instance may have issued a cookie. */
const CLOCK_SKEW_SECONDS = 300;

// <device id: 16 random bytes>.<issued at: seconds>.<HMAC-SHA-256>, all base64url but the time.
const DEVICE_COOKIE = /^([A-Za-z0-9_-]{22})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/;

/**
 * Device cookies (OWASP "Slow Down Online Guessing Attacks with Device
 * Cookies"): a browser that signed in to an account before carries a value
 * that names it and the account; its wrong passwords count against that
 * device's own allowance, not against the account-wide counter that locks
 * the account for unknown browsers. So a burst from elsewhere does not lock
 * the owner out of their known browser, and the known browser still cannot
 * guess without end.
 *
 * The value is a random device id, the time it was issued and an
 * HMAC-SHA-256 of both and the account, under a key derived from the master
 * key: nothing is stored, and it cannot be forged, altered, moved to another
 * account or kept past {@link DEVICE_COOKIE_LIFETIME_SECONDS}. It is not a
 * credential: it only says which counter a failed password goes to.
 */
export interface DeviceCookies {
  /** A new value for a browser that just signed in to `account` (its {@link deviceBinding}). */
  issue(account: string): string;
  /** The device id of `value` when it is a valid, unexpired cookie of `account`; else `null` (treated as none). */
  read(value: string | undefined, account: string): string | null;
}

/**
 * What a device cookie is bound to: the account's name, its id and its
 * password hash. A password change or reset (a new hash) voids every device
 * cookie of the account, so cookies collected by someone who once had the
 * password give no allowance against the new one; a deleted account's name,
 * taken again, is another account.
 */
export function deviceBinding(record: { usernameKey: string; id: string; passwordHash: string }): string {
  return `${record.usernameKey}\u0000${record.id}\u0000${record.passwordHash}`;
}

/**
 * Device cookies under a key derived from `masterKey` (HKDF, RFC 5869, a
 * key of their own: the master key is never used for two purposes), so every
 * instance of a deployment accepts the cookies of the others.
 *
 * @example
 * const devices = createDeviceCookies({ masterKey, clock: systemClock });
 * devices.read(devices.issue('alice'), 'alice'); // the device id
 * devices.read(devices.issue('alice'), 'bob'); // null
 */
export function createDeviceCookies({ masterKey, clock }: { masterKey: Uint8Array; clock: Clock }): DeviceCookies {
  const key = Buffer.from(hkdfSync('sha256', masterKey, new Uint8Array(0), 'gatehouse device cookies v1', 32));
  // NUL appears in no username, id or hash, so the fields cannot run into each other.
  const mac = (account: string, id: string, issuedAt: string) =>
    createHmac('sha256', key).update(`${account}\u0000${id}\u0000${issuedAt}`, 'utf8').digest('base64url');
  const nowSeconds = () => Math.floor(clock.now() / 1000);

  return {
    issue(account) {
      const id = randomBytes(16).toString('base64url');
      const issuedAt = String(nowSeconds());
      return `${id}.${issuedAt}.${mac(account, id, issuedAt)}`;
    },
    read(value, account) {
      const parts = value === undefined ? null : DEVICE_COOKIE.exec(value);
      if (!parts) return null;
      const [, id, issuedAt, presented] = parts as unknown as [string, string, string, string];
      if (!constantTimeEqual(presented, mac(account, id, issuedAt))) return null;
      const age = nowSeconds() - Number(issuedAt);
      // A few minutes ahead are another instance's clock, not a forgery.
      return age >= -CLOCK_SKEW_SECONDS && age <= DEVICE_COOKIE_LIFETIME_SECONDS ? id : null;
    },
  };
}
