import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isDorsvrError } from '@dorsvr/scheduler';
import {
  parseRTCP,
  serializeRTCP,
  rtcpPacketSize,
  ntpFromUnixMicros,
  unixMicrosFromNTP,
  ntpMiddle32,
  SDES_CNAME,
  type RTCPPacket,
  type RTCPReportBlock,
} from '@dorsvr/livemedia';

function hex(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
}

// Built by hand from the RFC 3550 §6.4.1, §6.5, §6.6, §6.7 layouts, then checked with Wireshark's
// dissector (tshark 4.0 on a text2pcap capture of these exact bytes): SR from 0x12345678 at NTP
// "Jan 31, 2022 00:58:43.500000000 UTC", RTP 90000, 100 packets, 65536 octets; block for 0xdeadbeef:
// fraction 64/256, cumulative lost -2, cycles 1 / highest 5, jitter 291, LSR 0xb2c38000, DLSR 98304
// (1500 ms); SDES CNAME "a@b" then END; BYE 0x12345678 "bye"; APP subtype 3 "TEST" data 01020304;
// "RTCP frame length check: OK - 96 bytes".
const SR_VECTOR = hex(`
  81 c8 00 0c  12 34 56 78  e5 a1 b2 c3  80 00 00 00  00 01 5f 90  00 00 00 64  00 01 00 00
  de ad be ef  40 ff ff fe  00 01 00 05  00 00 01 23  b2 c3 80 00  00 01 80 00`);
const SDES_VECTOR = hex('81 ca 00 03  12 34 56 78  01 03 61 40 62 00 00 00');
const BYE_VECTOR = hex('81 cb 00 02  12 34 56 78  03 62 79 65');
const APP_VECTOR = hex('83 cc 00 03  12 34 56 78  54 45 53 54  01 02 03 04');
const COMPOUND = Uint8Array.from([...SR_VECTOR, ...SDES_VECTOR, ...BYE_VECTOR, ...APP_VECTOR]);

const EXPECTED: RTCPPacket[] = [
  {
    type: 'sr',
    ssrc: 0x12345678,
    ntp: { seconds: 0xe5a1b2c3, fraction: 0x80000000 },
    rtpTimestamp: 90000,
    packetCount: 100,
    octetCount: 65536,
    reports: [
      {
        ssrc: 0xdeadbeef,
        fractionLost: 64,
        cumulativeLost: -2,
        extendedHighestSeq: 0x10005,
        jitter: 0x123,
        lastSR: 0xb2c38000,
        delaySinceLastSR: 0x18000,
      },
    ],
  },
  { type: 'sdes', chunks: [{ ssrc: 0x12345678, items: [{ type: SDES_CNAME, value: 'a@b' }] }] },
  { type: 'bye', ssrcs: [0x12345678], reason: 'bye' },
  { type: 'app', subtype: 3, ssrc: 0x12345678, name: 'TEST', data: Uint8Array.of(1, 2, 3, 4) },
];

function plain(x: unknown): unknown {
  return JSON.parse(JSON.stringify(x, (_k, v: unknown) => (v instanceof Uint8Array ? Array.from(v) : v)));
}

test('a hand-built SR+SDES+BYE+APP compound packet parses field by field', () => {
  assert.deepEqual(plain(parseRTCP(COMPOUND)), plain(EXPECTED));
});

test('serializing the same packets gives exactly the hand-built bytes', () => {
  assert.deepEqual(serializeRTCP(EXPECTED), COMPOUND);
  assert.equal(rtcpPacketSize(EXPECTED[0]!), SR_VECTOR.length);
  assert.equal(rtcpPacketSize(EXPECTED[1]!), SDES_VECTOR.length);
});

test('an RR with no report blocks and a BYE without reason are 8 and 8 bytes', () => {
  const bytes = serializeRTCP([
    { type: 'rr', ssrc: 1, reports: [] },
    { type: 'bye', ssrcs: [1] },
  ]);
  assert.deepEqual(bytes, hex('80 c9 00 01 00 00 00 01  81 cb 00 01 00 00 00 01'));
});

test('SDES item whose text ends on a word boundary still gets a whole null word', () => {
  // ssrc(4) + 01 02 'ab' (4) = 8 bytes, then the null item needs 4 more for alignment.
  const bytes = serializeRTCP([{ type: 'sdes', chunks: [{ ssrc: 7, items: [{ type: 1, value: 'ab' }] }] }]);
  assert.deepEqual(bytes, hex('81 ca 00 03  00 00 00 07  01 02 61 62  00 00 00 00'));
});

