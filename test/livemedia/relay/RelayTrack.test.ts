// The relay's packet path on a virtual clock: per-reader headers, sequence continuity, untouched
// payload bytes, any codec, late H.264/H.265 joiners, RTP-Info, pause/leave, malformed input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseRTPHeader } from '@dorsvr/livemedia';
import { H264, H265, b64, play, relayFromSDP, rtpPacket, tcpReader, FakeConnection } from './relayHelpers.js';

const UNKNOWN_SDP = [
  'v=0',
  'o=- 0 0 IN IP4 127.0.0.1',
  's=Published by a camera',
  't=0 0',
  'm=application 0 RTP/AVP 98',
  'a=rtpmap:98 X-WEIRD/1000',
  'a=fmtp:98 mode=fancy;level=7',
  'a=x-private:keep-me',
  'a=control:streamid=0',
  'a=sendonly',
  'a=ssrc:1234 cname:publisher',
  '',
].join('\r\n');

function h264SDP(sprop: boolean): string {
  return [
    'v=0',
    'o=- 0 0 IN IP4 127.0.0.1',
    's=-',
    't=0 0',
    'm=video 0 RTP/AVP 96',
    'a=rtpmap:96 H264/90000',
    `a=fmtp:96 packetization-mode=1${sprop ? `;sprop-parameter-sets=${b64(H264.sps)},${b64(H264.pps)}` : ''}`,
    'a=control:streamid=0',
    '',
  ].join('\r\n');
}

test('each reader gets its own SSRC, sequence numbers and timestamps; the bytes after the fixed header are the publisher\'s', async () => {
  const r = relayFromSDP(UNKNOWN_SDP);
  const a = await tcpReader(r.track);
  const b = await tcpReader(r.track);
  const ia = await play(r, r.track, a.stream);
  const ib = await play(r, r.track, b.stream);
  const sent: Uint8Array[] = [];
  for (let i = 0; i < 20; i++) {
    const p = rtpPacket({
      seq: 1000 + i,
      ts: 5000 + i * 100,
      pt: 98,
      marker: i % 3 === 0,
      payload: [i, 1, 2, 3, 4, 5],
      csrcs: i % 2 ? [0xdeadbeef, 0x01020304] : [],
      extension: i % 4 === 0 ? { profile: 0xbede, words: [0x10203040] } : undefined,
      padding: i % 5 === 0 ? 3 : 0,
    });
    sent.push(p.slice());
    r.track.pushRTP(p);
    assert.deepEqual(p, sent[i], 'the publisher\'s buffer is not written');
  }
  for (const [reader, info] of [
    [a, ia],
    [b, ib],
  ] as const) {
    const got = reader.conn.rtp();
    assert.equal(got.length, 20);
    const parsed = reader.conn.parsedRTP();
    assert.equal(parsed[0]!.sequenceNumber, info.seq, 'RTP-Info seq is the first packet\'s');
    assert.equal(parsed[0]!.timestamp, info.rtptime, 'RTP-Info rtptime is the first packet\'s');
    for (let i = 0; i < 20; i++) {
      const p = parsed[i]!;
      assert.equal(p.ssrc, reader.stream.ssrc);
      assert.equal(p.sequenceNumber, (info.seq + i) & 0xffff);
      assert.equal(p.timestamp, (info.rtptime + i * 100) >>> 0);
      // V/P/X/CC and M/PT as sent, and everything after the 12 fixed bytes byte for byte.
      assert.equal(got[i]![0], sent[i]![0]);
      assert.equal(got[i]![1], sent[i]![1]);
      assert.deepEqual(got[i]!.subarray(12), sent[i]!.subarray(12));
    }
  }
  assert.notEqual(a.stream.ssrc, b.stream.ssrc);
  a.stream.updateStats?.();
  assert.equal(a.stream.stats.packets, 20);
  assert.equal(r.track.stats.packetsReceived, 20);
  r.sms.close();
});

