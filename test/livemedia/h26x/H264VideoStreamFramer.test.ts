import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDorsvrError } from '@dorsvr/scheduler';
import { ByteStreamFileSource, ByteStreamMemorySource, H264VideoStreamFramer, parseH264SPS, splitAnnexB } from '@dorsvr/livemedia';
import { fixture } from '../../helpers/paths.js';
import { countEventLoopTurns } from '../../helpers/eventLoopTurns.js';
import { withTempDir } from '../../helpers/tempDir.js';
import { ffprobeStream } from './ffprobeStream.js';
import { accessUnits, collect, framerConformance } from './framerChecks.js';

framerConformance(H264VideoStreamFramer, 'test.264');
framerConformance(H264VideoStreamFramer, 'test-slices-30fps.264');

const PROFILE_NAMES: Record<string, string> = {
  '66/1': 'Constrained Baseline',
  '66/0': 'Baseline',
  '77/0': 'Main',
  '77/1': 'Main',
  '100/0': 'High',
};

for (const file of ['test.264', 'test-slices-30fps.264']) {
  test(`${file}: SPS parse (profile-level-id, size with cropping, VUI frame rate) agrees with ffprobe`, async () => {
    const probe = await ffprobeStream(fixture(file));
    const framer = await H264VideoStreamFramer.open(fixture(file));
    try {
      const sps = parseH264SPS(framer.sps!);
      assert.equal(sps.width, probe.width);
      assert.equal(sps.height, probe.height);
      assert.equal(sps.levelIdc, probe.level);
      assert.equal(PROFILE_NAMES[`${sps.profileIdc}/${(sps.constraintFlags >> 6) & 1}`], probe.profile);
      assert.equal(sps.frameRate, probe.frameRate);
      // profile-level-id is the three SPS bytes after the NAL header.
      assert.equal(framer.profileLevelId, Buffer.from(framer.sps!.subarray(1, 4)).toString('hex'));
      assert.equal(framer.width, probe.width);
      assert.equal(framer.height, probe.height);
      assert.equal(framer.frameRate, probe.frameRate);
    } finally {
      framer.close();
    }
  });
}

test('a picture cut into 3 slices is ONE access unit of 3 slice NAL units', async () => {
  const framer = await H264VideoStreamFramer.open(fixture('test-slices-30fps.264'));
  const aus = accessUnits(await collect(framer));
  framer.close();
  for (const au of aus) {
    const slices = au.filter((f) => [1, 5].includes(f.data[0]! & 0x1f));
    assert.equal(slices.length, 3);
  }
});

test('a picture whose first slice was lost still starts a new access unit (its slices compared with the slice before)', async () => {
  // From the 3-slice clip: the IDR picture keeps only its first slice (so the slice before the
  // damage is a first slice, first_mb_in_slice 0), and the next picture loses its first slice.
  const nals = splitAnnexB(readFileSync(fixture('test-slices-30fps.264'))).map((n) => n.data);
  const isSlice = (n: Uint8Array): boolean => [1, 5].includes(n[0]! & 0x1f);
  const startsPicture = (n: Uint8Array): boolean => isSlice(n) && (n[1]! & 0x80) !== 0; // first_mb_in_slice = 0
  const starts = nals.flatMap((n, i) => (startsPicture(n) ? [i] : []));
  const [idr, second, third] = starts as [number, number, number];
  const kept = nals.filter((_, i) => !(i > idr && i < idr + 3 && isSlice(nals[i]!)) && i !== second);
  const stream = Buffer.concat(kept.flatMap((n) => [Buffer.from([0, 0, 0, 1]), n]));
  const framer = new H264VideoStreamFramer(new ByteStreamMemorySource(stream));
  const aus = accessUnits(await collect(framer));
  framer.close();
  assert.equal(aus.length, starts.length, 'one access unit per picture, the damaged ones included');
  const slicesOf = (au: { data: Uint8Array }[]): number => au.filter((f) => isSlice(f.data)).length;
  assert.equal(slicesOf(aus[0]!), 1, 'the IDR picture, down to its first slice');
  assert.equal(slicesOf(aus[1]!), 2, 'the next picture, without its first slice');
  assert.ok(third > second);
  assert.ok(aus.slice(2).every((au) => slicesOf(au) === 3));
});