test('SRs captured from ffmpeg 5.1 on loopback parse to what Wireshark dissects', () => {
  // tshark -i lo while `ffmpeg -re … -c:a pcm_mulaw -f rtp rtp://127.0.0.1:47010` ran; fields from
  // tshark -T fields -e rtcp.senderssrc -e rtcp.timestamp.ntp.msw/.lsw -e rtcp.timestamp.rtp
  // -e rtcp.sender.packetcount -e rtcp.sender.octetcount -e udp.payload.
  const captured: [string, number, number, number, number, number, number][] = [
    ['80c80006ebad9844eeb0023a26666666afa7dbe20000000000000000', 0xebad9844, 4004512314, 644245094, 2947013602, 0, 0],
    ['80c80006ebad9844eeb0023f45a1cac0afa87bf2000000780000a000', 0xebad9844, 4004512319, 1168231104, 2947054578, 120, 40960],
  ];
  for (const [bytes, ssrc, msw, lsw, rtpTs, packets, octets] of captured) {
    const parsed = parseRTCP(hex(bytes));
    assert.deepEqual(parsed, [
      { type: 'sr', ssrc, ntp: { seconds: msw, fraction: lsw }, rtpTimestamp: rtpTs, packetCount: packets, octetCount: octets, reports: [] },
    ]);
    assert.deepEqual(serializeRTCP(parsed), hex(bytes));
  }
});

test('padding on the last packet is honoured and removed', () => {
  // RR, P bit set, 4 bytes of padding (00 00 00 04) after the SSRC.
  const parsed = parseRTCP(hex('a0 c9 00 02 00 00 00 09 00 00 00 04'));
  assert.deepEqual(parsed, [{ type: 'rr', ssrc: 9, reports: [] }]);
});

test('unknown packet types (RTPFB NACK) are kept whole so the compound still parses', () => {
  const nack = hex('81 cd 00 03 00 00 00 01 00 00 00 02 00 05 00 00');
  const rr = hex('80 c9 00 01 00 00 00 01');
  const parsed = parseRTCP(Uint8Array.from([...rr, ...nack]));
  assert.equal(parsed[1]!.type, 'unknown');
  assert.deepEqual(serializeRTCP(parsed), Uint8Array.from([...rr, ...nack]));
});

test('malformed input throws ERR_RTCP_PARSE with a reason, never a RangeError', () => {
  const bad: [string, Uint8Array][] = [
    ['empty', new Uint8Array(0)],
    ['short', hex('80 c9 00')],
    ['version 1', hex('40 c9 00 01 00 00 00 01')],
    ['length past the buffer', hex('80 c9 00 05 00 00 00 01')],
    ['RR claims a block it lacks', hex('81 c9 00 01 00 00 00 01')],
    ['SR too short', hex('80 c8 00 01 00 00 00 01')],
    ['padding count 0', hex('a0 c9 00 01 00 00 00 00')],
    ['padding larger than packet', hex('a0 c9 00 01 00 00 00 09')],
    ['SDES without null item', hex('81 ca 00 02 00 00 00 01 01 02 61 62')],
    ['SDES item past end', hex('81 ca 00 02 00 00 00 01 01 09 61 62')],
    ['BYE reason past end', hex('81 cb 00 02 00 00 00 01 09 61 62 63')],
    ['trailing bytes', hex('80 c9 00 01 00 00 00 01 80 c9')],
    ['APP too short', hex('80 cc 00 01 00 00 00 01')],
  ];
  for (const [name, bytes] of bad) {
    assert.throws(() => parseRTCP(bytes), (e: unknown) => isDorsvrError(e, 'ERR_RTCP_PARSE'), name);
  }
});

test('fields that do not fit the wire throw ERR_RTCP_INVALID', () => {
  const block: RTCPReportBlock = {
    ssrc: 1, fractionLost: 0, cumulativeLost: 0x800000, extendedHighestSeq: 0, jitter: 0, lastSR: 0, delaySinceLastSR: 0,
  };
  const cases: RTCPPacket[] = [
    { type: 'rr', ssrc: 1, reports: [block] },
    { type: 'rr', ssrc: 1, reports: Array.from({ length: 32 }, () => ({ ...block, cumulativeLost: 0 })) },
    { type: 'sdes', chunks: [{ ssrc: 1, items: [{ type: 1, value: 'x'.repeat(256) }] }] },
    { type: 'app', subtype: 0, ssrc: 1, name: 'AB', data: new Uint8Array(0) },
    { type: 'app', subtype: 0, ssrc: 1, name: 'ABCD', data: new Uint8Array(3) },
    { type: 'rr', ssrc: -1, reports: [] },
  ];
  for (const p of cases) assert.throws(() => serializeRTCP([p]), (e: unknown) => isDorsvrError(e, 'ERR_RTCP_INVALID'));
});

