import { addressKey, type ThrottleKeys } from './throttle.js';

/** What an attempt checks: a password, a code of the second step (TOTP or recovery), or a passkey. */
export type AttemptKind = 'password' | 'code' | 'passkey';

/**
 * What an attempt is counted against, by what it checks. A password: the
 * account and the address, or a known browser's own allowance (`device`,
 * from a valid device cookie: see device-cookies.ts). A code: the account's
 * codes, apart from its passwords, so that wrong passwords from elsewhere
 * never block the second step of a right one (the codes keep their own
 * limit). A passkey, with nothing to guess and nothing to phish: counters of
 * its own, the address's too, so that password failures never block it.
 * Usernames hold no colon, so the prefixes cannot meet a real account's key.
 *
 * @example
 * attemptKeys('alice', '192.0.2.7', { kind: 'passkey' }) // { account: 'passkey:alice', ip: 'passkey:192.0.2.7' }
 */
export function attemptKeys(
  account: string,
  ip: string | null | undefined,
  options: { kind?: AttemptKind; device?: string | null; ipv6PrefixLength?: number } = {},
): ThrottleKeys {
  const address = addressKey(ip ?? 'unknown', options.ipv6PrefixLength);
  if (options.kind === 'passkey') return { account: `passkey:${account}`, ip: `passkey:${address}` };
  if (options.kind === 'code') return { account: `code:${account}`, ip: address };
  return options.device ? { account, ip: address, device: options.device } : { account, ip: address };
}