test('without SPS timing the default frame rate applies (configurable)', async () => {
  // Keep only slice NAL units (drop SPS/PPS/SEI): no timing info is known.
  const bytes = new Uint8Array(readFileSync(fixture('test-slices-30fps.264')));
  const full = await collect(new H264VideoStreamFramer(new ByteStreamMemorySource(bytes)));
  const slicesOnly = Buffer.concat(
    full.filter((f) => [1, 5].includes(f.data[0]! & 0x1f)).flatMap((f) => [Buffer.of(0, 0, 0, 1), Buffer.from(f.data)]),
  );
  const dflt = accessUnits(await collect(new H264VideoStreamFramer(new ByteStreamMemorySource(slicesOnly))));
  assert.equal(dflt.length, 30);
  assert.equal(dflt[1]![0]!.presentationTime, 40_000);
  const f12 = new H264VideoStreamFramer(new ByteStreamMemorySource(slicesOnly), { defaultFrameRate: 12.5 });
  const aus12 = accessUnits(await collect(f12));
  assert.equal(aus12[2]![0]!.presentationTime, 160_000);
  assert.equal(f12.frameRate, 12.5);
});

test('a truncated file ends cleanly; garbage gives a clear DorsvrError', async () => {
  const bytes = new Uint8Array(readFileSync(fixture('test.264')));
  const cut = bytes.subarray(0, 7000);
  const aus = accessUnits(await collect(new H264VideoStreamFramer(new ByteStreamMemorySource(cut))));
  assert.ok(aus.length > 5 && aus.length < 50);
  const garbage = new Uint8Array(5000).map((_, i) => (i * 37 + 11) % 251 || 7);
  await assert.rejects(
    collect(new H264VideoStreamFramer(new ByteStreamMemorySource(garbage))),
    (e) => isDorsvrError(e, 'ERR_H26X_NO_NAL_UNITS'),
  );
  await assert.rejects(H264VideoStreamFramer.open(fixture('no-such-file.264')), (e) => isDorsvrError(e, 'ERR_FILE_OPEN'));
  // An empty stream is simply empty.
  assert.deepEqual(await collect(new H264VideoStreamFramer(new ByteStreamMemorySource(new Uint8Array(0)))), []);
});

test('seekToNPT before prepare(): the index is built at the next read', async () => {
  const bytes = new Uint8Array(readFileSync(fixture('test.264')));
  const framer = new H264VideoStreamFramer(new ByteStreamMemorySource(bytes));
  assert.equal(framer.durationSeconds(), undefined);
  assert.equal(framer.seekToNPT(1.3), 1.3);
  const first = await framer.getNextFrame();
  assert.equal(first?.key, true);
  assert.equal(first?.presentationTime, 1_000_000);
  assert.equal(framer.durationSeconds(), 2);
  framer.close();
});

test('a non-seekable input: prepare() reads ahead for SPS/PPS and still delivers every frame', async () => {
  const bytes = new Uint8Array(readFileSync(fixture('test.264')));
  const { AsyncIterableSource } = await import('@dorsvr/livemedia');
  const chunks = [];
  for (let i = 0; i < bytes.length; i += 1000) {
    chunks.push({ data: bytes.subarray(i, i + 1000), presentationTime: 0, duration: 0 });
  }
  const live = new H264VideoStreamFramer(new AsyncIterableSource(chunks));
  await live.prepare();
  assert.equal(live.profileLevelId, '42c00d');
  assert.equal(live.seekToNPT(1), null);
  assert.equal(live.durationSeconds(), undefined);
  const aus = accessUnits(await collect(live));
  assert.equal(aus.length, 50);
  assert.equal(aus[0]![0]!.data[0]! & 0x1f, 7, 'the SPS read during prepare() is delivered first');
});

