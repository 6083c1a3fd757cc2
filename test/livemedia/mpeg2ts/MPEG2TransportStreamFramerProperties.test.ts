// MPEG2TransportStreamFramer: any chunking gives the same frames, frames are views of the input
// unless they straddle two chunks, PCR pacing on a synthetic constant-rate stream and on the
// fixture (sum of durations = PCR span), duration vs ffprobe, truncated/corrupted input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { isDorsvrError } from '@dorsvr/scheduler';
import { ByteStreamMemorySource, MPEG2TransportStreamFramer, readPCR, TS_PACKET_SIZE, type Frame } from '@dorsvr/livemedia';
import { fixture } from '../../helpers/paths.js';
import { findPeer } from '../../helpers/peers.js';
import { runPeer } from '../../rtspserver/helpers/ffmpeg.js';

const ts = readFileSync(fixture('test.ts'));

async function frames(data: Uint8Array, chunkSize: number | ((i: number) => number) = 65536, packetsPerFrame?: number): Promise<Frame[]> {
  const f = new MPEG2TransportStreamFramer(new ByteStreamMemorySource(data, { chunkSize }), packetsPerFrame ? { packetsPerFrame } : {});
  const out: Frame[] = [];
  for await (const fr of f) out.push(fr);
  return out;
}

/** A TS packet of `pid`, with a PCR in an adaptation field when `pcr` (in 27 MHz ticks) is given. */
function packet(pid: number, cc: number, pcr?: number): Uint8Array {
  const p = new Uint8Array(TS_PACKET_SIZE).fill(0xff);
  p[0] = 0x47;
  p[1] = (pid >> 8) & 0x1f;
  p[2] = pid & 0xff;
  if (pcr === undefined) {
    p[3] = 0x10 | (cc & 0xf);
    return p;
  }
  p[3] = 0x30 | (cc & 0xf);
  p[4] = 7;
  p[5] = 0x10;
  const base = Math.floor(pcr / 300);
  const ext = pcr % 300;
  p[6] = Math.floor(base / 2 ** 25) & 0xff;
  p[7] = Math.floor(base / 2 ** 17) & 0xff;
  p[8] = Math.floor(base / 2 ** 9) & 0xff;
  p[9] = Math.floor(base / 2) & 0xff;
  p[10] = ((base & 1) << 7) | 0x7e | (ext >> 8);
  p[11] = ext & 0xff;
  return p;
}

test('readPCR: 33-bit base / 90 kHz + 9-bit extension / 27 MHz, from hand-built packets; none without the flag', () => {
  const ticks = 27_000_000 * 3 + 300 * 1234 + 17; // 3 s + 1234 base ticks + 17 extension ticks
  assert.ok(Math.abs(readPCR(packet(0x100, 0, ticks))! - ticks / 27e6) < 1e-9);
  const big = 2 ** 33 * 300 - 300; // largest base
  assert.ok(Math.abs(readPCR(packet(0x100, 0, big))! - big / 27e6) < 1e-6);
  assert.equal(readPCR(packet(0x100, 0)), undefined);
  const noFlag = packet(0x100, 0, 1000);
  noFlag[5] = 0;
  assert.equal(readPCR(noFlag), undefined);
});

