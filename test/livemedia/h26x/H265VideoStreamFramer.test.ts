import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { isDorsvrError } from '@dorsvr/scheduler';
import { ByteStreamMemorySource, H265VideoStreamFramer, parseH265SPS, parseH265VPS, removeEmulationPrevention } from '@dorsvr/livemedia';
import { fixture } from '../../helpers/paths.js';
import { ffprobeStream } from './ffprobeStream.js';
import { accessUnits, collect, framerConformance } from './framerChecks.js';

framerConformance(H265VideoStreamFramer, 'test.265');
framerConformance(H265VideoStreamFramer, 'test-30fps.265');

const PROFILE_NAMES: Record<number, string> = { 1: 'Main', 2: 'Main 10', 3: 'Main Still Picture', 4: 'Rext' };

for (const file of ['test.265', 'test-30fps.265']) {
  test(`${file}: VPS/SPS parse (profile/tier/level, size with conformance window, VUI frame rate) agrees with ffprobe`, async () => {
    const probe = await ffprobeStream(fixture(file));
    const framer = await H265VideoStreamFramer.open(fixture(file));
    try {
      assert.ok(framer.vps && framer.sps && framer.pps);
      const sps = parseH265SPS(framer.sps);
      const vps = parseH265VPS(framer.vps);
      assert.equal(sps.width, probe.width);
      assert.equal(sps.height, probe.height);
      assert.equal(sps.frameRate, probe.frameRate);
      assert.equal(sps.profileTierLevel.generalLevelIdc, probe.level);
      assert.equal(PROFILE_NAMES[sps.profileTierLevel.generalProfileIdc], probe.profile);
      assert.deepEqual(vps.profileTierLevel, sps.profileTierLevel);
      // The 12 PTL bytes follow the first RBSP byte (after the 2-byte NAL header).
      assert.deepEqual([...sps.profileTierLevel.bytes], [...removeEmulationPrevention(framer.sps.subarray(2)).subarray(1, 13)]);
      assert.equal(framer.profileTierLevel?.generalProfileIdc, 1);
      assert.equal(framer.frameRate, probe.frameRate);
      assert.equal(framer.width, probe.width);
    } finally {
      framer.close();
    }
  });
}

test('H.265: truncated stream ends cleanly, garbage is a clear error', async () => {
  const bytes = new Uint8Array(readFileSync(fixture('test.265')));
  const aus = accessUnits(await collect(new H265VideoStreamFramer(new ByteStreamMemorySource(bytes.subarray(0, 6000)))));
  assert.ok(aus.length > 2 && aus.length < 50);
  await assert.rejects(
    collect(new H265VideoStreamFramer(new ByteStreamMemorySource(new Uint8Array(3000).fill(0xab)))),
    (e) => isDorsvrError(e, 'ERR_H26X_NO_NAL_UNITS'),
  );
});