test('seekToNPT while a read is outstanding: that read settles, then frames come from the key frame', async () => {
  const bytes = new Uint8Array(readFileSync(fixture('test.264')));
  const show = (f: { presentationTime: number; key?: boolean; data: Uint8Array } | null) =>
    f && [f.presentationTime, f.key, f.data[0]! & 0x1f];
  // Nothing queued: the outstanding read waits for input, and the seek wins.
  const fresh = new H264VideoStreamFramer(new ByteStreamMemorySource(bytes, { chunkSize: 500 }));
  await fresh.prepare();
  const first = fresh.getNextFrame();
  assert.equal(fresh.seekToNPT(1.5), 1);
  assert.deepEqual(show(await first), [1_000_000, true, 7]);
  assert.deepEqual(show(await fresh.getNextFrame()), [1_000_000, true, 8]);
  fresh.close();
  // Frames already queued: the outstanding read delivers one of them, the next read is the key frame.
  const busy = new H264VideoStreamFramer(new ByteStreamMemorySource(bytes, { chunkSize: 500 }));
  await busy.prepare();
  assert.deepEqual(show(await busy.getNextFrame()), [0, true, 7]);
  const outstanding = busy.getNextFrame();
  assert.equal(busy.seekToNPT(1.5), 1);
  assert.deepEqual(show(await outstanding), [0, true, 8]);
  assert.deepEqual(show(await busy.getNextFrame()), [1_000_000, true, 7]);
  busy.close();
});

test('the index of a file is reused while the file is unchanged, rebuilt when it changes', async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, 'clip.264');
    copyFileSync(fixture('test.264'), path);
    const a = await H264VideoStreamFramer.open(path);
    const b = await H264VideoStreamFramer.open(path);
    assert.equal(a.durationSeconds(), 2);
    assert.equal(b.index, a.index, 'same file, same index');
    a.close();
    b.close();
    writeFileSync(path, readFileSync(fixture('test-slices-30fps.264')));
    const c = await H264VideoStreamFramer.open(path);
    assert.equal(c.durationSeconds(), 1);
    assert.equal(c.profileLevelId, c.spsInfo!.profileLevelId);
    assert.equal(c.spsInfo!.profileIdc, 77);
    c.close();
  });
});

test('an access unit that never ends (no picture, endless SEI) is a clear error, not unbounded memory', async () => {
  const sei = Uint8Array.of(0, 0, 1, 0x06, 0x05, 0x01, 0x80);
  const endless = new Uint8Array(sei.length * 300_000);
  for (let i = 0; i < 300_000; i++) endless.set(sei, i * sei.length);
  await assert.rejects(
    collect(new H264VideoStreamFramer(new ByteStreamMemorySource(endless))),
    (e) => isDorsvrError(e, 'ERR_H26X_AU_TOO_LARGE'),
  );
  const big = new H264VideoStreamFramer(new ByteStreamMemorySource(endless), { maxAccessUnitSize: 10_000 });
  await assert.rejects(collect(big), (e) => isDorsvrError(e, 'ERR_H26X_AU_TOO_LARGE'));
});

test('indexing a long file (blocking reads) gives the event loop a turn per chunk', async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, 'long.264');
    writeFileSync(path, Buffer.concat(Array.from({ length: 400 }, () => readFileSync(fixture('test.264'))))); // 8 MB, 16 chunks
    const framer = new H264VideoStreamFramer(await ByteStreamFileSource.open(path, { chunkSize: 512 * 1024 }));
    const turns = await countEventLoopTurns(() => framer.prepare()); // the index: one pass over the file
    framer.close();
    assert.ok(turns >= 16, `the event loop turned ${turns} times while 16 chunks were indexed`);
  });
});

test('framers playing one file share the copy of each NAL unit that straddles two chunks; their frames are the file\'s NAL units', async () => {
  const path = fixture('test.264');
  const open = async (): Promise<H264VideoStreamFramer> => new H264VideoStreamFramer(await ByteStreamFileSource.open(path, { chunkSize: 1024 }));
  const [a, b] = [await open(), await open()];
  const fromMemory = new H264VideoStreamFramer(new ByteStreamMemorySource(readFileSync(path)));
  try {
    const [fa, fb, fm] = [await collect(a), await collect(b), await collect(fromMemory)];
    assert.equal(fa.length, fm.length);
    assert.equal(fb.length, fm.length);
    let straddling = 0;
    for (let i = 0; i < fm.length; i++) {
      assert.deepEqual(fa[i]!.data, fm[i]!.data);
      assert.deepEqual(fb[i]!.data, fm[i]!.data);
      // A copy is a Uint8Array of its own; a view of a 1 KiB chunk is not.
      if (fa[i]!.data.buffer.byteLength !== 1024) {
        straddling++;
        assert.equal(fb[i]!.data.buffer, fa[i]!.data.buffer, `NAL unit ${i}: one copy for both framers`);
      }
    }
    assert.ok(straddling >= 5, `NAL units across 1 KiB chunks: ${straddling}`);
  } finally {
    a.close();
    b.close();
    fromMemory.close();
  }
});