test('a constant 2 Mbit/s stream (a PCR every 10 packets) is timed at exactly 2 Mbit/s: 752 µs per packet', async () => {
  const perPacketTicks = (TS_PACKET_SIZE * 8 * 27e6) / 2e6; // 20304
  const parts: Uint8Array[] = [];
  for (let i = 0; i < 700; i++) parts.push(i % 10 === 0 ? packet(0x100, i, 27e6 * 5 + i * perPacketTicks) : packet(0x101, i));
  const got = await frames(Buffer.concat(parts));
  assert.equal(got.length, 100);
  got.forEach((f, k) => {
    // The first two frames come before a rate is known (the 2 Mbit/s default happens to match).
    assert.ok(Math.abs(f.presentationTime - k * 7 * 752) < 1e-6, `frame ${k} at ${f.presentationTime}`);
    assert.ok(Math.abs(f.duration - 7 * 752) < 1e-6);
  });
  // Same stream at 1 Mbit/s: packets twice as long, whatever the initial guess.
  const slow: Uint8Array[] = [];
  for (let i = 0; i < 700; i++) slow.push(i % 10 === 0 ? packet(0x100, i, i * perPacketTicks * 2) : packet(0x101, i));
  const f2 = new MPEG2TransportStreamFramer(new ByteStreamMemorySource(Buffer.concat(slow)), { initialBitrate: 10e6 });
  const got2: Frame[] = [];
  for await (const fr of f2) got2.push(fr);
  const last = got2.at(-1)!;
  assert.ok(Math.abs(last.presentationTime - 99 * 7 * 1504) < 1e-6, `last frame at ${last.presentationTime}`);
  const sum = got2.reduce((s, f) => s + f.duration, 0);
  assert.ok(Math.abs(sum - 700 * 1504) < 7 * 1504, `sum of durations ${sum}`); // only the first frame(s) use the guess
});

test('fixture: frames are paced by the PCRs (sum of durations ≈ first-to-last PCR span scaled to the file) and duration ≈ ffprobe', async () => {
  let firstPcr: number | undefined;
  let firstIdx = 0;
  let lastPcr = 0;
  let lastIdx = 0;
  let pid = -1;
  for (let i = 0; i * TS_PACKET_SIZE < ts.length; i++) {
    const pcr = readPCR(ts, i * TS_PACKET_SIZE);
    const p = ((ts[i * TS_PACKET_SIZE + 1]! & 0x1f) << 8) | ts[i * TS_PACKET_SIZE + 2]!;
    if (pcr === undefined || (pid >= 0 && p !== pid)) continue;
    if (firstPcr === undefined) [firstPcr, firstIdx, pid] = [pcr, i, p];
    [lastPcr, lastIdx] = [pcr, i];
  }
  assert.ok(firstPcr !== undefined && lastIdx > firstIdx);
  const got = await frames(ts);
  const packetsOf = (f: Frame): number => f.data.length / TS_PACKET_SIZE;
  // Time at the last PCR packet, from the frame containing it.
  let idx = 0;
  let atLast = 0;
  let atFirst = 0;
  for (const f of got) {
    const n = packetsOf(f);
    if (firstIdx >= idx && firstIdx < idx + n) atFirst = f.presentationTime + (firstIdx - idx) * (f.duration / n);
    if (lastIdx >= idx && lastIdx < idx + n) atLast = f.presentationTime + (lastIdx - idx) * (f.duration / n);
    idx += n;
  }
  const span = (lastPcr - firstPcr) * 1e6;
  assert.ok(Math.abs(atLast - atFirst - span) < 5_000, `first→last PCR packet: ${atLast - atFirst} µs vs PCR span ${span} µs`);
  const sum = got.reduce((s, f) => s + f.duration, 0);
  const rate = span / (lastIdx - firstIdx); // µs per packet, the file's average
  assert.ok(Math.abs(sum - rate * (ts.length / TS_PACKET_SIZE)) < 0.1 * sum, `sum of durations ${sum} µs`);

  const file = await MPEG2TransportStreamFramer.open(fixture('test.ts'));
  const r = await runPeer(findPeer('ffprobe'), ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', fixture('test.ts')]);
  const probed = Number(r.stdout.trim());
  assert.ok(Math.abs(file.durationSeconds()! - probed) < 0.15, `duration ${file.durationSeconds()} vs ffprobe ${probed}`);
  assert.ok(Math.abs(file.estimatedBitrate! - (ts.length * 8) / file.durationSeconds()!) < 1);
  file.close();
});

test('any chunking of the input gives the same frames (bytes, times, durations), for any packets per frame', async () => {
  const head = ts.subarray(0, TS_PACKET_SIZE * 120);
  await fc.assert(
    fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 3000 }), { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 12 }), async (sizes, per) => {
      const ref = await frames(head, head.length, per);
      const got = await frames(head, (i) => sizes[i % sizes.length]!, per);
      assert.equal(got.length, ref.length);
      got.forEach((f, i) => {
        assert.deepEqual(Buffer.from(f.data), Buffer.from(ref[i]!.data));
        assert.equal(f.presentationTime, ref[i]!.presentationTime);
        assert.equal(f.duration, ref[i]!.duration);
      });
    }),
    { numRuns: 120 },
  );
});

