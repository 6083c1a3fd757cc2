import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatSpropParameterSets, parseSpropParameterSets } from '@dorsvr/livemedia';

const hex = (u: Uint8Array): string => Buffer.from(u).toString('hex');

test('sprop-parameter-sets from GStreamer decode to an SPS (type 7) and a PPS (type 8)', () => {
  const [sps, pps, ...rest] = parseSpropParameterSets('Z0LAFdkBQfsBagwMDUoAAAMAAgAAAwB5HixckA==,aMuMsg==');
  assert.equal(rest.length, 0);
  assert.equal(sps![0]! & 0x1f, 7);
  assert.equal(sps![1], 0x42); // profile_idc 66 (Baseline), matching profile-level-id=42c015
  assert.equal(sps![3], 0x15); // level 2.1
  assert.equal(hex(pps!), '68cb8cb2');
});

test('tolerates empty entries, whitespace, missing padding, URL-safe base64 and Annex-B start codes inside', () => {
  assert.deepEqual(parseSpropParameterSets(''), []);
  assert.deepEqual(parseSpropParameterSets(',,'), []);
  assert.deepEqual(parseSpropParameterSets(' aMuMsg , ').map(hex), ['68cb8cb2']);
  assert.deepEqual(parseSpropParameterSets('_-8').map(hex), ['ffef']);
  // One entry holding "00 00 00 01 SPS 00 00 01 PPS", as some cameras send.
  const annexB = Buffer.from([0, 0, 0, 1, 0x67, 0x42, 0, 0x1e, 0, 0, 1, 0x68, 0xce, 0x3c, 0x80]).toString('base64');
  assert.deepEqual(parseSpropParameterSets(annexB).map(hex), ['6742001e', '68ce3c80']);
});

test('property: format then parse gives the NAL units back (NALs without start codes)', () => {
  const nal = fc.uint8Array({ minLength: 1, maxLength: 60 }).filter((u) => !Buffer.from(u).includes(Buffer.from([0, 0, 1])));
  fc.assert(
    fc.property(fc.array(nal, { maxLength: 4 }), (nals) => {
      assert.deepEqual(parseSpropParameterSets(formatSpropParameterSets(nals)).map(hex), nals.map(hex));
    }),
  );
});
