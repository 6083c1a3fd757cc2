import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MPEG4GenericRTPSource,
  MPEG1or2AudioRTPSource,
  SimpleRTPSource,
  type RTPDamagedFrameInfo,
  type RTPFrame,
  type RTPSource,
} from '@dorsvr/livemedia';
import { VirtualTaskScheduler } from '@dorsvr/scheduler';
import { filler, rtp } from './rtpPackets.js';

async function collect(src: RTPSource, n: number): Promise<RTPFrame[]> {
  const out: RTPFrame[] = [];
  for (let i = 0; i < n; i++) out.push((await src.getNextFrame())!);
  return out;
}

/** RFC 3640 AAC-hbr payload: AU-headers-length, 13-bit size + 3-bit index(-delta) per AU, AUs. */
function aacHbr(aus: Uint8Array[], sizeOverride?: number): Uint8Array {
  const headers: number[] = [];
  for (const au of aus) {
    const size = sizeOverride ?? au.length;
    headers.push(size >> 5, (size & 0x1f) << 3);
  }
  const bits = aus.length * 16;
  return Uint8Array.from([bits >> 8, bits & 0xff, ...headers, ...aus.flatMap((a) => [...a])]);
}

test('MPEG4-generic AAC-hbr: several AUs per packet, timestamps +1024 each, durations', async () => {
  const sched = new VirtualTaskScheduler();
  const src = new MPEG4GenericRTPSource({ scheduler: sched, timestampFrequency: 48_000 });
  const aus = [filler(200, 1), filler(7, 2), filler(371, 3)];
  src.injectPacket(rtp({ seq: 9, ts: 48_000, marker: true, payload: aacHbr(aus) }));
  src.injectPacket(rtp({ seq: 10, ts: 48_000 + 3072, marker: true, payload: aacHbr([aus[0]!]) }));
  const frames = await collect(src, 4);
  assert.deepEqual(frames.map((f) => f.data), [...aus, aus[0]]);
  assert.deepEqual(frames.map((f) => f.rtpTimestamp), [48_000, 49_024, 50_048, 51_072]);
  assert.deepEqual(frames.map((f) => f.duration), [21_333, 21_333, 21_333, 21_333]);
  assert.equal(frames[3]!.presentationTime - frames[0]!.presentationTime, 64_000);
  src.close();
});

test('MPEG4-generic: a fragmented AU is reassembled; with a fragment lost it is reported and dropped', async () => {
  const sched = new VirtualTaskScheduler();
  const src = new MPEG4GenericRTPSource({ scheduler: sched, timestampFrequency: 44_100, reorder: { maxDelayUs: 10_000 } });
  const damaged: RTPDamagedFrameInfo[] = [];
  src.on('damaged', (d) => damaged.push(d));
  const big = filler(3000, 9);
  const frag = (seq: number, ts: number, part: Uint8Array, last: boolean) =>
    rtp({ seq, ts, marker: last, payload: aacHbr([part], big.length) });
  src.injectPacket(frag(1, 0, big.subarray(0, 1400), false));
  src.injectPacket(frag(2, 0, big.subarray(1400, 2800), false));
  src.injectPacket(frag(3, 0, big.subarray(2800), true));
  // Second AU: middle fragment lost.
  src.injectPacket(frag(4, 1024, big.subarray(0, 1400), false));
  src.injectPacket(frag(6, 1024, big.subarray(2800), true));
  sched.advance(10_000);
  src.injectPacket(rtp({ seq: 7, ts: 2048, marker: true, payload: aacHbr([filler(10, 4)]) }));
  const frames = await collect(src, 2);
  assert.deepEqual(frames[0]!.data, big);
  assert.deepEqual(frames[1]!.data, filler(10, 4));
  assert.equal(damaged.length, 1);
  assert.equal(damaged[0]!.rtpTimestamp, 1024);
  src.close();
});

/** An MPEG-1 Layer III frame, 128 kbit/s, 44.1 kHz, no padding: 417 bytes. */
function mp3Frame(seed: number): Uint8Array {
  const f = filler(417, seed);
  f.set([0xff, 0xfb, 0x90, 0x00]);
  return f;
}

test('MPEG-1/2 audio: frames split out of a packet, a fragmented frame rebuilt from its offsets', async () => {
  const sched = new VirtualTaskScheduler();
  const src = new MPEG1or2AudioRTPSource({ scheduler: sched });
  const [a, b, c] = [mp3Frame(1), mp3Frame(2), mp3Frame(3)];
  const mpa = (off: number, data: Uint8Array) => Uint8Array.from([0, 0, off >> 8, off & 0xff, ...data]);
  src.injectPacket(rtp({ seq: 1, ts: 1000, pt: 14, payload: mpa(0, Uint8Array.from([...a, ...b])) }));
  src.injectPacket(rtp({ seq: 2, ts: 1000 + 4702, pt: 14, payload: mpa(0, c.subarray(0, 300)) }));
  src.injectPacket(rtp({ seq: 3, ts: 1000 + 4702, pt: 14, payload: mpa(300, c.subarray(300)) }));
  const frames = await collect(src, 3);
  assert.deepEqual(frames.map((f) => f.data), [a, b, c]);
  // 1152 samples at 44.1 kHz = 26 122 µs = 2351 ticks at 90 kHz.
  assert.deepEqual(frames.map((f) => f.rtpTimestamp), [1000, 3351, 5702]);
  assert.deepEqual(frames.map((f) => f.duration), [26_122, 26_122, 26_122]);
  src.close();
});

test('MPEG-1/2 audio: a fragment at the wrong offset drops the frame', async () => {
  const sched = new VirtualTaskScheduler();
  const src = new MPEG1or2AudioRTPSource({ scheduler: sched });
  const c = mp3Frame(3);
  const mpa = (off: number, data: Uint8Array) => Uint8Array.from([0, 0, off >> 8, off & 0xff, ...data]);
  src.injectPacket(rtp({ seq: 1, ts: 0, payload: mpa(0, c.subarray(0, 300)) }));
  src.injectPacket(rtp({ seq: 2, ts: 0, payload: mpa(200, c.subarray(200)) }));
  src.injectPacket(rtp({ seq: 3, ts: 2351, payload: mpa(0, c) }));
  const frames = await collect(src, 1);
  assert.deepEqual(frames[0]!.data, c);
  assert.equal(src.damagedFrames, 1);
  src.close();
});

test('SimpleRTPSource: L16 frames with durations from sample counts; MP2T must be whole TS packets', async () => {
  const sched = new VirtualTaskScheduler();
  const l16 = new SimpleRTPSource({ scheduler: sched, encodingName: 'L16', channels: 2, timestampFrequency: 44_100 });
  l16.injectPacket(rtp({ seq: 1, ts: 0, pt: 10, payload: filler(1764, 1) }));
  const [f] = await collect(l16, 1);
  assert.equal(f!.duration, 10_000);
  assert.deepEqual(f!.data, filler(1764, 1));
  l16.close();

  const ts = new SimpleRTPSource({ scheduler: sched, encodingName: 'MP2T' });
  ts.injectPacket(rtp({ seq: 1, ts: 0, pt: 33, payload: new Uint8Array(188 * 7).fill(0x47) }));
  ts.injectPacket(rtp({ seq: 2, ts: 0, pt: 33, payload: new Uint8Array(100) }));
  const [g] = await collect(ts, 1);
  assert.equal(g!.data.length, 1316);
  assert.equal(ts.damagedFrames, 1);
  assert.equal(ts.timestampFrequency, 90_000);
  ts.close();
});
