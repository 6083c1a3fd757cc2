// RelayTrack.newSource(): a publisher that restarts (a proxy's back-end set up again) with the same
// SSRC and other sequence/timestamp bases — readers go on without a jump, H.264 readers from its key frame.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { H264, b64, play, relayFromSDP, rtpPacket, tcpReader } from './relayHelpers.js';

const OTHER_SDP = ['v=0', 'o=- 0 0 IN IP4 127.0.0.1', 's=-', 't=0 0', 'm=application 0 RTP/AVP 98', 'a=rtpmap:98 X-WEIRD/1000', ''].join('\r\n');
const H264_SDP = [
  'v=0',
  'o=- 0 0 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'm=video 0 RTP/AVP 96',
  'a=rtpmap:96 H264/90000',
  `a=fmtp:96 packetization-mode=1;sprop-parameter-sets=${b64(H264.sps)},${b64(H264.pps)}`,
  '',
].join('\r\n');

test('newSource: the same SSRC with new bases continues each reader (sequence +1, its clock from where it was)', async () => {
  const r = relayFromSDP(OTHER_SDP);
  const a = await tcpReader(r.track);
  const info = await play(r, r.track, a.stream);
  for (let i = 0; i < 5; i++) r.track.pushRTP(rtpPacket({ seq: 100 + i, ts: 1000 + i * 100, pt: 98, ssrc: 7, payload: [i] }));
  r.scheduler.advance(3_000_000);
  r.track.newSource();
  for (let i = 0; i < 3; i++) r.track.pushRTP(rtpPacket({ seq: 9 + i, ts: 50 + i * 100, pt: 98, ssrc: 7, payload: [i] }));
  const got = a.conn.parsedRTP();
  assert.equal(got.length, 8);
  for (let i = 0; i < 8; i++) assert.equal(got[i]!.sequenceNumber, (info.seq + i) & 0xffff);
  // The last packet before was at +400 on a 1 kHz clock; 3 s later that clock reads +3400.
  assert.equal((got[5]!.timestamp - info.rtptime) | 0, 3400);
  assert.equal((got[7]!.timestamp - got[5]!.timestamp) | 0, 200);
  assert.equal(r.track.stats.ssrcChanges, 1);
  r.sms.close();
});

test('without newSource the same restart is a sequence jump (what the hook is for)', async () => {
  const r = relayFromSDP(OTHER_SDP);
  const a = await tcpReader(r.track);
  const info = await play(r, r.track, a.stream);
  for (let i = 0; i < 5; i++) r.track.pushRTP(rtpPacket({ seq: 100 + i, ts: 1000 + i * 100, pt: 98, ssrc: 7, payload: [i] }));
  r.scheduler.advance(3_000_000);
  r.track.pushRTP(rtpPacket({ seq: 9, ts: 50, pt: 98, ssrc: 7, payload: [0] }));
  const got = a.conn.parsedRTP();
  assert.notEqual(got.at(-1)!.sequenceNumber, (info.seq + 5) & 0xffff);
  r.sms.close();
});

test('newSource on H.264: a live reader skips the new source\'s packets up to its IDR, gets SPS+PPS first, and its sequence goes on by one', async () => {
  const r = relayFromSDP(H264_SDP);
  const a = await tcpReader(r.track);
  const info = await play(r, r.track, a.stream);
  let seq = 500;
  r.track.pushRTP(rtpPacket({ seq: seq++, ts: 9000, ssrc: 3, payload: H264.idr, marker: true }));
  r.track.pushRTP(rtpPacket({ seq: seq++, ts: 12000, ssrc: 3, payload: H264.p(1), marker: true }));
  const before = a.conn.parsedRTP().length; // SPS, PPS, IDR, P
  assert.equal(before, 4);
  r.scheduler.advance(2_000_000);
  r.track.newSource();
  r.track.pushRTP(rtpPacket({ seq: 70, ts: 777, ssrc: 3, payload: H264.p(2), marker: true })); // not a key frame: skipped
  assert.equal(a.conn.parsedRTP().length, before);
  r.track.pushRTP(rtpPacket({ seq: 71, ts: 3777, ssrc: 3, payload: H264.idr, marker: true }));
  r.track.pushRTP(rtpPacket({ seq: 72, ts: 6777, ssrc: 3, payload: H264.p(3), marker: true }));
  const raw = a.conn.rtp();
  const got = a.conn.parsedRTP();
  assert.equal(got.length, before + 4);
  for (let i = 0; i < got.length; i++) assert.equal(got[i]!.sequenceNumber, (info.seq + i) & 0xffff, `packet ${i}`);
  assert.deepEqual([...raw[before]!.subarray(12)], [...H264.sps]);
  assert.deepEqual([...raw[before + 1]!.subarray(12)], [...H264.pps]);
  assert.deepEqual([...raw[before + 2]!.subarray(12)], [...H264.idr]);
  // The reader's clock: the last packet was at +3000 (90 kHz); 2 s later it reads about +183000.
  const at = (got[before + 2]!.timestamp - info.rtptime) | 0;
  assert.ok(at >= 3000 + 180_000 - 10 && at <= 3000 + 180_000 + 10, `IDR at +${at}`);
  assert.equal((got[before + 3]!.timestamp - got[before + 2]!.timestamp) | 0, 3000);
  r.sms.close();
});
