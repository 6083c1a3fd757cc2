// A late H.264/H.265 reader's first access unit: its AUD, the parameter sets, then the rest of what
// the publisher put before the key frame in that access unit (SEI: x264 writes one there, see the
// fixtures), then the key frame — also when the reader began to wait after those arrived. The
// classification of payloads, and the relay on a virtual clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { h264KeyFramePrefix, h265KeyFramePrefix, parseRTPHeader, RELAY_MAX_PREFIX_PACKETS } from '@dorsvr/livemedia';
import { H264, H265, b64, play, relayFromSDP, rtpPacket, tcpReader } from './relayHelpers.js';

const SEI = Uint8Array.from([0x06, 0x05, 0x03, 0xaa, 0xbb, 0xcc, 0x80]);
const AUD = Uint8Array.from([0x09, 0xf0]);
const SEI265 = Uint8Array.from([0x4e, 0x01, 0x05, 0x02, 0xaa, 0xbb, 0x80]); // prefix SEI (39)
/** FU-A fragments of an SEI (start, end). */
const SEI_FU = [Uint8Array.from([0x7c, 0x86, 0x05, 0x03]), Uint8Array.from([0x7c, 0x46, 0xaa, 0x80])];

test('prefix kinds: SEI/AUD are kept (alone, fragmented, aggregated with parameter sets), parameter sets alone pass, slices end a prefix', () => {
  assert.equal(h264KeyFramePrefix(SEI), 1);
  assert.equal(h264KeyFramePrefix(AUD), 1);
  assert.equal(h264KeyFramePrefix(SEI_FU[0]!), 1);
  assert.equal(h264KeyFramePrefix(SEI_FU[1]!), 1);
  assert.equal(h264KeyFramePrefix(H264.sps), 2);
  assert.equal(h264KeyFramePrefix(H264.stapA(H264.sps, H264.pps)), 2);
  assert.equal(h264KeyFramePrefix(H264.stapA(H264.sps, H264.pps, SEI)), 1);
  assert.equal(h264KeyFramePrefix(H264.stapA(SEI, H264.p(1))), 0, 'an aggregate with a slice');
  assert.equal(h264KeyFramePrefix(H264.p(1)), 0);
  assert.equal(h264KeyFramePrefix(H264.idr), 0);
  assert.equal(h264KeyFramePrefix(H264.fuaStart), 0);
  assert.equal(h264KeyFramePrefix(Uint8Array.from([0x78, 0x00, 0x09, 0x67])), 0, 'a truncated STAP-A');
  assert.equal(h265KeyFramePrefix(SEI265), 1);
  assert.equal(h265KeyFramePrefix(H265.vps), 2);
  assert.equal(h265KeyFramePrefix(Uint8Array.from([0x62, 0x01, 0x80 | 39, 0xaa])), 1, 'an FU of a prefix SEI');
  assert.equal(h265KeyFramePrefix(H265.trail), 0);
  assert.equal(h265KeyFramePrefix(H265.fuStartCRA), 0);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), fc.boolean(), (bytes, donl) => {
      const a = h264KeyFramePrefix(bytes);
      const b = h265KeyFramePrefix(bytes, donl);
      return [0, 1, 2].includes(a) && [0, 1, 2].includes(b);
    }),
  );
});

const SDP264 = [
  'v=0',
  'o=- 0 0 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'm=video 0 RTP/AVP 96',
  'a=rtpmap:96 H264/90000',
  `a=fmtp:96 packetization-mode=1;sprop-parameter-sets=${b64(H264.sps)},${b64(H264.pps)}`,
  'a=control:streamid=0',
  '',
].join('\r\n');

const hex = (u: Uint8Array): string => Buffer.from(u).toString('hex');

test('a waiting reader starts with the key frame\'s AUD, the parameter sets, the SEI of its access unit, then the key frame, in one access unit', async () => {
  const r = relayFromSDP(SDP264);
  const a = await tcpReader(r.track);
  await play(r, r.track, a.stream);
  let seq = 10;
  const push = (payload: Uint8Array, ts: number, marker = false): void => r.track.pushRTP(rtpPacket({ seq: seq++, ts, payload, marker }));
  // An access unit that is not a key frame's: its SEI must not reach the reader.
  push(SEI, 3000);
  push(H264.p(1), 3000, true);
  // The key frame's: AUD, SPS/PPS/SEI aggregated (as ffmpeg sends them), an SEI in two fragments, the IDR.
  push(AUD, 6000);
  push(H264.stapA(H264.sps, H264.pps, SEI), 6000);
  push(SEI_FU[0]!, 6000);
  push(SEI_FU[1]!, 6000);
  push(H264.idr, 6000, true);
  push(H264.p(2), 9000, true);
  const got = a.conn.parsedRTP();
  assert.deepEqual(
    got.map((p) => hex(p.payload)),
    [AUD, H264.sps, H264.pps, SEI, SEI_FU[0]!, SEI_FU[1]!, H264.idr, H264.p(2)].map(hex),
  );
  // One access unit (one timestamp) up to the IDR, consecutive sequence numbers.
  assert.equal(new Set(got.slice(0, 7).map((p) => p.timestamp)).size, 1);
  for (let i = 1; i < got.length; i++) assert.equal(got[i]!.sequenceNumber, (got[i - 1]!.sequenceNumber + 1) & 0xffff);
  r.sms.close();
});