test('sequence numbers stay continuous across the publisher\'s and the reader\'s wrap; a publisher\'s loss shows as the same gap', async () => {
  const r = relayFromSDP(UNKNOWN_SDP);
  const a = await tcpReader(r.track);
  const info = await play(r, r.track, a.stream);
  const total = 66_000;
  const start = 65_000;
  let lostAt = -1;
  for (let i = 0; i < total; i++) {
    const seq = (start + i) & 0xffff;
    if (i === 40_000) {
      lostAt = i;
      continue; // lost on the way from the publisher
    }
    r.track.pushRTP(rtpPacket({ seq, ts: i * 10, pt: 98, payload: [i & 0xff] }));
  }
  const got = a.conn.rtp();
  assert.equal(got.length, total - 1);
  let expected = info.seq;
  let wraps = 0;
  for (let k = 0; k < got.length; k++) {
    const p = got[k]!;
    const seq = (p[2]! << 8) | p[3]!;
    if (k === lostAt) expected = (expected + 1) & 0xffff; // the gap the publisher's loss left
    assert.equal(seq, expected, `packet ${k}`);
    if (expected === 0xffff) wraps++;
    expected = (expected + 1) & 0xffff;
  }
  assert.ok(wraps >= 1, 'the reader\'s sequence numbers wrapped');
  r.sms.close();
});

test('a codec the relay does not know passes: its rtpmap, fmtp and other attributes reach the readers\' SDP, readers start at once', async () => {
  const r = relayFromSDP(UNKNOWN_SDP);
  const sdp = await r.sms.generateSDPDescription('127.0.0.1');
  assert.match(sdp, /m=application 0 RTP\/AVP 98\r\n/);
  assert.match(sdp, /a=rtpmap:98 X-WEIRD\/1000\r\n/);
  assert.match(sdp, /a=fmtp:98 mode=fancy;level=7\r\n/);
  assert.match(sdp, /a=x-private:keep-me\r\n/);
  assert.match(sdp, /a=control:track1\r\n/);
  assert.match(sdp, /a=range:npt=now-\r\n/);
  assert.doesNotMatch(sdp, /streamid|a=ssrc|a=sendonly/, 'the publisher\'s own connection attributes are not passed on');
  assert.equal(r.sms.description, 'Published by a camera');
  r.track.pushRTP(rtpPacket({ seq: 1, ts: 0, pt: 98, payload: [1] }));
  const a = await tcpReader(r.track);
  const info = await play(r, r.track, a.stream);
  r.track.pushRTP(rtpPacket({ seq: 2, ts: 1000, pt: 98, payload: [2, 2] }));
  const got = a.conn.parsedRTP();
  assert.equal(got.length, 1);
  assert.deepEqual([...got[0]!.payload], [2, 2]);
  assert.equal(got[0]!.sequenceNumber, info.seq);
  assert.equal(got[0]!.timestamp, info.rtptime);
  r.sms.close();
});

test('a late H.264 reader starts at the next key frame, SPS and PPS from the SDP first with its timestamp (FU-A start)', async () => {
  const r = relayFromSDP(h264SDP(true));
  let seq = 100;
  const push = (payload: Uint8Array, ts: number, marker = true): void => r.track.pushRTP(rtpPacket({ seq: seq++, ts, payload, marker }));
  push(H264.idr, 0);
  push(H264.p(1), 3600);
  const a = await tcpReader(r.track);
  const info = await play(r, r.track, a.stream);
  push(H264.p(2), 7200);
  push(H264.idrSecondSlice, 9000, false); // an IDR slice that does not start its picture
  push(H264.p(3), 10800);
  assert.equal(a.conn.rtp().length, 0, 'nothing before the key frame');
  push(H264.fuaStart, 14400, false);
  push(H264.fuaMiddle, 14400, false);
  push(H264.fuaEnd, 14400, true);
  push(H264.p(4), 18000);
  const got = a.conn.parsedRTP();
  assert.equal(got.length, 6);
  assert.deepEqual(got[0]!.payload, H264.sps);
  assert.deepEqual(got[1]!.payload, H264.pps);
  assert.deepEqual(got[2]!.payload, H264.fuaStart);
  assert.deepEqual(got[5]!.payload, H264.p(4));
  assert.equal(got[0]!.sequenceNumber, info.seq, 'RTP-Info seq is the first packet\'s');
  assert.equal(got[0]!.timestamp, info.rtptime, 'RTP-Info rtptime is the first packet\'s');
  for (let i = 0; i < got.length; i++) assert.equal(got[i]!.sequenceNumber, (info.seq + i) & 0xffff);
  assert.equal(got[1]!.timestamp, info.rtptime);
  assert.equal(got[2]!.timestamp, info.rtptime, 'parameter sets carry the key frame\'s timestamp');
  assert.equal(got[5]!.timestamp, (info.rtptime + 3600) >>> 0);
  assert.equal(got[0]!.marker, false);
  assert.equal(got[0]!.payloadType, 96);
  r.sms.close();
});

