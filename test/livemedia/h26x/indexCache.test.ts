// DESCRIBE of a large .264/.265 indexes the file: concurrent first requests must share one scan.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { BasicTaskScheduler } from '@dorsvr/scheduler';
import {
  H264VideoFileServerMediaSubsession,
  H264VideoStreamFramer,
  H265VideoStreamFramer,
  ServerMediaSession,
  h26xIndexCache,
} from '@dorsvr/livemedia';
import { fixture } from '../../helpers/paths.js';
import { withTempDir } from '../../helpers/tempDir.js';

test('H.264/H.265: ten concurrent opens of a file scan it once; the same index for all; a new mtime scans again', async () => {
  await withTempDir(async (dir) => {
    for (const [Framer, file] of [
      [H264VideoStreamFramer, 'test.264'],
      [H265VideoStreamFramer, 'test.265'],
    ] as const) {
      const path = join(dir, file);
      copyFileSync(fixture(file), path);
      const before = h26xIndexCache.builds;
      const framers = await Promise.all(Array.from({ length: 10 }, () => Framer.open(path)));
      assert.equal(h26xIndexCache.builds - before, 1, `${file}: one scan`);
      assert.ok(framers.every((f) => f.index === framers[0]!.index && f.index !== undefined));
      assert.ok((framers[0]!.durationSeconds() ?? 0) > 0);
      for (const f of framers) f.close();
      utimesSync(path, new Date(), new Date(Date.now() + 5000));
      (await Framer.open(path)).close();
      assert.equal(h26xIndexCache.builds - before, 2, `${file}: changed file scanned again`);
    }
  });
});

test('a subsession answers ten concurrent first DESCRIBEs (sdpLines) with one source and one scan', async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, 'clip.264');
    copyFileSync(fixture('test.264'), path);
    const scheduler = new BasicTaskScheduler();
    let sources = 0;
    class Counting extends H264VideoFileServerMediaSubsession {
      protected override async createNewStreamSource(): Promise<H264VideoStreamFramer> {
        sources++;
        return (await super.createNewStreamSource()) as H264VideoStreamFramer;
      }
    }
    const sub = new Counting(path, { scheduler });
    new ServerMediaSession('clip').addSubsession(sub);
    const before = h26xIndexCache.builds;
    try {
      const lines = await Promise.all(Array.from({ length: 10 }, () => sub.sdpLines()));
      assert.equal(new Set(lines).size, 1);
      assert.match(lines[0]!, /sprop-parameter-sets=/);
      assert.equal(sources, 1);
      assert.equal(h26xIndexCache.builds - before, 1);
    } finally {
      sub.close();
      scheduler.close();
    }
  });
});

test('the key-frame table: typed columns, timings shared until they change, lookups at or before a time; past its bound it keeps every other key frame, evenly', async () => {
  const { H26xKeyFrameTableBuilder } = await import('@dorsvr/livemedia');
  const b = new H26xKeyFrameTableBuilder(4);
  const t1 = { pt0: 0, n0: 0, frameDurationUs: 40_000 };
  const t2 = { pt0: 200_000, n0: 5, frameDurationUs: 20_000 };
  for (let k = 0; k < 10; k++) b.push(k * 10, k * 400_000, k * 1000, k < 5 ? t1 : t2);
  const table = b.finish();
  assert.equal(table.count, 3);
  assert.deepEqual([0, 1, 2].map((i) => table.entry(i).accessUnit), [0, 40, 80]);
  assert.deepEqual(table.entry(1).timing, t1);
  assert.deepEqual(table.entry(2).timing, t2);
  assert.equal(table.findAtOrBefore(-1), -1);
  assert.equal(table.findAtOrBefore(1_600_000), 1);
  assert.equal(table.findAtOrBefore(3_199_999), 1);
  assert.equal(table.findAtOrBefore(1e12), 2);
  assert.ok(table.byteLength < 200);
});
