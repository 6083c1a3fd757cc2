import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isDorsvrError } from '@dorsvr/scheduler';
import {
  addressFamily,
  formatHostPort,
  isMulticastAddress,
  isSourceSpecificMulticastAddress,
  parseHostPort,
  socketTypeFor,
} from '@dorsvr/groupsock';

test('parseHostPort: IPv4, IPv6 in brackets, bare IPv6, names, default port', () => {
  assert.deepEqual(parseHostPort('192.168.1.10:554'), { host: '192.168.1.10', port: 554, family: 4 });
  assert.deepEqual(parseHostPort('[::1]:8554'), { host: '::1', port: 8554, family: 6 });
  assert.deepEqual(parseHostPort('[fe80::1%eth0]:554'), { host: 'fe80::1%eth0', port: 554, family: 6 });
  assert.deepEqual(parseHostPort('[2001:db8::5]', 554), { host: '2001:db8::5', port: 554, family: 6 });
  assert.deepEqual(parseHostPort('2001:db8::5', 554), { host: '2001:db8::5', port: 554, family: 6 });
  assert.deepEqual(parseHostPort('camera.local:0'), { host: 'camera.local', port: 0, family: 0 });
  assert.deepEqual(parseHostPort('camera.local', 554), { host: 'camera.local', port: 554, family: 0 });
  assert.deepEqual(parseHostPort('10.0.0.1:65535'), { host: '10.0.0.1', port: 65535, family: 4 });
});

test('parseHostPort: bad input is a DorsvrError ERR_GROUPSOCK_ADDRESS, never anything else', () => {
  const bad = ['', ':554', '1.2.3.4:', '1.2.3.4:65536', '1.2.3.4:-1', '1.2.3.4:5x', '[::1', '[::1]554', '[1.2.3.4]:5',
    '2001:db8::zz', 'a b:5', 'host:1:2', '[::1]:', 'x'.repeat(2000), 'camera.local'];
  for (const s of bad) {
    assert.throws(() => parseHostPort(s), (e: unknown) => isDorsvrError(e, 'ERR_GROUPSOCK_ADDRESS'), JSON.stringify(s.slice(0, 40)));
  }
  fc.assert(
    fc.property(fc.string({ maxLength: 60 }), (s) => {
      try {
        const r = parseHostPort(s, 1);
        assert.ok(r.port >= 0 && r.port <= 65535 && r.host.length > 0);
      } catch (e) {
        assert.ok(isDorsvrError(e, 'ERR_GROUPSOCK_ADDRESS'), String(e));
      }
    }),
  );
});

test('formatHostPort round-trips through parseHostPort for IPv4, IPv6 and names', () => {
  assert.equal(formatHostPort('::1', 554), '[::1]:554');
  assert.equal(formatHostPort('127.0.0.1', 8554), '127.0.0.1:8554');
  fc.assert(
    fc.property(fc.oneof(fc.ipV4(), fc.ipV6(), fc.domain()), fc.integer({ min: 0, max: 65535 }), (host, port) => {
      const p = parseHostPort(formatHostPort(host, port));
      assert.equal(p.host, host);
      assert.equal(p.port, port);
    }),
  );
});

test('multicast checks and family detection', () => {
  for (const a of ['224.0.0.1', '232.1.2.3', '239.255.255.255', 'ff02::1', 'ff3e::8000:1', 'FF05::2']) {
    assert.equal(isMulticastAddress(a), true, a);
  }
  for (const a of ['223.255.255.255', '240.0.0.1', '127.0.0.1', '::1', 'fe80::1', '::', 'example.com', '', '224.0.0']) {
    assert.equal(isMulticastAddress(a), false, a);
  }
  assert.equal(isSourceSpecificMulticastAddress('232.0.1.1'), true);
  assert.equal(isSourceSpecificMulticastAddress('239.0.1.1'), false);
  assert.equal(isSourceSpecificMulticastAddress('ff3e::1'), true);
  assert.equal(isSourceSpecificMulticastAddress('ff0e::1'), false);
  assert.equal(addressFamily('10.1.2.3'), 4);
  assert.equal(addressFamily('::ffff:10.1.2.3'), 6);
  assert.equal(addressFamily('localhost'), 0);
  assert.equal(socketTypeFor('::1'), 'udp6');
  assert.equal(socketTypeFor('127.0.0.1'), 'udp4');
});