test('H.264 parameter sets learnt in-band (STAP-A) go first when the SDP has none; a single-NAL IDR starts the reader', async () => {
  const r = relayFromSDP(h264SDP(false));
  const sps2 = Uint8Array.from([0x67, 0x64, 0x00, 0x1f, 0xac]);
  let seq = 7;
  const push = (payload: Uint8Array, ts: number): void => r.track.pushRTP(rtpPacket({ seq: seq++, ts, payload, marker: true }));
  push(H264.stapA(sps2, H264.pps), 0);
  push(H264.idr, 0);
  push(H264.p(1), 3000);
  const a = await tcpReader(r.track);
  const info = await play(r, r.track, a.stream);
  push(H264.p(2), 6000);
  push(H264.idr, 9000);
  const got = a.conn.parsedRTP();
  assert.equal(got.length, 3);
  assert.deepEqual(got[0]!.payload, sps2);
  assert.deepEqual(got[1]!.payload, H264.pps);
  assert.deepEqual(got[2]!.payload, H264.idr);
  assert.equal(got[0]!.sequenceNumber, info.seq);
  assert.equal(got[0]!.timestamp, info.rtptime);
  r.sms.close();
});

test('a late H.265 reader starts at an IRAP picture (FU of a CRA), VPS/SPS/PPS from the SDP first', async () => {
  const sdp = [
    'v=0',
    'o=- 0 0 IN IP4 127.0.0.1',
    's=-',
    't=0 0',
    'm=video 0 RTP/AVP 97',
    'a=rtpmap:97 H265/90000',
    `a=fmtp:97 sprop-vps=${b64(H265.vps)};sprop-sps=${b64(H265.sps)};sprop-pps=${b64(H265.pps)}`,
    '',
  ].join('\r\n');
  const r = relayFromSDP(sdp);
  let seq = 65534;
  const push = (payload: Uint8Array, ts: number): void => r.track.pushRTP(rtpPacket({ seq: seq++, ts, pt: 97, payload }));
  push(H265.idr, 0);
  const a = await tcpReader(r.track);
  const info = await play(r, r.track, a.stream);
  push(H265.trail, 3000);
  push(H265.trail, 6000);
  assert.equal(a.conn.rtp().length, 0);
  push(H265.fuStartCRA, 9000);
  push(H265.fuEndCRA, 9000);
  push(H265.trail, 12000);
  const got = a.conn.parsedRTP();
  assert.deepEqual(
    got.map((p) => [...p.payload]),
    [H265.vps, H265.sps, H265.pps, H265.fuStartCRA, H265.fuEndCRA, H265.trail].map((u) => [...u]),
  );
  assert.equal(got[0]!.sequenceNumber, info.seq);
  assert.equal(got[0]!.timestamp, info.rtptime);
  assert.equal(got[3]!.timestamp, info.rtptime);
  assert.equal(got[5]!.timestamp, (info.rtptime + 3000) >>> 0);
  for (let i = 0; i < got.length; i++) assert.equal(got[i]!.sequenceNumber, (info.seq + i) & 0xffff);
  r.sms.close();
});

test('a reader that waits too long for a key frame is started anyway (keyFrameWaitUs)', async () => {
  const r = relayFromSDP(h264SDP(true), { keyFrameWaitUs: 2_000_000 });
  const a = await tcpReader(r.track);
  await play(r, r.track, a.stream);
  r.track.pushRTP(rtpPacket({ seq: 1, ts: 0, payload: H264.p(1) }));
  r.scheduler.advance(2_000_000);
  r.track.pushRTP(rtpPacket({ seq: 2, ts: 3000, payload: H264.p(2) }));
  const got = a.conn.parsedRTP();
  assert.deepEqual(
    got.map((p) => [...p.payload]),
    [H264.sps, H264.pps, H264.p(2)].map((u) => [...u]),
  );
  r.sms.close();
});