test('a reader whose wait begins after the key frame\'s SEI/AUD arrived (no reader, or only live ones, then) still gets them before the key frame', async () => {
  const r = relayFromSDP(SDP264);
  let seq = 500;
  const push = (payload: Uint8Array, ts: number, marker = false): void => r.track.pushRTP(rtpPacket({ seq: seq++, ts, payload, marker }));
  // Nobody reads yet: the key frame's AUD and SEI arrive, then a reader sets up and plays, then the IDR.
  push(AUD, 3000);
  push(SEI, 3000);
  const a = await tcpReader(r.track);
  await play(r, r.track, a.stream);
  push(H264.idr, 3000, true);
  push(H264.p(1), 6000, true);
  assert.deepEqual(a.conn.parsedRTP().map((p) => hex(p.payload)), [AUD, H264.sps, H264.pps, SEI, H264.idr, H264.p(1)].map(hex));
  // Now a reader plays (live, not waiting): the next key frame's SEI arrives, a second reader joins, the IDR.
  push(SEI, 9000);
  const b = await tcpReader(r.track);
  await play(r, r.track, b.stream);
  push(H264.idr, 9000, true);
  assert.deepEqual(b.conn.parsedRTP().map((p) => hex(p.payload)), [H264.sps, H264.pps, SEI, H264.idr].map(hex));
  // The live reader got the SEI and the IDR as they came, once each.
  assert.deepEqual(a.conn.parsedRTP().slice(6).map((p) => hex(p.payload)), [SEI, H264.idr].map(hex));
  r.sms.close();
});

test('H.265: an AUD and a prefix SEI that arrived before anyone waited precede a late reader\'s key frame, the AUD first', async () => {
  const SDP265 = [
    'v=0',
    'o=- 0 0 IN IP4 127.0.0.1',
    's=-',
    't=0 0',
    'm=video 0 RTP/AVP 96',
    'a=rtpmap:96 H265/90000',
    `a=fmtp:96 sprop-vps=${b64(H265.vps)};sprop-sps=${b64(H265.sps)};sprop-pps=${b64(H265.pps)}`,
    'a=control:streamid=0',
    '',
  ].join('\r\n');
  const AUD265 = Uint8Array.from([0x46, 0x01, 0x50]); // type 35
  const r = relayFromSDP(SDP265);
  let seq = 1;
  const push = (payload: Uint8Array, ts: number): void => r.track.pushRTP(rtpPacket({ seq: seq++, ts, payload }));
  push(AUD265, 3000);
  push(SEI265, 3000);
  const a = await tcpReader(r.track);
  await play(r, r.track, a.stream);
  push(H265.idr, 3000);
  assert.deepEqual(a.conn.parsedRTP().map((p) => hex(p.payload)), [AUD265, H265.vps, H265.sps, H265.pps, SEI265, H265.idr].map(hex));
  r.sms.close();
});

test('a prefix is only kept for its own access unit, and beyond its bounds none of it is sent', async () => {
  const r = relayFromSDP(SDP264);
  const a = await tcpReader(r.track);
  await play(r, r.track, a.stream);
  let seq = 100;
  const push = (payload: Uint8Array, ts: number): void => r.track.pushRTP(rtpPacket({ seq: seq++, ts, payload }));
  // An SEI of another timestamp, then the IDR: not the key frame's SEI.
  push(SEI, 1000);
  push(H264.idr, 2000);
  assert.deepEqual(a.conn.parsedRTP().map((p) => hex(p.payload)), [H264.sps, H264.pps, H264.idr].map(hex));
  // A second reader waiting while an access unit brings more SEI packets than the bound.
  const b = await tcpReader(r.track);
  await play(r, r.track, b.stream);
  for (let i = 0; i <= RELAY_MAX_PREFIX_PACKETS; i++) push(SEI, 5000);
  push(H264.idr, 5000);
  assert.deepEqual(b.conn.parsedRTP().map((p) => hex(p.payload)), [H264.sps, H264.pps, H264.idr].map(hex));
  r.sms.close();
});