test('NTP helpers: Unix epoch, half seconds, and the middle 32 bits used for LSR', () => {
  assert.deepEqual(ntpFromUnixMicros(0), { seconds: 2_208_988_800, fraction: 0 });
  assert.deepEqual(ntpFromUnixMicros(1_500_000), { seconds: 2_208_988_801, fraction: 0x80000000 });
  assert.equal(unixMicrosFromNTP({ seconds: 2_208_988_801, fraction: 0x40000000 }), 1_250_000);
  assert.equal(ntpMiddle32({ seconds: 0xe5a1b2c3, fraction: 0x80000000 }), 0xb2c38000);
  // The instant Wireshark shows for the SR vector's NTP timestamp.
  assert.equal(unixMicrosFromNTP({ seconds: 0xe5a1b2c3, fraction: 0x80000000 }), Date.UTC(2022, 0, 31, 0, 58, 43, 500) * 1000);
  // 2026-11-24T12:00:00.000001Z survives the round trip to the microsecond.
  const us = Date.UTC(2026, 10, 24, 12) * 1000 + 1;
  assert.equal(unixMicrosFromNTP(ntpFromUnixMicros(us)), us);
});

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const block = fc.record({
  ssrc: u32,
  fractionLost: fc.integer({ min: 0, max: 255 }),
  cumulativeLost: fc.integer({ min: -0x800000, max: 0x7fffff }),
  extendedHighestSeq: u32,
  jitter: u32,
  lastSR: u32,
  delaySinceLastSR: u32,
});
const words = fc.integer({ min: 0, max: 8 }).chain((n) => fc.uint8Array({ minLength: n * 4, maxLength: n * 4 }));
const sdesText = fc.string({ maxLength: 60, unit: 'grapheme' });
const packet: fc.Arbitrary<RTCPPacket> = fc.oneof(
  fc.record({
    type: fc.constant('sr' as const),
    ssrc: u32,
    ntp: fc.record({ seconds: u32, fraction: u32 }),
    rtpTimestamp: u32,
    packetCount: u32,
    octetCount: u32,
    reports: fc.array(block, { maxLength: 31 }),
  }),
  fc.record({ type: fc.constant('rr' as const), ssrc: u32, reports: fc.array(block, { maxLength: 31 }) }),
  fc.record({
    type: fc.constant('sdes' as const),
    chunks: fc.array(
      fc.record({ ssrc: u32, items: fc.array(fc.record({ type: fc.integer({ min: 1, max: 8 }), value: sdesText }), { maxLength: 4 }) }),
      { maxLength: 5 },
    ),
  }),
  fc.oneof(
    fc.record({ type: fc.constant('bye' as const), ssrcs: fc.array(u32, { maxLength: 31 }) }),
    fc.record({ type: fc.constant('bye' as const), ssrcs: fc.array(u32, { maxLength: 31 }), reason: sdesText }),
  ),
  fc.record({
    type: fc.constant('app' as const),
    subtype: fc.integer({ min: 0, max: 31 }),
    ssrc: u32,
    name: fc.stringMatching(/^[A-Z0-9 ]{4}$/),
    data: words,
  }),
);

test('property: any compound packet survives serialize → parse → serialize unchanged', () => {
  fc.assert(
    fc.property(fc.array(packet, { minLength: 1, maxLength: 6 }), (packets) => {
      const bytes = serializeRTCP(packets);
      const parsed = parseRTCP(bytes);
      assert.deepEqual(plain(parsed), plain(packets));
      assert.deepEqual(serializeRTCP(parsed), bytes);
    }),
    { numRuns: 300 },
  );
});

test('property: random or truncated bytes never throw anything but ERR_RTCP_PARSE', () => {
  const check = (bytes: Uint8Array): void => {
    try {
      parseRTCP(bytes);
    } catch (e) {
      if (!isDorsvrError(e, 'ERR_RTCP_PARSE')) throw e;
    }
  };
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), check), { numRuns: 2000 });
  fc.assert(
    fc.property(fc.array(packet, { minLength: 1, maxLength: 4 }), fc.nat(), fc.nat(), (packets, cut, flip) => {
      const bytes = serializeRTCP(packets);
      const mutated = bytes.slice(0, cut % (bytes.length + 1));
      if (mutated.length > 0) mutated[flip % mutated.length] = mutated[flip % mutated.length]! ^ 0xff;
      check(mutated);
    }),
    { numRuns: 1000 },
  );
});

test('property: NTP ↔ µs round trip is exact to the microsecond in era 0', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2_000_000_000 * 1_000_000 }), (us) => {
      assert.equal(unixMicrosFromNTP(ntpFromUnixMicros(us)), us);
    }),
  );
});
