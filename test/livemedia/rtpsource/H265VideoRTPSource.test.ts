import { test } from 'node:test';
import assert from 'node:assert/strict';
import { H265VideoRTPSource, type RTPFrame } from '@dorsvr/livemedia';
import { VirtualTaskScheduler } from '@dorsvr/scheduler';
import { filler, rtp } from './rtpPackets.js';

const VPS = Uint8Array.from([0x40, 0x01, ...filler(20, 1)]);
const SPS = Uint8Array.from([0x42, 0x01, ...filler(30, 2)]);
const PPS = Uint8Array.from([0x44, 0x01, ...filler(6, 3)]);
const IDR = Uint8Array.from([0x26, 0x01, ...filler(2500, 4)]); // IDR_W_RADL (19)
const TRAIL = Uint8Array.from([0x02, 0x01, ...filler(300, 5)]); // TRAIL_R (1)

function ap(...nals: Uint8Array[]): Uint8Array {
  const out: number[] = [48 << 1, 0x01];
  for (const n of nals) out.push(n.length >> 8, n.length & 0xff, ...n);
  return Uint8Array.from(out);
}

function fu(nal: Uint8Array, chunk: number): Uint8Array[] {
  const type = (nal[0]! >> 1) & 0x3f;
  const body = nal.subarray(2);
  const out: Uint8Array[] = [];
  for (let off = 0; off < body.length; off += chunk) {
    const s = off === 0 ? 0x80 : 0;
    const e = off + chunk >= body.length ? 0x40 : 0;
    out.push(Uint8Array.from([(nal[0]! & 0x81) | (49 << 1), nal[1]!, s | e | type, ...body.subarray(off, off + chunk)]));
  }
  return out;
}

async function collect(src: H265VideoRTPSource, n: number): Promise<RTPFrame[]> {
  const out: RTPFrame[] = [];
  for (let i = 0; i < n; i++) out.push((await src.getNextFrame())!);
  return out;
}

test('H.265: AP, FU and single NAL packets become NAL units; IRAP is key', async () => {
  const sched = new VirtualTaskScheduler();
  const src = new H265VideoRTPSource({ scheduler: sched });
  const payloads = [ap(VPS, SPS, PPS), ...fu(IDR, 1000)];
  payloads.forEach((p, i) => src.injectPacket(rtp({ seq: 65534 + i, ts: 0, marker: i === payloads.length - 1, payload: p })));
  src.injectPacket(rtp({ seq: 65534 + payloads.length, ts: 3000, marker: true, payload: TRAIL }));
  const frames = await collect(src, 5);
  assert.deepEqual(frames.map((f) => f.data), [VPS, SPS, PPS, IDR, TRAIL]);
  assert.deepEqual(frames.map((f) => f.key), [false, false, false, true, false]);
  assert.deepEqual(frames.map((f) => f.endOfAccessUnit), [false, false, false, true, true]);
  assert.deepEqual(src.vps, VPS);
  src.close();
});

test('H.265: a lost FU fragment drops the NAL unit and counts it', async () => {
  const sched = new VirtualTaskScheduler();
  const src = new H265VideoRTPSource({ scheduler: sched, reorder: { maxDelayUs: 20_000 } });
  let damaged = 0;
  src.on('damaged', () => damaged++);
  const frags = fu(IDR, 1000);
  frags.forEach((p, i) => {
    if (i !== 1) src.injectPacket(rtp({ seq: 10 + i, ts: 0, marker: i === frags.length - 1, payload: p }));
  });
  sched.advance(20_000);
  src.injectPacket(rtp({ seq: 10 + frags.length, ts: 3000, marker: true, payload: TRAIL }));
  const frames = await collect(src, 1);
  assert.deepEqual(frames[0]!.data, TRAIL);
  assert.equal(damaged, 1);
  src.close();
});
