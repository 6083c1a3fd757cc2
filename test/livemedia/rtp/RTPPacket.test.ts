import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isDorsvrError } from '@dorsvr/scheduler';
import { parseRTPHeader, writeRTPHeader, rtpHeaderLength } from '@dorsvr/livemedia';

test('RFC 3550 header round trip with CSRCs, extension and padding', () => {
  const h = {
    marker: true,
    payloadType: 96,
    sequenceNumber: 65535,
    timestamp: 0xfffffff0,
    ssrc: 0xdeadbeef,
    csrcs: [1, 2],
    extension: { profile: 0xbede, data: Uint8Array.from([1, 2, 3, 4]) },
  };
  const len = rtpHeaderLength(h);
  assert.equal(len, 12 + 8 + 8);
  const pkt = new Uint8Array(len + 5);
  writeRTPHeader(h, pkt);
  pkt.set([9, 9, 0, 0, 3], len); // 2 payload bytes + 3 bytes of padding
  pkt[0]! |= 0x20;
  assert.deepEqual([...pkt.subarray(0, 4)], [0xb2, 0xe0, 0xff, 0xff]);
  const p = parseRTPHeader(pkt);
  assert.equal(p.marker, true);
  assert.equal(p.sequenceNumber, 65535);
  assert.equal(p.timestamp, 0xfffffff0);
  assert.equal(p.ssrc, 0xdeadbeef);
  assert.deepEqual(p.csrcs, [1, 2]);
  assert.deepEqual([...p.extension!.data], [1, 2, 3, 4]);
  assert.deepEqual([...p.payload], [9, 9]);
  assert.equal(p.paddingLength, 3);
});

test('random bytes never throw anything but ERR_RTP_PACKET', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      try {
        const p = parseRTPHeader(bytes);
        assert.ok(p.headerLength + p.payload.length + p.paddingLength === bytes.length);
      } catch (err) {
        assert.ok(isDorsvrError(err, 'ERR_RTP_PACKET'), String(err));
      }
    }),
    { numRuns: 2000 },
  );
});
