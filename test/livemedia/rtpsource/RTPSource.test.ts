import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimpleRTPSource, H264VideoRTPSource } from '@dorsvr/livemedia';
import { DorsvrError, VirtualTaskScheduler } from '@dorsvr/scheduler';
import { rtp } from './rtpPackets.js';

function hex(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
}

test('CSRCs, a header extension and padding are skipped: the frame is exactly the payload', async () => {
  const sched = new VirtualTaskScheduler();
  const src = new SimpleRTPSource({ scheduler: sched, encodingName: 'PCMU' });
  // V=2 P=1 X=1 CC=2, M=1 PT=0, seq 7, ts 160, SSRC 0x0a0b0c0d, 2 CSRCs, extension of 1 word,
  // payload 'abcd', 3 bytes of padding (00 00 03).
  src.injectPacket(hex(`b2 80 0007 000000a0 0a0b0c0d  11111111 22222222  bede 0001 01020304  61626364  000003`));
  const f = (await src.getNextFrame())!;
  assert.deepEqual(f.data, Uint8Array.of(0x61, 0x62, 0x63, 0x64));
  assert.equal(f.rtpTimestamp, 160);
  assert.equal(src.ssrc, 0x0a0b0c0d);
  assert.equal(f.duration, 500, '4 µ-law samples at 8 kHz');
  src.close();
});

test('truncated headers, bad versions, overlong extensions and padding are counted as malformed', () => {
  const sched = new VirtualTaskScheduler();
  const src = new SimpleRTPSource({ scheduler: sched, encodingName: 'PCMU' });
  const bad = [
    hex('80 00 0001 00000000'), // 8 bytes
    hex('40 00 0001 00000000 00000001 61'), // version 1
    hex('8f 00 0001 00000000 00000001 61'), // 15 CSRCs missing
    hex('90 00 0001 00000000 00000001 bede 0009 61626364'), // extension of 9 words
    hex('a0 00 0001 00000000 00000001 61 62 09'), // padding 9 > payload
    hex('a0 00 0001 00000000 00000001 61 62 00'), // padding 0
  ];
  for (const b of bad) src.injectPacket(b);
  assert.equal(src.malformedPackets, bad.length);
  assert.equal(src.framesDelivered, 0);
  src.close();
});

test('an SSRC change is followed once the new sender passes probation; the partial frame is reported', async () => {
  const sched = new VirtualTaskScheduler();
  const src = new H264VideoRTPSource({ scheduler: sched });
  const changes: number[] = [];
  src.on('ssrcChange', (s) => changes.push(s));
  src.injectPacket(rtp({ seq: 10, ts: 0, marker: true, ssrc: 1, payload: [0x41, 1] }));
  src.injectPacket(rtp({ seq: 11, ts: 3000, ssrc: 1, payload: [0x7c, 0x81, 9, 9] })); // FU-A start, never finished
  src.injectPacket(rtp({ seq: 5000, ts: 90_000, marker: true, ssrc: 2, payload: [0x41, 2] })); // probation
  assert.equal(src.ssrc, 1);
  src.injectPacket(rtp({ seq: 5001, ts: 93_000, marker: true, ssrc: 2, payload: [0x41, 3] }));
  assert.equal(src.ssrc, 2);
  assert.deepEqual(changes, [2]);
  assert.equal(src.damagedFrames, 1);
  const frames = [(await src.getNextFrame())!, (await src.getNextFrame())!];
  assert.deepEqual(frames.map((f) => f.data[1]), [1, 3]);
  assert.equal(src.allReceptionStats.size, 2);
  src.close();
});

test('a slow reader: the queue is bounded and the oldest frames are dropped and counted', async () => {
  const sched = new VirtualTaskScheduler();
  const src = new SimpleRTPSource({ scheduler: sched, encodingName: 'PCMU', maxQueuedFrames: 10 });
  let overflow = 0;
  src.on('overflow', (n) => (overflow = n));
  for (let i = 0; i < 25; i++) src.injectPacket(rtp({ seq: i, ts: i * 160, pt: 0, payload: [i + 1] }));
  assert.equal(src.overflowedFrames, 15);
  assert.equal(overflow, 15);
  const f = (await src.getNextFrame())!;
  assert.equal(f.data[0], 16);
  src.close();
});

test('createRTPSource picks the depacketizer and its parameters from rtpmap/fmtp', async () => {
  const { createRTPSource, MPEG4GenericRTPSource, MPEG1or2AudioRTPSource } = await import('@dorsvr/livemedia');
  const sched = new VirtualTaskScheduler();
  const aac = createRTPSource({
    scheduler: sched,
    encodingName: 'mpeg4-generic',
    clockRate: 48_000,
    fmtp: { streamtype: '5', mode: 'AAC-hbr', SizeLength: '13', IndexLength: '3', IndexDeltaLength: '3', config: '1190' },
  });
  assert.ok(aac instanceof MPEG4GenericRTPSource);
  assert.equal(aac.sizeLength, 13);
  assert.equal(aac.indexDeltaLength, 3);
  assert.equal(aac.timestampFrequency, 48_000);
  const l16 = createRTPSource({ scheduler: sched, encodingName: '', payloadType: 10 });
  assert.ok(l16 instanceof SimpleRTPSource);
  assert.equal(l16.timestampFrequency, 44_100);
  assert.equal(l16.channels, 2);
  assert.ok(createRTPSource({ scheduler: sched, encodingName: '', payloadType: 14 }) instanceof MPEG1or2AudioRTPSource);
  assert.throws(
    () => createRTPSource({ scheduler: sched, encodingName: 'VP8' }),
    (e: unknown) => e instanceof Error && (e as { code?: string }).code === 'ERR_RTP_UNSUPPORTED_CODEC',
  );
  for (const s of [aac, l16]) s.close();
});