test('PAUSE takes a reader out of the fan-out; PLAY again continues its sequence numbers and clock, RTP-Info still exact', async () => {
  const r = relayFromSDP(UNKNOWN_SDP);
  const a = await tcpReader(r.track);
  const first = await play(r, r.track, a.stream);
  let seq = 500;
  let ts = 0;
  const push = (): void => {
    r.track.pushRTP(rtpPacket({ seq: seq++, ts, pt: 98, payload: [1] }));
    ts += 1000; // 1 s of the 1 kHz clock per packet
  };
  push();
  push();
  r.scheduler.advance(2_000_000);
  r.track.subsession.pauseStream(a.stream);
  assert.equal(a.stream.playing, false);
  push();
  push();
  assert.equal(a.conn.rtp().length, 2, 'nothing while paused');
  r.scheduler.advance(3_000_000);
  const again = await play(r, r.track, a.stream);
  assert.equal(again.seq, (first.seq + 2) & 0xffff, 'the sequence goes on from the last packet sent');
  push();
  const got = a.conn.parsedRTP();
  assert.equal(got.length, 3);
  assert.equal(got[2]!.sequenceNumber, again.seq);
  assert.equal(got[2]!.timestamp, again.rtptime);
  // The reader's clock went on while paused: 1 kHz, 1 s per packet, from the last packet's time.
  assert.ok(Math.abs(((again.rtptime - got[1]!.timestamp) | 0) - 5000) <= 1, `${again.rtptime - got[1]!.timestamp}`);
  r.sms.close();
});

test('TEARDOWN frees the reader: nothing more is sent to it, its RTCP says BYE, the track forgets it', async () => {
  const r = relayFromSDP(UNKNOWN_SDP);
  const a = await tcpReader(r.track);
  const b = await tcpReader(r.track);
  await play(r, r.track, a.stream);
  await play(r, r.track, b.stream);
  r.track.pushRTP(rtpPacket({ seq: 1, ts: 0, pt: 98, payload: [1] }));
  r.track.subsession.deleteStream(a.stream);
  r.track.subsession.deleteStream(a.stream); // idempotent
  assert.equal(a.stream.deleted, true);
  r.track.pushRTP(rtpPacket({ seq: 2, ts: 10, pt: 98, payload: [2] }));
  assert.equal(a.conn.rtp().length, 1);
  assert.equal(b.conn.rtp().length, 2);
  assert.equal(r.track.readers.length, 1);
  const bye = a.conn.rtcp().flat().find((p) => p.type === 'bye');
  assert.ok(bye && bye.type === 'bye' && bye.ssrcs.includes(a.stream.ssrc!));
  await assert.rejects(r.track.subsession.startStream(a.stream), /deleted/);
  r.sms.close();
});

test('malformed packets are counted and dropped, never thrown; other payload types are dropped too', async () => {
  const r = relayFromSDP(UNKNOWN_SDP);
  const a = await tcpReader(r.track);
  await play(r, r.track, a.stream);
  const good = rtpPacket({ seq: 1, ts: 0, pt: 98, payload: [1, 2, 3, 4] });
  const bad: Uint8Array[] = [
    new Uint8Array(0),
    good.subarray(0, 11),
    (() => {
      const p = good.slice();
      p[0] = 0x40; // version 1
      return p;
    })(),
    (() => {
      const p = good.slice();
      p[0] = 0x8f; // 15 CSRCs in a 16-byte packet
      return p;
    })(),
    (() => {
      const p = rtpPacket({ seq: 2, ts: 0, pt: 98, payload: [], extension: { profile: 1, words: [] } });
      p[15] = 200; // extension longer than the packet
      return p;
    })(),
    (() => {
      const p = good.slice();
      p[0] = p[0]! | 0x20;
      p[p.length - 1] = 0; // padding count 0
      return p;
    })(),
    (() => {
      const p = good.slice();
      p[0] = p[0]! | 0x20;
      p[p.length - 1] = 200; // padding longer than the packet
      return p;
    })(),
  ];
  for (const p of bad) assert.doesNotThrow(() => r.track.pushRTP(p));
  r.track.pushRTP(rtpPacket({ seq: 3, ts: 0, pt: 99, payload: [1] }));
  assert.equal(r.track.stats.malformedPackets, bad.length);
  assert.equal(r.track.stats.unexpectedPayloadTypePackets, 1);
  assert.equal(a.conn.rtp().length, 0);
  assert.doesNotThrow(() => r.track.pushRTCP(Uint8Array.from([0x80, 200, 0, 50])));
  assert.equal(r.track.malformedRTCPPackets, 1);
  r.track.pushRTP(good);
  assert.equal(a.conn.rtp().length, 1);
  assert.equal(r.track.stats.packetsReceived, 1);
  r.sms.close();
});

