// The relay's RTCP on a virtual clock: RRs and BYE to the publisher, SRs to readers mapped from the
// publisher's (lip sync across tracks), readers' RRs as statistics, BYE and 'end' on end().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ntpFromUnixMicros,
  parseRTCP,
  serializeRTCP,
  unixMicrosFromNTP,
  type RTCPPacket,
  type RTCPSenderReport,
} from '@dorsvr/livemedia';
import { play, relayFromSDP, rtpPacket, tcpReader } from './relayHelpers.js';

const AV_SDP = [
  'v=0',
  'o=- 0 0 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'm=video 0 RTP/AVP 96',
  'a=rtpmap:96 VP8/90000',
  'a=control:streamid=0',
  'm=audio 0 RTP/AVP 97',
  'a=rtpmap:97 opus/48000/2',
  'a=control:streamid=1',
  '',
].join('\r\n');

function lastSR(packets: RTCPPacket[][]): RTCPSenderReport {
  for (let i = packets.length - 1; i >= 0; i--) {
    const sr = packets[i]!.find((p) => p.type === 'sr');
    if (sr && sr.type === 'sr') return sr;
  }
  assert.fail('no SR sent to the reader');
}

test('receiver reports go to the publisher about what it sent, at most 5 s apart; end() sends it a BYE', () => {
  const r = relayFromSDP(AV_SDP);
  const out: RTCPPacket[][] = [];
  r.track.on('rtcpToPublisher', (p) => out.push(parseRTCP(p)));
  const ssrc = 0xcafe0001;
  for (let i = 0; i < 50; i++) {
    if (i === 20) continue; // one lost
    r.track.pushRTP(rtpPacket({ seq: 65500 + i, ts: i * 3000, pt: 96, ssrc, payload: [i] }));
  }
  r.scheduler.advance(5_000_000);
  assert.ok(out.length >= 1, 'a report within 5 s');
  const rr = out.at(-1)!.find((p) => p.type === 'rr');
  assert.ok(rr && rr.type === 'rr');
  const block = rr.reports.find((b) => b.ssrc === ssrc);
  assert.ok(block, 'a report block about the publisher\'s SSRC');
  assert.equal(block.extendedHighestSeq, 65536 + ((65500 + 49) & 0xffff), 'extended highest seq across the wrap');
  assert.equal(block.cumulativeLost, 1);
  assert.ok(out.at(-1)!.some((p) => p.type === 'sdes'));
  const n = out.length;
  r.scheduler.advance(5_000_000);
  assert.ok(out.length > n, 'the next one within 5 s again');
  r.sms.end();
  const last = out.at(-1)!;
  assert.ok(last.some((p) => p.type === 'bye'), 'BYE to the publisher on end()');
  r.sms.close();
});