test('frames are views of the input chunk (no copy) unless they straddle two chunks', async () => {
  const aligned = await frames(ts, 7 * TS_PACKET_SIZE * 10);
  assert.ok(aligned.every((f) => f.data.buffer === ts.buffer), 'every frame a view of the input');
  const odd = await frames(ts, 10_000);
  const views = odd.filter((f) => f.data.buffer === ts.buffer).length;
  const copies = odd.length - views;
  assert.ok(copies > 0 && copies <= Math.ceil(ts.length / 10_000), `${copies} copies for ${Math.ceil(ts.length / 10_000)} chunk boundaries`);
  assert.deepEqual(Buffer.concat(odd.map((f) => f.data)), ts);
});

test('truncated and corrupted streams: whole packets only, clean end, no error but a DorsvrError', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 0, max: ts.length }),
      fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 20 }),
      fc.integer({ min: 1, max: 5000 }),
      async (cut, flips, chunk) => {
        const t = Buffer.from(ts.subarray(0, cut));
        const clean = await frames(t, chunk);
        assert.equal(clean.reduce((s, f) => s + f.data.length, 0), Math.floor(cut / TS_PACKET_SIZE) * TS_PACKET_SIZE);
        for (const [at, v] of flips) if (t.length) t[at % t.length] = v;
        try {
          const got = await frames(t, chunk);
          let last = -Infinity;
          for (const f of got) {
            assert.equal(f.data.length % TS_PACKET_SIZE, 0);
            for (let i = 0; i < f.data.length; i += TS_PACKET_SIZE) assert.equal(f.data[i], 0x47);
            assert.ok(f.presentationTime > last && Number.isFinite(f.presentationTime) && f.duration >= 0);
            last = f.presentationTime;
          }
        } catch (e) {
          assert.ok(isDorsvrError(e), String(e));
        }
      },
    ),
    { numRuns: 150 },
  );
});

test('seeking: by file position from the PCR-based estimate; a memory input without a duration cannot seek', async () => {
  const f = await MPEG2TransportStreamFramer.open(fixture('test.ts'));
  const d = f.durationSeconds()!;
  const reached = f.seekToNPT(d / 2)!;
  const expectedPacket = Math.floor((0.5 * ts.length) / TS_PACKET_SIZE);
  assert.ok(Math.abs(reached - (expectedPacket * TS_PACKET_SIZE * d) / ts.length) < 1e-9);
  const first = (await f.getNextFrame())!;
  assert.deepEqual(Buffer.from(first.data), ts.subarray(expectedPacket * TS_PACKET_SIZE, (expectedPacket + 7) * TS_PACKET_SIZE));
  assert.ok(Math.abs(first.presentationTime / 1e6 - reached) < 0.01);
  assert.equal(f.seekToNPT(0), 0);
  assert.deepEqual(Buffer.from((await f.getNextFrame())!.data), ts.subarray(0, 7 * TS_PACKET_SIZE));
  f.close();
  const m = new MPEG2TransportStreamFramer(new ByteStreamMemorySource(ts));
  assert.equal(m.seekToNPT(1), null);
  assert.equal(m.durationSeconds(), undefined);
  m.close();
});
