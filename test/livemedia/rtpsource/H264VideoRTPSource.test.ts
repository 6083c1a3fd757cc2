import { test } from 'node:test';
import assert from 'node:assert/strict';
import { H264VideoRTPSource, ntpFromUnixMicros, type RTPDamagedFrameInfo, type RTPFrame } from '@dorsvr/livemedia';
import { VirtualTaskScheduler } from '@dorsvr/scheduler';
import { filler, rtp } from './rtpPackets.js';

const SPS = Uint8Array.of(0x67, 0x42, 0xc0, 0x1e, 0xd9, 0x01);
const PPS = Uint8Array.of(0x68, 0xce, 0x3c, 0x80);
const IDR = Uint8Array.from([0x65, ...filler(3000, 1)]);
const P1 = Uint8Array.from([0x41, ...filler(500, 2)]);

function stapA(...nals: Uint8Array[]): Uint8Array {
  const parts: number[] = [0x18];
  for (const n of nals) parts.push(n.length >> 8, n.length & 0xff, ...n);
  return Uint8Array.from(parts);
}

function fuA(nal: Uint8Array, chunk: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  const body = nal.subarray(1);
  for (let off = 0; off < body.length; off += chunk) {
    const start = off === 0;
    const end = off + chunk >= body.length;
    out.push(Uint8Array.from([(nal[0]! & 0xe0) | 28, (start ? 0x80 : 0) | (end ? 0x40 : 0) | (nal[0]! & 0x1f), ...body.subarray(off, off + chunk)]));
  }
  return out;
}

/** The packets of one access unit (SPS+PPS in STAP-A, IDR in 3 FU-A) and a P frame (single). */
function stream(startSeq: number, ts: number): Uint8Array[] {
  const payloads: { p: Uint8Array; m: boolean; ts: number }[] = [
    { p: stapA(SPS, PPS), m: false, ts },
    ...fuA(IDR, 1100).map((p, i, a) => ({ p, m: i === a.length - 1, ts })),
    { p: P1, m: true, ts: ts + 3000 },
  ];
  return payloads.map((x, i) => rtp({ seq: (startSeq + i) & 0xffff, ts: x.ts, marker: x.m, payload: x.p }));
}

async function collect(src: H264VideoRTPSource, n: number): Promise<RTPFrame[]> {
  const out: RTPFrame[] = [];
  for (let i = 0; i < n; i++) out.push((await src.getNextFrame())!);
  return out;
}

test('STAP-A, FU-A and single NAL packets become NAL units with marker, key and timestamps', async () => {
  const sched = new VirtualTaskScheduler();
  const src = new H264VideoRTPSource({ scheduler: sched });
  for (const p of stream(100, 90_000)) src.injectPacket(p);
  const frames = await collect(src, 4);
  assert.deepEqual(frames.map((f) => f.data), [SPS, PPS, IDR, P1]);
  assert.deepEqual(frames.map((f) => f.endOfAccessUnit), [false, false, true, true]);
  assert.deepEqual(frames.map((f) => f.key), [false, false, true, false]);
  assert.deepEqual(frames.map((f) => f.rtpTimestamp), [90_000, 90_000, 90_000, 93_000]);
  // Before any SR: local wall clock at the first frame, then RTP time.
  assert.equal(frames[0]!.presentationTime, sched.wallClockUs());
  assert.equal(frames[3]!.presentationTime - frames[0]!.presentationTime, 33_333);
  assert.equal(frames[0]!.syncedUsingRTCP, false);
  assert.deepEqual(src.sps, SPS);
  assert.equal(src.damagedFrames, 0);
  src.close();
});

test('reordering inside the buffer still yields intact frames', async () => {
  const sched = new VirtualTaskScheduler();
  const src = new H264VideoRTPSource({ scheduler: sched });
  const pkts = stream(500, 0);
  for (const i of [0, 2, 1, 4, 3]) src.injectPacket(pkts[i]!);
  const frames = await collect(src, 4);
  assert.deepEqual(frames.map((f) => f.data), [SPS, PPS, IDR, P1]);
  assert.equal(src.damagedFrames, 0);
  assert.equal(src.receptionStats?.packetsLost, 0);
  src.close();
});

