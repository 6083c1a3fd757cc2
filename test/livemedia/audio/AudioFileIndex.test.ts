// The audio file sources index a file once per version (path, size, mtime; concurrent first opens
// share one scan) and read frames from disk in recycled chunks instead of the whole file per client.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ADTSAudioFileSource, MP3FileSource, audioIndexCache, type Frame, type FramedSource } from '@dorsvr/livemedia';
import { fixture } from '../../helpers/paths.js';
import { withTempDir } from '../../helpers/tempDir.js';

/** Every frame's bytes and timing; each frame handed back as a sink would (when `release`). */
async function frames(src: FramedSource, release: boolean): Promise<Array<{ data: Buffer; pt: number; dur: number }>> {
  const out: Array<{ data: Buffer; pt: number; dur: number }> = [];
  for (;;) {
    const f: Frame | null = await src.getNextFrame();
    if (f === null) break;
    out.push({ data: Buffer.from(f.data), pt: f.presentationTime, dur: f.duration });
    if (release) f.owner?.releaseFrame(f);
  }
  src.close();
  return out;
}

const cases = [
  { name: 'ADTS', file: 'test.aac', ext: 'aac', open: (p: string) => ADTSAudioFileSource.open(p), mem: (b: Uint8Array) => ADTSAudioFileSource.fromBytes(b) },
  { name: 'MP3', file: 'test.mp3', ext: 'mp3', open: (p: string) => MP3FileSource.open(p), mem: (b: Uint8Array) => MP3FileSource.fromBytes(b) },
] as const;

for (const c of cases) {
  test(`${c.name}: a file of many 64 KiB chunks gives the frames the same bytes give, in recycled chunk buffers; a seek lands on the same frame`, async () => {
    await withTempDir(async (dir) => {
      // About 1.3 MB: the scan's 1 MiB window and the reader's chunks both end mid-frame somewhere.
      const unit = readFileSync(fixture(c.file));
      const body = c.name === 'MP3' ? Buffer.concat((await frames(MP3FileSource.fromBytes(unit), false)).map((f) => f.data)) : unit;
      const bytes = Buffer.concat(Array.from({ length: Math.ceil(1.3e6 / body.length) }, () => body));
      const path = join(dir, `long.${c.ext}`);
      writeFileSync(path, bytes);
      const want = await frames(c.mem(bytes), false);
      const src = await c.open(path);
      // Frames are views of chunks that come back once handed back: far fewer buffers than chunks.
      const buffers = new Set<ArrayBufferLike>();
      const got: typeof want = [];
      for (;;) {
        const f = await src.getNextFrame();
        if (f === null) break;
        assert.ok(f.owner, 'a file frame can be handed back');
        buffers.add(f.data.buffer);
        got.push({ data: Buffer.from(f.data), pt: f.presentationTime, dur: f.duration });
        f.owner.releaseFrame(f);
      }
      assert.equal(got.length, want.length);
      for (let i = 0; i < want.length; i++) {
        assert.ok(got[i]!.data.equals(want[i]!.data), `frame ${i} bytes`);
        assert.equal(got[i]!.pt, want[i]!.pt);
        assert.equal(got[i]!.dur, want[i]!.dur);
      }
      assert.ok(bytes.length / (64 * 1024) > 15, 'many chunks');
      assert.ok(buffers.size <= 2, `${buffers.size} chunk buffers for ${Math.ceil(bytes.length / 65536)} chunks`);
      src.close();

      const a = await c.open(path);
      const b = c.mem(bytes);
      assert.equal(a.seekToNPT(7.3), b.seekToNPT(7.3));
      const [fa, fb] = [await a.getNextFrame(), await b.getNextFrame()];
      assert.ok(fa && fb && Buffer.from(fa.data).equals(Buffer.from(fb.data)) && fa.presentationTime === fb.presentationTime);
      a.close();
      b.close();
    });
  });

  test(`${c.name}: ten concurrent first opens of a file share one index build; a changed mtime builds again; a vanished file is ERR_FILE_OPEN`, async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, `shared.${c.ext}`);
      writeFileSync(path, readFileSync(fixture(c.file)));
      const before = audioIndexCache.builds;
      const sources = await Promise.all(Array.from({ length: 10 }, () => c.open(path)));
      assert.equal(audioIndexCache.builds - before, 1, 'one scan for ten opens');
      const counts = new Set(sources.map((s) => s.frameCount));
      assert.equal(counts.size, 1);
      for (const s of sources) s.close();
      (await c.open(path)).close();
      assert.equal(audioIndexCache.builds - before, 1, 'cached');
      utimesSync(path, new Date(), new Date(Date.now() + 5000));
      (await c.open(path)).close();
      assert.equal(audioIndexCache.builds - before, 2, 'a new version of the file is indexed again');
      await assert.rejects(c.open(join(dir, 'missing')), (e: Error & { code?: string }) => e.code === 'ERR_FILE_OPEN');
    });
  });
}

test('a file replaced by another of the same size and modification time (another inode) is indexed again', async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, 'a.aac');
    const bytes = readFileSync(fixture('test.aac'));
    writeFileSync(path, bytes);
    const t = new Date(1_700_000_000_000);
    utimesSync(path, t, t);
    const first = await ADTSAudioFileSource.open(path);
    first.close();
    const tmp = join(dir, 'b.aac');
    const halves = Buffer.concat([bytes.subarray(bytes.length >> 1), bytes.subarray(0, bytes.length >> 1)]);
    writeFileSync(tmp, halves);
    utimesSync(tmp, t, t);
    const { renameSync } = await import('node:fs');
    renameSync(tmp, path);
    const before = audioIndexCache.builds;
    const second = await ADTSAudioFileSource.open(path);
    assert.equal(audioIndexCache.builds - before, 1, 'indexed again');
    const f = await second.getNextFrame();
    assert.ok(f);
    second.close();
  });
});