test('sender reports to readers carry the publisher\'s NTP↔RTP mapping moved to each reader\'s timestamps: tracks stay in sync', async () => {
  const r = relayFromSDP(AV_SDP);
  const [video, audio] = r.sms.tracks as [typeof r.track, typeof r.track];
  const rv = await tcpReader(video);
  const ra = await tcpReader(audio);
  const iv = await play(r, video, rv.stream);
  const ia = await play(r, audio, ra.stream);
  // The publisher's first packets: video ts 1 000 000, audio ts 7 000 000.
  video.pushRTP(rtpPacket({ seq: 1, ts: 1_000_000, pt: 96, ssrc: 1, payload: [1] }));
  audio.pushRTP(rtpPacket({ seq: 1, ts: 7_000_000, pt: 97, ssrc: 2, payload: [1] }));
  // Reader timestamp = publisher's + offset, the offset fixed by the first packet (= RTP-Info).
  const offV = (iv.rtptime - 1_000_000) >>> 0;
  const offA = (ia.rtptime - 7_000_000) >>> 0;

  // Before any publisher SR: the mapping comes from arrival times. The video packet arrived at
  // wall time W0 with ts 1 000 000.
  const w0 = r.scheduler.wallClockUs();
  r.scheduler.advance(1_500_000);
  r.sms.tracks[0]!.readers[0]!.rtcp!.sendReport();
  {
    const sr = lastSR(rv.conn.rtcp());
    assert.equal(sr.ssrc, rv.stream.ssrc);
    assert.equal(sr.packetCount, 1);
    const tAt = unixMicrosFromNTP(sr.ntp) - (((sr.rtpTimestamp - ((1_000_000 + offV) >>> 0)) | 0) * 1e6) / 90_000;
    assert.ok(Math.abs(tAt - w0) < 100, `arrival mapping: ${tAt - w0} µs off`);
  }

  // The publisher's SRs: the same instant N is video ts 1 090 000 and audio ts 7 048 000.
  const ntp = ntpFromUnixMicros(Date.UTC(2030, 0, 1) * 1000);
  const arrival = r.scheduler.wallClockUs();
  video.pushRTCP(serializeRTCP([{ type: 'sr', ssrc: 1, ntp, rtpTimestamp: 1_090_000, packetCount: 10, octetCount: 100, reports: [] }]));
  audio.pushRTCP(serializeRTCP([{ type: 'sr', ssrc: 2, ntp, rtpTimestamp: 7_048_000, packetCount: 10, octetCount: 100, reports: [] }]));
  // Readers' SRs at different later times.
  r.scheduler.advance(2_000_000);
  video.readers[0]!.rtcp!.sendReport();
  r.scheduler.advance(1_234_567);
  audio.readers[0]!.rtcp!.sendReport();
  const sv = lastSR(rv.conn.rtcp());
  const sa = lastSR(ra.conn.rtcp());
  // Wall time, by each reader's SR, of the instant the publisher called N.
  const tv = unixMicrosFromNTP(sv.ntp) - (((sv.rtpTimestamp - ((1_090_000 + offV) >>> 0)) | 0) * 1e6) / 90_000;
  const ta = unixMicrosFromNTP(sa.ntp) - (((sa.rtpTimestamp - ((7_048_000 + offA) >>> 0)) | 0) * 1e6) / 48_000;
  assert.ok(Math.abs(tv - ta) < 100, `video and audio ${tv - ta} µs apart`);
  assert.ok(Math.abs(tv - arrival) < 100, `the SR's instant is where it arrived: ${tv - arrival} µs off`);
  r.sms.close();
});

test('a reader\'s receiver reports are signs of life and its statistics', async () => {
  const r = relayFromSDP(AV_SDP);
  const a = await tcpReader(r.track);
  let lifeSigns = 0;
  a.stream.on('rtcp', () => lifeSigns++);
  await play(r, r.track, a.stream);
  r.track.pushRTP(rtpPacket({ seq: 1, ts: 0, pt: 96, payload: [1] }));
  const rr = serializeRTCP([
    {
      type: 'rr',
      ssrc: 0x5555,
      reports: [{ ssrc: a.stream.ssrc!, fractionLost: 64, cumulativeLost: 3, extendedHighestSeq: 10, jitter: 900, lastSR: 0, delaySinceLastSR: 0 }],
    },
  ]);
  r.track.subsession.handleIncomingRTCP(a.stream, rr);
  assert.equal(lifeSigns, 1);
  assert.equal(a.stream.stats.receiverReports, 1);
  assert.equal(a.stream.stats.fractionLost, 0.25);
  assert.equal(a.stream.stats.cumulativeLost, 3);
  assert.equal(a.stream.stats.jitterSeconds, 900 / 90_000);
  r.sms.close();
});