test('a lost FU-A fragment drops the NAL unit, reports it, and the stream goes on', async () => {
  const sched = new VirtualTaskScheduler();
  const src = new H264VideoRTPSource({ scheduler: sched, reorder: { maxDelayUs: 50_000 } });
  const damaged: RTPDamagedFrameInfo[] = [];
  src.on('damaged', (d) => damaged.push(d));
  const pkts = [...stream(7, 0), ...stream(12, 6000)];
  pkts.forEach((p, i) => {
    if (i !== 2) src.injectPacket(p); // the middle FU-A of the first IDR
    sched.advance(1_000);
  });
  sched.advance(50_000); // the gap is given up
  const frames = await collect(src, 7);
  assert.deepEqual(frames.map((f) => f.data), [SPS, PPS, P1, SPS, PPS, IDR, P1]);
  assert.equal(damaged.length, 1);
  assert.equal(damaged[0]!.rtpTimestamp, 0);
  assert.equal(damaged[0]!.totalDamagedFrames, 1);
  assert.equal(src.damagedFrames, 1);
  assert.equal(src.lostPackets, 1);
  // A late arrival of the lost packet is refused, not spliced in.
  src.injectPacket(pkts[2]!);
  assert.equal(src.latePackets, 1);
  src.close();
});

test('a missing FU-A start is reported once and its remaining fragments skipped', async () => {
  const sched = new VirtualTaskScheduler();
  const src = new H264VideoRTPSource({ scheduler: sched, reorder: { maxDelayUs: 10_000 } });
  const damaged: RTPDamagedFrameInfo[] = [];
  src.on('damaged', (d) => damaged.push(d));
  const pkts = stream(40, 0);
  src.injectPacket(pkts[0]!); // STAP-A
  src.injectPacket(pkts[2]!); // FU middle (start lost)
  sched.advance(10_000);
  src.injectPacket(pkts[3]!); // FU end
  src.injectPacket(pkts[4]!); // P
  const frames = await collect(src, 3);
  assert.deepEqual(frames.map((f) => f.data), [SPS, PPS, P1]);
  assert.equal(damaged.length, 1);
  src.close();
});

test('sequence numbers wrapping at 65535 lose nothing; known drops show in the loss statistics', async () => {
  const sched = new VirtualTaskScheduler();
  const src = new H264VideoRTPSource({ scheduler: sched, reorder: { maxDelayUs: 5_000 } });
  // 40 single-NAL frames from seq 65520, dropping seqs 65530 and 3.
  const nal = (i: number) => Uint8Array.of(0x41, i + 1, 7);
  let seqs = 0;
  for (let i = 0; i < 40; i++) {
    const seq = (65520 + i) & 0xffff;
    if (seq !== 65530 && seq !== 3) src.injectPacket(rtp({ seq, ts: i * 3000, marker: true, payload: nal(i) }));
    seqs++;
    sched.advance(10_000);
  }
  const frames = await collect(src, 38);
  assert.deepEqual(frames.map((f) => f.data[1]! - 1), [...Array(40).keys()].filter((i) => i !== 10 && i !== 19));
  const stats = src.receptionStats!;
  assert.equal(stats.packetsLost, 2);
  assert.equal(stats.extendedHighestSeq, 65536 + 23);
  assert.equal(src.lostPackets, 2);
  assert.equal(src.damagedFrames, 0, 'a lost single-NAL packet is a missing frame, not a damaged one');
  src.close();
});

test('Annex-B start codes inside a payload split it into NAL units', async () => {
  const sched = new VirtualTaskScheduler();
  const src = new H264VideoRTPSource({ scheduler: sched });
  const annexB = Uint8Array.from([0, 0, 0, 1, ...SPS, 0, 0, 0, 1, ...PPS, 0, 0, 1, ...P1]);
  src.injectPacket(rtp({ seq: 1, ts: 0, marker: true, payload: annexB }));
  // A FU-A whose reassembled NAL holds a start code (seen from some cameras).
  const joined = Uint8Array.from([...IDR.subarray(0, 100), 0, 0, 0, 1, ...P1]);
  for (const [i, p] of fuA(joined, 60).entries()) src.injectPacket(rtp({ seq: 2 + i, ts: 3000, marker: true, payload: p }));
  const frames = await collect(src, 5);
  assert.deepEqual(frames.map((f) => f.data), [SPS, PPS, P1, IDR.subarray(0, 100), P1]);
  assert.deepEqual(frames.map((f) => f.endOfAccessUnit), [false, false, true, false, true]);
  src.close();
});

