import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  H264VideoRTPSource,
  H265VideoRTPSource,
  MPEG4GenericRTPSource,
  MPEG1or2AudioRTPSource,
  SimpleRTPSource,
  type RTPFrame,
  type RTPSource,
} from '@dorsvr/livemedia';
import { VirtualTaskScheduler } from '@dorsvr/scheduler';
import { rtp } from './rtpPackets.js';

function drainQueued(src: RTPSource): Promise<RTPFrame[]> {
  src.endOfStream();
  return (async () => {
    const out: RTPFrame[] = [];
    for (let f = await src.getNextFrame(); f !== null; f = await src.getNextFrame()) out.push(f);
    return out;
  })();
}

/** A NAL unit of the given type and size with no start code inside and a non-zero last byte. */
const nalArb = fc
  .record({ type: fc.constantFrom(1, 5, 6, 7, 8), size: fc.integer({ min: 2, max: 4000 }), seed: fc.integer() })
  .map(({ type, size, seed }) => {
    const b = new Uint8Array(size);
    b[0] = 0x60 | type;
    let s = seed >>> 0;
    for (let i = 1; i < size; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      b[i] = 1 + (s >>> 24) % 255;
    }
    return b;
  });

/** RFC 6184 packetization: single NAL up to 1000 bytes, FU-A above. */
function packetize(nals: Uint8Array[]): { payload: Uint8Array; ts: number; marker: boolean }[] {
  const out: { payload: Uint8Array; ts: number; marker: boolean }[] = [];
  nals.forEach((nal, n) => {
    const ts = n * 3000;
    if (nal.length <= 1000) {
      out.push({ payload: nal, ts, marker: true });
      return;
    }
    for (let off = 1; off < nal.length; off += 999) {
      const s = off === 1 ? 0x80 : 0;
      const e = off + 999 >= nal.length ? 0x40 : 0;
      out.push({
        payload: Uint8Array.from([(nal[0]! & 0xe0) | 28, s | e | (nal[0]! & 0x1f), ...nal.subarray(off, off + 999)]),
        ts,
        marker: e !== 0,
      });
    }
  });
  return out;
}

test('property: whatever packets are lost or reordered, H.264 frames are whole NAL units, in order, and losses inside FU-A are counted', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(nalArb, { minLength: 1, maxLength: 12 }),
      fc.array(fc.boolean(), { minLength: 200, maxLength: 200 }),
      fc.array(fc.boolean(), { minLength: 200, maxLength: 200 }),
      fc.integer({ min: 0, max: 65535 }),
      async (nals, drops, swaps, seq0) => {
        const sched = new VirtualTaskScheduler();
        const src = new H264VideoRTPSource({ scheduler: sched, reorder: { maxDelayUs: 30_000, maxPackets: 16 } });
        const packets = packetize(nals).map((p, i) => ({ ...p, seq: (seq0 + i) & 0xffff, i }));
        // Swap neighbours here and there (reordering within the buffer), drop some (never the first).
        for (let i = 0; i + 1 < packets.length; i++) if (swaps[i % 200]) [packets[i], packets[i + 1]] = [packets[i + 1]!, packets[i]!];
        let sent = 0;
        const sentPerTs = new Map<number, number>();
        const totalPerTs = new Map<number, number>();
        for (const p of packets) totalPerTs.set(p.ts, (totalPerTs.get(p.ts) ?? 0) + 1);
        for (const p of packets) {
          if (sent > 0 && drops[p.i % 200] && p.i % 3 === 0) continue;
          sentPerTs.set(p.ts, (sentPerTs.get(p.ts) ?? 0) + 1);
          src.injectPacket(rtp({ seq: p.seq, ts: p.ts, marker: p.marker, payload: p.payload }));
          sent++;
          sched.advance(1_000);
        }
        sched.advance(100_000);
        const frames = await drainQueued(src);
        // Every frame is one of the NAL units, whole, in stream order.
        let last = -1;
        for (const f of frames) {
          const k = f.rtpTimestamp / 3000;
          assert.ok(Number.isInteger(k) && k > last && k < nals.length, `frame at ${f.rtpTimestamp} out of order`);
          assert.deepEqual(f.data, nals[k], 'a delivered frame is not the whole NAL unit sent (partial or corrupt)');
          last = k;
        }
        assert.ok(frames.length + src.damagedFrames <= nals.length, 'a NAL unit is either delivered or reported, never both');
        // Each NAL unit that lost some but not all of its packets is reported damaged exactly once.
        if (src.latePackets === 0) {
          let partial = 0;
          for (const [ts, total] of totalPerTs) {
            const n = sentPerTs.get(ts) ?? 0;
            if (n > 0 && n < total) partial++;
          }
          assert.equal(src.damagedFrames, partial);
        }
        // Nothing dropped and nothing arrived too late: every NAL unit comes through, none damaged.
        if (sent === packets.length && src.latePackets === 0) {
          assert.equal(frames.length, nals.length);
          assert.equal(src.damagedFrames, 0);
        }
        src.close();
      },
    ),
    { numRuns: 150 },
  );
});

test('property: random payloads never throw out of any depacketizer and never yield empty frames', async () => {
  const makers: ((s: VirtualTaskScheduler) => RTPSource)[] = [
    (s) => new H264VideoRTPSource({ scheduler: s }),
    (s) => new H265VideoRTPSource({ scheduler: s }),
    (s) => new MPEG4GenericRTPSource({ scheduler: s }),
    (s) => new MPEG1or2AudioRTPSource({ scheduler: s }),
    (s) => new SimpleRTPSource({ scheduler: s, encodingName: 'MP2T' }),
  ];
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 0, max: makers.length - 1 }),
      fc.array(fc.record({ payload: fc.uint8Array({ maxLength: 300 }), marker: fc.boolean(), dts: fc.integer({ min: 0, max: 3 }) }), {
        maxLength: 30,
      }),
      async (which, packets) => {
        const sched = new VirtualTaskScheduler();
        const src = makers[which]!(sched);
        let ts = 0;
        packets.forEach((p, i) => {
          ts += p.dts * 1000;
          src.injectPacket(rtp({ seq: i, ts, marker: p.marker, payload: p.payload }));
          sched.advance(500);
        });
        for (const f of await drainQueued(src)) assert.ok(f.data.length > 0);
        src.close();
      },
    ),
    { numRuns: 500 },
  );
});