test('end(): no more packets or readers, every reader gets an RTCP BYE after the BYE delay and its stream ends', async () => {
  const r = relayFromSDP(AV_SDP, { byeDelayUs: 300_000 });
  const a = await tcpReader(r.track);
  const b = await tcpReader(r.track);
  const ended: string[] = [];
  a.stream.on('end', () => ended.push('a'));
  b.stream.on('end', () => ended.push('b'));
  let trackEnd = 0;
  r.track.on('end', () => trackEnd++);
  await play(r, r.track, a.stream);
  // b is set up, never played: it ends too.
  r.track.pushRTP(rtpPacket({ seq: 1, ts: 0, pt: 96, payload: [1] }));
  r.sms.end();
  r.sms.end();
  assert.equal(trackEnd, 1);
  r.track.pushRTP(rtpPacket({ seq: 2, ts: 3000, pt: 96, payload: [2] }));
  assert.equal(a.conn.rtp().length, 1, 'nothing relayed after end()');
  await assert.rejects(tcpReader(r.track), (err: { code?: string; status?: number }) => err.code === 'ERR_RELAY_ENDED' && err.status === 404);
  assert.deepEqual(ended, []);
  r.scheduler.advance(299_999);
  assert.deepEqual(ended, []);
  r.scheduler.advance(1);
  assert.deepEqual(ended.sort(), ['a', 'b']);
  const bye = a.conn.rtcp().flat().find((p) => p.type === 'bye');
  assert.ok(bye && bye.type === 'bye' && bye.ssrcs.includes(a.stream.ssrc!));
  const first = a.conn.rtcp().find((c) => c.some((p) => p.type === 'bye'))!;
  assert.equal(first[0]!.type, 'sr', 'the BYE comes after a last SR (a compound packet starts with a report)');
  assert.equal(a.stream.playing, false);
  r.sms.close();
});

test('a publisher SR that comes before its first RTP packet is used once that packet names the same SSRC', async () => {
  const r = relayFromSDP(AV_SDP);
  const a = await tcpReader(r.track);
  const info = await play(r, r.track, a.stream);
  const arrival = r.scheduler.wallClockUs();
  r.track.pushRTCP(
    serializeRTCP([{ type: 'sr', ssrc: 9, ntp: ntpFromUnixMicros(Date.UTC(2031, 0, 1) * 1000), rtpTimestamp: 500_000, packetCount: 0, octetCount: 0, reports: [] }]),
  );
  r.scheduler.advance(1_000_000);
  // One second later the first packet, whose timestamp says 2 s after the SR's instant.
  r.track.pushRTP(rtpPacket({ seq: 1, ts: 680_000, pt: 96, ssrc: 9, payload: [1] }));
  const off = (info.rtptime - 680_000) >>> 0;
  r.scheduler.advance(500_000);
  r.track.readers[0]!.rtcp!.sendReport();
  const sr = lastSR(a.conn.rtcp());
  const t = unixMicrosFromNTP(sr.ntp) - (((sr.rtpTimestamp - ((500_000 + off) >>> 0)) | 0) * 1e6) / 90_000;
  assert.ok(Math.abs(t - arrival) < 100, `mapped from the early SR: ${t - arrival} µs off`);
  r.sms.close();
});

test('publisherReports: false (a track fed by a local source) sends the publisher nothing, its SRs still map', async () => {
  const r = relayFromSDP(AV_SDP, { publisherReports: false });
  let toPublisher = 0;
  r.track.on('rtcpToPublisher', () => toPublisher++);
  const a = await tcpReader(r.track);
  const info = await play(r, r.track, a.stream);
  r.track.pushRTP(rtpPacket({ seq: 1, ts: 680_000, pt: 96, ssrc: 9, payload: [1] }));
  const arrival = r.scheduler.wallClockUs();
  r.track.pushRTCP(
    serializeRTCP([{ type: 'sr', ssrc: 9, ntp: ntpFromUnixMicros(Date.UTC(2031, 0, 1) * 1000), rtpTimestamp: 500_000, packetCount: 0, octetCount: 0, reports: [] }]),
  );
  r.track.pushRTCP(Uint8Array.from([0x80, 201, 0, 9]));
  assert.equal(r.track.malformedRTCPPackets, 1);
  r.scheduler.advance(12_000_000);
  r.track.readers[0]!.rtcp!.sendReport();
  const off = (info.rtptime - 680_000) >>> 0;
  const sr = lastSR(a.conn.rtcp());
  const t = unixMicrosFromNTP(sr.ntp) - (((sr.rtpTimestamp - ((500_000 + off) >>> 0)) | 0) * 1e6) / 90_000;
  assert.ok(Math.abs(t - arrival) < 100, `${t - arrival} µs off`);
  r.sms.end();
  assert.equal(toPublisher, 0);
  r.sms.close();
});