test('limits: readers per track (453), tracks per SDP and non-RTP media (400)', async () => {
  const r = relayFromSDP(UNKNOWN_SDP, { maxReaders: 2 });
  await tcpReader(r.track);
  await tcpReader(r.track);
  await assert.rejects(tcpReader(r.track), (err: { code?: string; status?: number }) => err.code === 'ERR_RELAY_MAX_READERS' && err.status === 453);
  r.sms.close();
  const two = UNKNOWN_SDP + 'm=audio 0 RTP/AVP 0\r\n';
  assert.throws(() => relayFromSDP(two, { maxTracks: 1 }), (err: { code?: string; status?: number }) => err.code === 'ERR_RELAY_SDP' && err.status === 400);
  assert.throws(
    () => relayFromSDP('v=0\r\ns=-\r\nm=application 9 TCP/BFCP *\r\n'),
    (err: { code?: string; status?: number }) => err.code === 'ERR_RELAY_SDP' && err.status === 400,
  );
});

test('an interleaved reader whose connection refuses packets is counted, the others are served', async () => {
  const r = relayFromSDP(UNKNOWN_SDP);
  const slow = await tcpReader(r.track);
  const fine = await tcpReader(r.track, new FakeConnection());
  await play(r, r.track, slow.stream);
  await play(r, r.track, fine.stream);
  slow.conn.accept = false;
  for (let i = 0; i < 5; i++) r.track.pushRTP(rtpPacket({ seq: i, ts: i, pt: 98, payload: [i] }));
  assert.equal(fine.conn.rtp().length, 5);
  assert.equal(r.track.readers.find((x) => x.stream === slow.stream)!.droppedPackets, 5);
  r.sms.close();
});

test('a reordered packet older than a reader\'s first is not sent to it (its RTP-Info stays the first); earlier readers get it', async () => {
  const r = relayFromSDP(UNKNOWN_SDP);
  const early = await tcpReader(r.track);
  await play(r, r.track, early.stream);
  const push = (seq: number): void => r.track.pushRTP(rtpPacket({ seq, ts: seq * 10, pt: 98, payload: [seq & 0xff] }));
  push(65533);
  push(65535); // 65534 is late
  const late = await tcpReader(r.track);
  const info = await play(r, r.track, late.stream);
  push(0);
  push(65534); // arrives after the late reader started at 0
  push(1);
  assert.deepEqual(early.conn.parsedRTP().map((p) => p.payload[0]), [65533 & 0xff, 65535 & 0xff, 0, 65534 & 0xff, 1]);
  const got = late.conn.parsedRTP();
  assert.deepEqual(got.map((p) => p.payload[0]), [0, 1]);
  assert.equal(got[0]!.sequenceNumber, info.seq);
  assert.equal(got[1]!.sequenceNumber, (info.seq + 1) & 0xffff);
  r.sms.close();
});

test('a publisher that restarts with a new SSRC: each reader\'s sequence goes on by one, its clock goes on from where it was', async () => {
  const r = relayFromSDP(UNKNOWN_SDP);
  const a = await tcpReader(r.track);
  const info = await play(r, r.track, a.stream);
  for (let i = 0; i < 5; i++) r.track.pushRTP(rtpPacket({ seq: 100 + i, ts: 1000 + i * 100, pt: 98, ssrc: 1, payload: [i] }));
  r.scheduler.advance(2_000_000); // 2 s later the publisher comes back as another SSRC with other bases
  for (let i = 0; i < 3; i++) r.track.pushRTP(rtpPacket({ seq: 40_000 + i, ts: 9_000_000 + i * 100, pt: 98, ssrc: 2, payload: [i] }));
  const got = a.conn.parsedRTP();
  assert.equal(got.length, 8);
  for (let i = 0; i < 8; i++) {
    assert.equal(got[i]!.sequenceNumber, (info.seq + i) & 0xffff);
    assert.equal(got[i]!.ssrc, a.stream.ssrc);
  }
  // The last packet of the first SSRC was at +400 (1 kHz clock); 2 s later its clock reads +2400.
  assert.equal((got[5]!.timestamp - info.rtptime) | 0, 2400);
  assert.equal((got[7]!.timestamp - got[5]!.timestamp) | 0, 200);
  assert.equal(r.track.stats.ssrcChanges, 1);
  assert.equal(r.track.publisherSSRC, 2);
  r.sms.close();
});

