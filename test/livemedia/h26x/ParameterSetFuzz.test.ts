import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { isDorsvrError } from '@dorsvr/scheduler';
import {
  ByteStreamMemorySource,
  H264VideoStreamFramer,
  H265VideoStreamFramer,
  parseH264PPSIds,
  parseH264SliceHeaderStart,
  parseH264SPS,
  parseH265SPS,
  parseH265VPS,
  splitAnnexB,
  type FramedSource,
} from '@dorsvr/livemedia';
import { fixture } from '../../helpers/paths.js';

function onlyDorsvrErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    assert.ok(isDorsvrError(e), `expected a DorsvrError, got ${String(e)}`);
  }
}

const nalsOf = (file: string) => splitAnnexB(new Uint8Array(readFileSync(fixture(file)))).map((n) => n.data);
const h264 = nalsOf('test-slices-30fps.264');
const h265 = nalsOf('test-30fps.265');
const sps264 = h264.find((n) => (n[0]! & 0x1f) === 7)!;
const vps265 = h265.find((n) => ((n[0]! >> 1) & 0x3f) === 32)!;
const sps265 = h265.find((n) => ((n[0]! >> 1) & 0x3f) === 33)!;

test('every truncation of a real SPS/VPS parses or fails with ERR_H26X_PARSE, never a RangeError', () => {
  for (const [nal, parse] of [
    [sps264, parseH264SPS],
    [vps265, parseH265VPS],
    [sps265, parseH265SPS],
  ] as const) {
    assert.doesNotThrow(() => parse(nal));
    for (let len = 0; len < nal.length; len++) {
      try {
        (parse as (n: Uint8Array) => unknown)(nal.subarray(0, len));
      } catch (e) {
        assert.ok(isDorsvrError(e, 'ERR_H26X_PARSE'), `len ${len}: ${String(e)}`);
      }
    }
  }
  // Cut before the VUI timing: the real SPS is understood up to there.
  assert.throws(() => parseH264SPS(sps264.subarray(0, 6)), (e) => isDorsvrError(e, 'ERR_H26X_PARSE'));
});

test('random and bit-flipped parameter sets and slice headers: only DorsvrErrors (fast-check)', () => {
  const flip = (nal: Uint8Array) =>
    fc.array(fc.nat({ max: nal.length * 8 - 1 }), { maxLength: 6 }).map((bits) => {
      const m = nal.slice();
      for (const b of bits) if (b >= 16) m[b >> 3]! ^= 0x80 >> (b & 7); // keep the NAL header
      return m;
    });
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), flip(sps264), flip(vps265), flip(sps265), (rnd, a, b, c) => {
      for (const parse of [parseH264SPS, parseH265VPS, parseH265SPS, parseH264PPSIds, parseH264SliceHeaderStart]) {
        onlyDorsvrErrors(() => (parse as (n: Uint8Array) => unknown)(Uint8Array.of(0x67, ...rnd)));
        onlyDorsvrErrors(() => (parse as (n: Uint8Array) => unknown)(rnd));
      }
      onlyDorsvrErrors(() => parseH264SPS(a));
      onlyDorsvrErrors(() => parseH265VPS(b));
      onlyDorsvrErrors(() => parseH265SPS(c));
    }),
    { numRuns: 1000 },
  );
});

test('framers fed random bytes with start codes: they end or fail with a DorsvrError, never hang (fast-check)', async () => {
  const piece = fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.constant(Uint8Array.of(0, 0, 1)), fc.constant(Uint8Array.of(0, 0, 0, 1)));
  await fc.assert(
    fc.asyncProperty(fc.array(piece, { maxLength: 60 }), fc.integer({ min: 1, max: 50 }), fc.boolean(), async (pieces, chunk, hevc) => {
      const bytes = Uint8Array.from(pieces.flatMap((p) => [...p]));
      const src = new ByteStreamMemorySource(bytes, { chunkSize: chunk });
      const framer: FramedSource = hevc ? new H265VideoStreamFramer(src) : new H264VideoStreamFramer(src);
      let count = 0;
      try {
        while ((await framer.getNextFrame()) !== null) assert.ok(++count <= bytes.length, 'more frames than bytes');
      } catch (e) {
        assert.ok(isDorsvrError(e), `expected a DorsvrError, got ${String(e)}`);
      } finally {
        framer.close();
      }
    }),
    { numRuns: 300 },
  );
});
