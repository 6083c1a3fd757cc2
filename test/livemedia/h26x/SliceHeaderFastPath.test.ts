import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BitReader, parseH264SliceHeaderStart, removeEmulationPrevention, type H264SPS } from '@dorsvr/livemedia';

/** The slice header start by its definition: the RBSP of the first 32 bytes, read with BitReader. */
function reference(nal: Uint8Array, sps: H264SPS | undefined): unknown {
  const r = new BitReader(removeEmulationPrevention(nal.subarray(1, 33)), 'ref');
  const firstMbInSlice = r.ueMax(139264, 'first_mb_in_slice');
  const sliceType = r.ueMax(9, 'slice_type');
  const ppsId = r.ueMax(255, 'pic_parameter_set_id');
  let frameNum: number | undefined;
  if (sps) {
    if (sps.separateColourPlane) r.skip(2);
    frameNum = r.u(sps.log2MaxFrameNum);
  }
  return { firstMbInSlice, sliceType, ppsId, frameNum };
}

function outcome(f: () => unknown): unknown {
  try {
    return { ok: f() };
  } catch {
    return 'throws';
  }
}

// Bytes rich in zeros, ones and 03s: emulation prevention, long Exp-Golomb prefixes, truncation.
const byte = fc.oneof(fc.constant(0), fc.constant(0), fc.constant(3), fc.constant(1), fc.integer({ min: 0, max: 255 }));

test('parseH264SliceHeaderStart (in place, in one pass) agrees with reading the RBSP by the definition (fast-check)', () => {
  fc.assert(
    fc.property(
      fc.array(byte, { maxLength: 40 }),
      fc.option(fc.record({ separateColourPlane: fc.boolean(), log2MaxFrameNum: fc.integer({ min: 4, max: 16 }) })),
      fc.boolean(),
      (raw, spsFields, asLookup) => {
        const nal = Uint8Array.of(0x65, ...raw);
        const sps = spsFields === null ? undefined : (spsFields as unknown as H264SPS);
        const got = outcome(() => ({ ...parseH264SliceHeaderStart(nal, asLookup ? () => sps : sps) }));
        assert.deepEqual(got, outcome(() => reference(nal, sps)));
      },
    ),
    { numRuns: 5000 },
  );
});