test('PLAY again while playing (no PAUSE) answers the next packet\'s sequence number and the reader\'s clock now', async () => {
  const r = relayFromSDP(UNKNOWN_SDP);
  const a = await tcpReader(r.track);
  const first = await play(r, r.track, a.stream);
  for (let i = 0; i < 3; i++) r.track.pushRTP(rtpPacket({ seq: 10 + i, ts: i * 100, pt: 98, payload: [i] }));
  r.scheduler.advance(1_000_000);
  const again = await play(r, r.track, a.stream);
  assert.equal(again.seq, (first.seq + 3) & 0xffff);
  assert.equal((again.rtptime - first.rtptime) | 0, 200 + 1000, 'the last packet\'s time plus the second since (1 kHz)');
  r.track.pushRTP(rtpPacket({ seq: 13, ts: 1200, pt: 98, payload: [3] }));
  const got = a.conn.parsedRTP();
  assert.equal(got.length, 4);
  assert.equal(got[3]!.sequenceNumber, again.seq);
  assert.equal(got[3]!.timestamp, again.rtptime);
  r.sms.close();
});

test('any bytes pushed as RTP: never a throw, every push counted once, readers only get packets that parse with their SSRC (fast-check)', async () => {
  const r = relayFromSDP(h264SDP(true), { keyFrameWaitUs: 0 });
  const a = await tcpReader(r.track);
  await play(r, r.track, a.stream);
  r.track.pushRTP(rtpPacket({ seq: 1, ts: 0, payload: H264.idr })); // the reader starts
  let pushes = 0;
  fc.assert(
    fc.property(
      fc.oneof(
        fc.uint8Array({ maxLength: 80 }),
        // Version 2 with random flags (CSRC count, extension, padding: often inconsistent with the length).
        fc.tuple(fc.integer({ min: 0, max: 63 }), fc.constantFrom(96, 0x80 | 96, 97), fc.uint8Array({ minLength: 10, maxLength: 80 })).map(
          ([flags, b1, rest]) => Uint8Array.from([0x80 | flags, b1, ...rest]),
        ),
        // Well-formed packets with random fields and up to 3 CSRCs.
        fc.tuple(fc.integer({ min: 0, max: 3 }), fc.constantFrom(96, 0x80 | 96), fc.uint8Array({ minLength: 22, maxLength: 80 })).map(
          ([cc, b1, rest]) => Uint8Array.from([0x80 | cc, b1, ...rest]),
        ),
      ),
      (bytes) => {
        pushes++;
        r.track.pushRTP(bytes);
      },
    ),
    { numRuns: 3000 },
  );
  const st = r.track.stats;
  assert.equal(st.packetsReceived + st.malformedPackets + st.unexpectedPayloadTypePackets + st.rtcpPacketsReceived, pushes + 1);
  assert.ok(st.packetsReceived > 100 && st.malformedPackets > 100, `${st.packetsReceived} relayed, ${st.malformedPackets} malformed`);
  // Each relayed packet at most once (a late one is kept from a reader that started after it), plus the parameter sets.
  assert.ok(a.conn.rtp().length > 100 && a.conn.rtp().length <= st.packetsReceived + 2);
  for (const p of a.conn.rtp()) assert.equal(parseRTPHeader(p).ssrc, a.stream.ssrc);
  r.sms.close();
});

test('limit options: a string, NaN, 0, -1 or Infinity throws ERR_SERVER_OPTION instead of turning the limit off (durations allow 0)', async () => {
  for (const name of ['maxReaders', 'maxTracks', 'keyFrameWaitUs', 'byeDelayUs'] as const) {
    const duration = name === 'keyFrameWaitUs' || name === 'byeDelayUs';
    for (const bad of ['abc', Number.NaN, ...(duration ? [] : [0, 1.5]), -1, Number.POSITIVE_INFINITY]) {
      assert.throws(
        () => relayFromSDP(UNKNOWN_SDP, { [name]: bad } as unknown as Record<string, number>),
        (err: { code?: string; message?: string }) => err.code === 'ERR_SERVER_OPTION' && err.message!.includes(name),
        `${name}: ${String(bad)}`,
      );
    }
  }
  // Good values are accepted (0 for a duration: no wait) and the reader limit is enforced.
  const r = relayFromSDP(UNKNOWN_SDP, { maxReaders: 1, maxTracks: 1, keyFrameWaitUs: 0, byeDelayUs: 0 });
  await tcpReader(r.track);
  await assert.rejects(tcpReader(r.track), (err: { code?: string }) => err.code === 'ERR_RELAY_MAX_READERS');
  r.sms.close();
});