test('a sender that restarts its sequence numbers (same SSRC) keeps being received', async () => {
  for (const restartAt of [100, 30_000]) {
    const sched = new VirtualTaskScheduler();
    const src = new SimpleRTPSource({ scheduler: sched, encodingName: 'PCMU', reorder: { maxDelayUs: 50_000 } });
    for (let i = 0; i < 5; i++) src.injectPacket(rtp({ seq: 40_000 + i, ts: i * 160, pt: 0, payload: [i + 1] }));
    for (let i = 0; i < 5; i++) {
      src.injectPacket(rtp({ seq: restartAt + i, ts: 90_000 + i * 160, pt: 0, payload: [i + 11] }));
      sched.advance(20_000);
    }
    sched.advance(50_000);
    const got: number[] = [];
    src.endOfStream();
    for (let f = await src.getNextFrame(); f !== null; f = await src.getNextFrame()) got.push(f.data[0]!);
    // 100 lies "ahead" of 40004 modulo 65536: held until the gap times out, then all follow.
    // 30000 lies far behind: the first packet is taken as a stray until the second confirms it.
    const expected = restartAt === 100 ? [1, 2, 3, 4, 5, 11, 12, 13, 14, 15] : [1, 2, 3, 4, 5, 12, 13, 14, 15];
    assert.deepEqual(got, expected, `restart at ${restartAt}`);
    assert.equal(src.receptionStats!.packetsLost, 0, 'RFC 3550 A.1 restarts the statistics too');
    src.close();
  }
});

test('after an RTCP BYE, packets still in flight for byeGraceUs are taken; then the stream ends', async () => {
  const sched = new VirtualTaskScheduler();
  const src = new SimpleRTPSource({ scheduler: sched, encodingName: 'PCMU', byeGraceUs: 200_000 });
  const ssrc = 0x1234;
  for (let i = 0; i < 3; i++) src.injectPacket(rtp({ seq: 10 + i, ts: i * 160, ssrc, payload: [i, i] }));
  src.handleBye(ssrc);
  sched.advance(150_000);
  src.injectPacket(rtp({ seq: 13, ts: 480, ssrc, payload: [3, 3] })); // overtaken by the BYE: still taken
  sched.advance(50_000); // the grace is over: the stream ends
  src.injectPacket(rtp({ seq: 14, ts: 640, ssrc, payload: [4, 4] })); // too late: ignored
  sched.advance(1_000_000);
  const got: number[] = [];
  for (let f = await src.getNextFrame(); f !== null; f = await src.getNextFrame()) got.push(f.data[0]!);
  assert.deepEqual(got, [0, 1, 2, 3]);
  src.close();
});

test('hostile: a clock rate of 0 (a peer\'s `a=rtpmap:96 H264/0`) is no rtpmap and no depacketizer, not a source whose every presentation time is NaN', async () => {
  const { createRTPSource, parseRtpmap, parseSDP } = await import('@dorsvr/livemedia');
  assert.equal(parseRtpmap('96 H264/0'), undefined);
  const sdp = parseSDP('v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=x\r\nt=0 0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/0\r\n');
  assert.deepEqual(sdp.media[0]!.rtpmaps, []);
  for (const hz of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
    assert.throws(
      () => createRTPSource({ encodingName: 'H264', clockRate: hz, scheduler: new VirtualTaskScheduler() }),
      (e: unknown) => e instanceof DorsvrError && e.code === 'ERR_RTP_UNSUPPORTED_CODEC',
      String(hz),
    );
  }
});

test('limits: a string, NaN, -1 or Infinity (and 0 or 1.5 frames) throws ERR_SOURCE_OPTIONS instead of turning the limit off', () => {
  const sched = new VirtualTaskScheduler();
  for (const name of ['maxQueuedFrames', 'byeGraceUs'] as const) {
    const bads = name === 'maxQueuedFrames' ? ['abc', Number.NaN, 0, -1, Number.POSITIVE_INFINITY, 1.5] : ['abc', Number.NaN, -1, Number.POSITIVE_INFINITY];
    for (const bad of bads) {
      assert.throws(
        () => new SimpleRTPSource({ scheduler: sched, encodingName: 'PCMU', [name]: bad as number }),
        (e: unknown) => e instanceof DorsvrError && e.code === 'ERR_SOURCE_OPTIONS' && e.message.includes(name),
        `${name}: ${String(bad)}`,
      );
    }
  }
  // Good values are accepted, and the queue limit is enforced: 5 frames into a queue of 2 drop 3.
  const src = new SimpleRTPSource({ scheduler: sched, encodingName: 'PCMU', maxQueuedFrames: 2, byeGraceUs: 0 });
  let overflow = 0;
  src.on('overflow', (n) => (overflow = n));
  for (let i = 0; i < 5; i++) src.injectPacket(rtp({ seq: i, ts: i * 160, pt: 0, payload: [i + 1] }));
  assert.equal(overflow, 3);
  src.close();
});
