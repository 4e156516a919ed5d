import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addressKey } from '../../src/core/sign-in/throttle.js';

test('per-address keys: IPv4 as it is, IPv4-mapped as IPv4, IPv6 by its /64 (or the configured prefix)', () => {
  const cases: [string, number, string][] = [
    ['203.0.113.9', 64, '203.0.113.9'],
    ['::ffff:203.0.113.9', 64, '203.0.113.9'],
    ['2001:db8:1:2:3:4:5:6', 64, '2001:db8:1:2::/64'],
    ['2001:DB8:1:2::ffff', 64, '2001:db8:1:2::/64'],
    ['2001:db8:1:2::1', 48, '2001:db8:1::/48'],
    ['2001:db8:1:2::1', 128, '2001:db8:1:2::1/128'],
    ['fe80::1%eth0', 64, 'fe80::/64'],
    ['64:ff9b::192.0.2.1', 128, '64:ff9b::c000:201/128'],
  ];
  for (const [ip, prefix, key] of cases) assert.equal(addressKey(ip, prefix), key, `${ip} /${prefix}`);
  // Every address of one /64 is one key; the next /64 is another.
  assert.equal(addressKey('2001:db8:7:9::a'), addressKey('2001:db8:7:9:ffff:ffff:ffff:fffe'));
  assert.notEqual(addressKey('2001:db8:7:9::a'), addressKey('2001:db8:7:a::a'));
  // Not an address at all: kept as given (it is a key, not parsed further).
  assert.equal(addressKey('unknown'), 'unknown');
  assert.equal(addressKey('garbage:::x'), 'garbage:::x');
});

test('defect 9: an IPv4-mapped address has one key, written dotted, in hex or in full', () => {
  const key = addressKey('198.51.100.7');
  assert.equal(key, '198.51.100.7');
  for (const written of [
    '::ffff:198.51.100.7',
    '::ffff:c633:6407',
    '::FFFF:C633:6407',
    '0:0:0:0:0:ffff:c633:6407',
    '0000:0000:0000:0000:0000:ffff:198.51.100.7',
  ])
    assert.equal(addressKey(written), key, written);
  // Not mapped: an IPv4-compatible or NAT64 address is an IPv6 one.
  assert.equal(addressKey('::c633:6407', 128), '::c633:6407/128');
  assert.equal(addressKey('::fffe:c633:6407', 128), '::fffe:c633:6407/128');
});