test('an RTCP SR maps RTP time to the sender wall clock and marks frames as synchronised', async () => {
  const sched = new VirtualTaskScheduler();
  const src = new H264VideoRTPSource({ scheduler: sched });
  src.injectPacket(rtp({ seq: 1, ts: 0xffff_f000, marker: true, payload: P1 }));
  const before = (await src.getNextFrame())!;
  assert.equal(before.syncedUsingRTCP, false);
  assert.equal(src.syncedUsingRTCP, false);
  const srWallUs = 1_750_000_000_000_000;
  src.noteSenderReport(0x01020304, ntpFromUnixMicros(srWallUs), 0xffff_f000);
  // 0x1000 + 0x2000 ticks later, across the 32-bit timestamp wrap.
  src.injectPacket(rtp({ seq: 2, ts: 0x2000, marker: true, payload: P1 }));
  const after = (await src.getNextFrame())!;
  assert.equal(after.syncedUsingRTCP, true);
  assert.equal(src.syncedUsingRTCP, true);
  assert.equal(after.presentationTime, srWallUs + Math.round((0x3000 * 1e6) / 90_000));
  // The SR also feeds LSR/DLSR of our next receiver report.
  sched.advance(500_000);
  const [block] = src.makeReportBlocks();
  assert.equal(block!.delaySinceLastSR, 32_768);
  src.close();
});

test('bad packets are counted, never thrown; other payload types are ignored; close ends reads', async () => {
  const sched = new VirtualTaskScheduler();
  const src = new H264VideoRTPSource({ scheduler: sched, payloadType: 96 });
  src.injectPacket(Uint8Array.of(1, 2, 3));
  src.injectPacket(rtp({ seq: 1, ts: 0, pt: 97, payload: P1 }));
  src.injectPacket(rtp({ seq: 2, ts: 0, payload: [0x19, 1, 2] })); // STAP-B: unsupported
  src.injectPacket(rtp({ seq: 3, ts: 0, payload: [0x18, 0x00, 0x09, 0x67] })); // STAP-A overrun
  assert.equal(src.malformedPackets, 1);
  assert.equal(src.ignoredPackets, 1);
  assert.equal(src.damagedFrames, 2);
  const pending = src.getNextFrame();
  src.close();
  assert.equal(await pending, null);
});

test('hostile: a NAL unit sent as 1-byte FU-A fragments is dropped past 16384 fragments (the 8 MiB bound alone let a peer make a source hold ~1 GB of fragment views), and the next frame arrives', async () => {
  const sched = new VirtualTaskScheduler();
  const src = new H264VideoRTPSource({ scheduler: sched });
  const damaged: RTPDamagedFrameInfo[] = [];
  src.on('damaged', (d) => damaged.push(d));
  const n = 16384 + 100;
  for (let i = 0; i < n; i++) {
    const fu = (i === 0 ? 0x80 : 0) | (i === n - 1 ? 0x40 : 0) | 5;
    src.injectPacket(rtp({ seq: i & 0xffff, ts: 90_000, marker: i === n - 1, payload: [0x7c, fu, 0x11] }));
  }
  src.injectPacket(rtp({ seq: n & 0xffff, ts: 93_000, marker: true, payload: P1 }));
  const [frame] = await collect(src, 1);
  assert.deepEqual(frame!.data, P1, 'the huge fragmented frame was dropped, the next one delivered');
  assert.equal(damaged.length, 1, 'reported once, its remaining fragments skipped quietly');
  assert.match(damaged[0]!.reason, /more than 16384 fragments/);
  assert.equal(src.lostPackets, 0);
  src.close();
});
