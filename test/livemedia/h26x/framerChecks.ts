// Shared checks for H264VideoStreamFramer.test.ts and H265VideoStreamFramer.test.ts: what our
// framer says of a fixture must be what the real ffprobe says of the same file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import {
  ByteStreamFileSource,
  ByteStreamMemorySource,
  H264VideoStreamFramer,
  H265VideoStreamFramer,
  type Frame,
  type FramedSource,
} from '@dorsvr/livemedia';
import { fixture } from '../../helpers/paths.js';
import { ffprobeStream, normalizeStartCodes } from './ffprobeStream.js';

export type FramerClass = typeof H264VideoStreamFramer | typeof H265VideoStreamFramer;

export async function collect(source: FramedSource): Promise<Frame[]> {
  const frames: Frame[] = [];
  for (let f = await source.getNextFrame(); f !== null; f = await source.getNextFrame()) frames.push(f);
  return frames;
}

/** Group NAL frames into access units by endOfAccessUnit. */
export function accessUnits(frames: Frame[]): Frame[][] {
  const aus: Frame[][] = [];
  let cur: Frame[] = [];
  for (const f of frames) {
    cur.push(f);
    if (f.endOfAccessUnit !== false) {
      aus.push(cur);
      cur = [];
    }
  }
  assert.equal(cur.length, 0, 'stream ended inside an access unit');
  return aus;
}

/**
 * Frame the file at `path` and check it against the real ffprobe: access-unit count, key flags,
 * presentation times, durations, endOfAccessUnit, and the bytes of every access unit.
 */
export async function checkAgainstFfprobe(Framer: FramerClass, path: string, minKeyFrames = 2): Promise<void> {
  const probe = await ffprobeStream(path);
  const framer = new Framer(await ByteStreamFileSource.open(path, { chunkSize: 4096 }));
  const frames = await collect(framer);
  framer.close();
  const aus = accessUnits(frames);
  assert.equal(aus.length, probe.packets.length, 'access-unit count');
  const bytes = readFileSync(path);
  for (let i = 0; i < aus.length; i++) {
    const au = aus[i]!;
    const p = probe.packets[i]!;
    for (const f of au) {
      assert.equal(f.key, p.key, `AU ${i}: key`);
      assert.ok(Math.abs(f.presentationTime - p.timeUs) <= 1, `AU ${i}: pt ${f.presentationTime} vs ffprobe ${p.timeUs}`);
    }
    au.slice(0, -1).forEach((f) => {
      assert.equal(f.duration, 0);
      assert.equal(f.endOfAccessUnit, false);
    });
    const last = au.at(-1)!;
    assert.equal(last.endOfAccessUnit, true);
    assert.ok(Math.abs(last.duration - p.durationUs) <= 1, `AU ${i}: duration ${last.duration} vs ${p.durationUs}`);
    // Byte for byte: our NAL units, each behind a start code, are ffprobe's packet.
    const ours: number[] = [];
    for (const f of au) ours.push(0, 0, 1, ...f.data);
    assert.deepEqual(ours, normalizeStartCodes(bytes.subarray(p.pos, p.pos + p.size)), `AU ${i}: bytes`);
  }
  assert.ok(aus.filter((au) => au[0]!.key).length >= minKeyFrames, 'the stream has key frames');
}

export function framerConformance(Framer: FramerClass, file: string): void {
  const path = fixture(file);

  test(`${file}: access units, key frames, timestamps and bytes match ffprobe`, () => checkAgainstFfprobe(Framer, path));

  test(`${file}: parameter sets and SPS fields match ffprobe`, async () => {
    const probe = await ffprobeStream(path);
    const info = await Framer.probe(path);
    assert.equal(info.width, probe.width);
    assert.equal(info.height, probe.height);
    assert.equal(info.frameRate, probe.frameRate);
    assert.ok(info.sps && info.pps);
    assert.equal(info.index?.accessUnitCount, probe.packets.length);
    const last = probe.packets.at(-1)!;
    assert.ok(Math.abs(info.durationSeconds! * 1e6 - (last.timeUs + last.durationUs)) <= 1, 'duration');
    // Key-frame offsets point at the `00 00 01` that starts ffprobe's key packet (ffprobe's H.264
    // packets also include the leading zero of a 4-byte start code).
    const bytes = readFileSync(path);
    const keyPackets = probe.packets.filter((p) => p.key);
    assert.equal(info.index!.keyFrames.length, keyPackets.length);
    info.index!.keyFrames.forEach((k, i) => {
      const pos = keyPackets[i]!.pos;
      assert.ok(k.byteOffset === pos || k.byteOffset === pos + 1, `key frame ${i}: ${k.byteOffset} vs packet at ${pos}`);
      assert.deepEqual([...bytes.subarray(k.byteOffset, k.byteOffset + 3)], [0, 0, 1]);
    });
  });

  test(`${file}: any chunking gives the same NAL units (fast-check)`, async () => {
    const bytes = new Uint8Array(readFileSync(path));
    const whole = new Framer(new ByteStreamMemorySource(bytes, { chunkSize: bytes.length }));
    const reference = await collect(whole);
    // One chunk: every NAL unit is a view of the input, not a copy.
    for (const f of reference) assert.equal(f.data.buffer, bytes.buffer);
    const sig = (fs: Frame[]) => fs.map((f) => [Buffer.from(f.data).toString('hex'), f.presentationTime, f.duration, f.endOfAccessUnit, f.key]);
    const expected = sig(reference);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 20 }), async (sizes) => {
        const src = new ByteStreamMemorySource(bytes, { chunkSize: (i) => sizes[i % sizes.length]! });
        const got = await collect(new Framer(src));
        assert.deepEqual(sig(got), expected);
      }),
      { numRuns: 25 },
    );
    // The hardest cut: one byte per chunk.
    const tiny = await collect(new Framer(new ByteStreamMemorySource(bytes, { chunkSize: 1 })));
    assert.deepEqual(sig(tiny), expected);
  });

  test(`${file}: seekToNPT lands on the key frame at or before npt; durationSeconds`, async () => {
    const probe = await ffprobeStream(path);
    const framer = await Framer.open(path);
    try {
      const keyTimes = probe.packets.filter((p) => p.key).map((p) => p.timeUs);
      const total = probe.packets.at(-1)!.timeUs + probe.packets.at(-1)!.durationUs;
      assert.ok(Math.abs(framer.durationSeconds()! * 1e6 - total) <= 1);
      for (const npt of [0.9, 0.5, 0.05, 0, (keyTimes[1]! + 1) / 1e6, total / 1e6 - 0.01]) {
        const expectUs = keyTimes.filter((t) => t <= npt * 1e6 + 0.5).at(-1)!;
        const reached = framer.seekToNPT(npt);
        assert.ok(reached !== null && Math.abs(reached * 1e6 - expectUs) <= 1, `seek ${npt} → ${reached}, want ${expectUs / 1e6}`);
        const rest = accessUnits(await collectAfterSeek(framer));
        assert.equal(rest[0]![0]!.key, true, `first AU after seek to ${npt} is a key frame`);
        assert.ok(Math.abs(rest[0]![0]!.presentationTime - expectUs) <= 1);
        const firstIndex = probe.packets.findIndex((p) => Math.abs(p.timeUs - expectUs) <= 1);
        assert.equal(rest.length, probe.packets.length - firstIndex, 'access units after the seek');
      }
    } finally {
      framer.close();
    }
  });
}

/** Read until the end without closing (the framer stays usable for the next seek). */
async function collectAfterSeek(framer: FramedSource): Promise<Frame[]> {
  return collect(framer);
}
