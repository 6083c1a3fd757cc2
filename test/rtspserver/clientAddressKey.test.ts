import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clientAddressKey } from '@dorsvr/rtspserver';

test('clientAddressKey: an IPv4 address as is, an IPv6 address by its /64, mapped IPv4 as IPv4', () => {
  assert.equal(clientAddressKey('192.0.2.7'), '192.0.2.7');
  assert.equal(clientAddressKey('::ffff:192.0.2.7'), '192.0.2.7');
  assert.equal(clientAddressKey('2001:db8:0:1:aaaa:bbbb:cccc:dddd'), '2001:db8:0:1::/64');
  assert.equal(clientAddressKey('2001:db8:0:1::2'), '2001:db8:0:1::/64');
  assert.equal(clientAddressKey('2001:DB8:0000:0001:1::'), '2001:db8:0:1::/64');
  assert.equal(clientAddressKey('2001:db8::1'), '2001:db8:0:0::/64');
  assert.equal(clientAddressKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
  assert.equal(clientAddressKey('::1'), '0:0:0:0::/64');
  assert.equal(clientAddressKey('::'), '0:0:0:0::/64');
  assert.equal(clientAddressKey('64:ff9b::192.0.2.1'), '64:ff9b:0:0::/64');
  assert.equal(clientAddressKey('not an address'), 'not an address');
  // Privacy addresses of one host share a key; another /64 does not.
  assert.equal(clientAddressKey('2001:db8:5:6:1::1'), clientAddressKey('2001:db8:5:6:ffff::9'));
  assert.notEqual(clientAddressKey('2001:db8:5:6::1'), clientAddressKey('2001:db8:5:7::1'));
});
