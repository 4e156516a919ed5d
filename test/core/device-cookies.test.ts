import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { createDeviceCookies, DEVICE_COOKIE_LIFETIME_SECONDS } from '../../src/core/sign-in/device-cookies.js';

describe('device cookies', { timeout: 10_000 }, () => {
  let now = Date.UTC(2026, 11, 1);
  const masterKey = new Uint8Array(randomBytes(32));
  const devices = createDeviceCookies({ masterKey, clock: { now: () => now } });

  test('a cookie names its device for its own account only', () => {
    const value = devices.issue('alice');
    assert.match(value, /^[A-Za-z0-9_-]{22}\.\d+\.[A-Za-z0-9_-]{43}$/);
    const id = devices.read(value, 'alice');
    assert.equal(id, value.split('.')[0]);
    assert.equal(devices.read(value, 'bob'), null);
    assert.notEqual(devices.read(devices.issue('alice'), 'alice'), id, 'every cookie names a new device');
  });

  test('a tampered, forged or foreign cookie is none', () => {
    const value = devices.issue('alice');
    const [id, issuedAt, mac] = value.split('.') as [string, string, string];
    const other = createDeviceCookies({ masterKey: new Uint8Array(randomBytes(32)), clock: { now: () => now } });
    for (const bad of [
      `${id}.${Number(issuedAt) + 1}.${mac}`,
      `${randomBytes(16).toString('base64url')}.${issuedAt}.${mac}`,
      `${id}.${issuedAt}.${randomBytes(32).toString('base64url')}`,
      other.issue('alice'),
      `${value}.extra`,
      '',
      undefined,
    ]) {
      assert.equal(devices.read(bad, 'alice'), null, String(bad));
    }
  });

  test('a cookie is honoured for a year, and a few minutes ahead of the clock', () => {
    const value = devices.issue('alice');
    now += DEVICE_COOKIE_LIFETIME_SECONDS * 1000;
    assert.ok(devices.read(value, 'alice'));
    now += 1000;
    assert.equal(devices.read(value, 'alice'), null, 'expired');
    const ahead = devices.issue('alice');
    now -= 60_000;
    assert.ok(devices.read(ahead, 'alice'), 'another instance a minute ahead');
    now -= 3_600_000;
    assert.equal(devices.read(ahead, 'alice'), null, 'an hour ahead is not a clock');
  });
});
