// The byte limits of the H.264/H.265 framers fail closed: a limit given as a string, NaN or 0 is
// refused at construction, never read as "no limit" (a NAL unit is never larger than "1000").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { isDorsvrError } from '@dorsvr/scheduler';
import { ByteStreamMemorySource, H264VideoStreamFramer, H265VideoStreamFramer, type H26xVideoStreamFramerOptions } from '@dorsvr/livemedia';
import { fixture } from '../../helpers/paths.js';

test('maxNalSize, maxAccessUnitSize and maxPrepareBytes: anything but a positive integer (also Infinity, 1.5) throws ERR_H26X_OPTIONS', () => {
  const bytes = readFileSync(fixture('test.264'));
  for (const name of ['maxNalSize', 'maxAccessUnitSize', 'maxPrepareBytes'] as const) {
    for (const bad of ['1000', 'abc', Number.NaN, 0, -1, Number.POSITIVE_INFINITY, 1.5, null, true]) {
      for (const Framer of [H264VideoStreamFramer, H265VideoStreamFramer]) {
        const options = { [name]: bad } as unknown as H26xVideoStreamFramerOptions;
        assert.throws(
          () => new Framer(new ByteStreamMemorySource(bytes), options),
          (err: unknown) => isDorsvrError(err) && err.code === 'ERR_H26X_OPTIONS' && err.message.includes(name),
          `${Framer.name} ${name}: ${String(bad)}`,
        );
      }
    }
  }
});

test('a small maxNalSize given as a number is enforced: test.264 has larger NAL units and fails to frame', async () => {
  const framer = new H264VideoStreamFramer(new ByteStreamMemorySource(readFileSync(fixture('test.264'))), { maxNalSize: 1000 });
  await assert.rejects(
    (async () => {
      for (;;) if ((await framer.pullFrame()) === null) break;
    })(),
    (err: unknown) => isDorsvrError(err) && err.code === 'ERR_H26X_NAL_TOO_LARGE',
  );
  framer.close();
});
