// Key frame starts in RTP payloads (RFC 6184 / RFC 7798) and parameter sets learnt from them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isH264KeyFrameStart, isH265KeyFrameStart, RelayParameterSets } from '@dorsvr/livemedia';
import { H264, H265 } from './relayHelpers.js';

test('H.264: IDR first slices start a key frame as single NAL, in a STAP-A and as an FU-A start; nothing else does', () => {
  assert.equal(isH264KeyFrameStart(H264.idr), true);
  assert.equal(isH264KeyFrameStart(H264.idrSecondSlice), false, 'an IDR slice with first_mb_in_slice ≠ 0');
  assert.equal(isH264KeyFrameStart(H264.p(1)), false);
  assert.equal(isH264KeyFrameStart(H264.sps), false);
  assert.equal(isH264KeyFrameStart(H264.fuaStart), true);
  assert.equal(isH264KeyFrameStart(H264.fuaMiddle), false);
  assert.equal(isH264KeyFrameStart(H264.fuaEnd), false);
  assert.equal(isH264KeyFrameStart(Uint8Array.from([0x7c, 0x81, 0x9a])), false, 'FU-A start of a non-IDR slice');
  assert.equal(isH264KeyFrameStart(H264.stapA(H264.sps, H264.pps, H264.idr)), true);
  assert.equal(isH264KeyFrameStart(H264.stapA(H264.sps, H264.pps)), false);
  const truncated = H264.stapA(H264.sps, H264.idr).subarray(0, 8);
  assert.equal(isH264KeyFrameStart(truncated), false);
  assert.equal(isH264KeyFrameStart(new Uint8Array(0)), false);
});

test('H.265: IRAP (16–21) first slice segments start a key frame as single NAL, in an AP and as an FU start; with DONL too', () => {
  assert.equal(isH265KeyFrameStart(H265.idr), true);
  assert.equal(isH265KeyFrameStart(H265.trail), false);
  assert.equal(isH265KeyFrameStart(H265.vps), false);
  assert.equal(isH265KeyFrameStart(H265.fuStartCRA), true);
  assert.equal(isH265KeyFrameStart(H265.fuEndCRA), false);
  assert.equal(isH265KeyFrameStart(Uint8Array.from([0x26, 0x01, 0x2f])), false, 'not the first slice segment');
  assert.equal(isH265KeyFrameStart(Uint8Array.from([0x2e, 0x01, 0x80])), false, 'type 23 (reserved IRAP) is not taken');
  const ap = Uint8Array.from([0x60, 0x01, 0x00, H265.vps.length, ...H265.vps, 0x00, H265.idr.length, ...H265.idr]);
  assert.equal(isH265KeyFrameStart(ap), true);
  // With DONL: 2 bytes after the payload header (single NAL, FU start), DOND before later AP units.
  assert.equal(isH265KeyFrameStart(Uint8Array.from([0x26, 0x01, 0x00, 0x07, 0xaf]), true), true);
  assert.equal(isH265KeyFrameStart(Uint8Array.from([0x26, 0x01, 0x00, 0x07, 0xaf]), false), false);
  assert.equal(isH265KeyFrameStart(Uint8Array.from([0x62, 0x01, 0x80 | 19, 0x00, 0x01, 0x80]), true), true);
  const apDonl = Uint8Array.from([0x60, 0x01, 0x00, 0x05, 0x00, H265.vps.length, ...H265.vps, 0x01, 0x00, H265.idr.length, ...H265.idr]);
  assert.equal(isH265KeyFrameStart(apDonl, true), true);
});

test('key frame tests and parameter set learning never throw on any bytes (fast-check)', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), fc.boolean(), (bytes, donl) => {
      isH264KeyFrameStart(bytes);
      isH265KeyFrameStart(bytes, donl);
      new RelayParameterSets('h264').learn(bytes);
      new RelayParameterSets('h265', donl).learn(bytes);
    }),
    { numRuns: 2000 },
  );
});

test('parameter sets: learnt from STAP-A / AP and single NAL units, latest last, duplicates once, at most 4 per kind; DONL removed', () => {
  const sets = new RelayParameterSets('h264');
  sets.learn(H264.stapA(H264.sps, H264.pps));
  sets.learn(H264.sps);
  assert.deepEqual(sets.list(), [H264.sps, H264.pps]);
  const pps = [1, 2, 3, 4, 5].map((i) => Uint8Array.from([0x68, 0xce, i]));
  for (const p of pps) sets.learn(p);
  assert.deepEqual(sets.list(), [H264.sps, ...pps.slice(1)]);
  const h265 = new RelayParameterSets('h265', true);
  h265.learn(Uint8Array.from([0x42, 0x01, 0x00, 0x09, 0x01, 0x60]));
  assert.deepEqual(h265.list(), [Uint8Array.from([0x42, 0x01, 0x01, 0x60])]);
  const other = new RelayParameterSets('other');
  other.learn(H264.sps);
  assert.deepEqual(other.list(), []);
});
