import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDorsvrError } from '@dorsvr/scheduler';
import { ByteStreamFileSource, isSeekableByteStream, type Frame } from '@dorsvr/livemedia';
import { fixture } from '../../helpers/paths.js';

const file = fixture('test.264');
const bytes = readFileSync(file);

/** Descriptors this process holds on `path` (Linux /proc). */
function openCount(path: string): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === path) n++;
    } catch {
      /* closed meanwhile */
    }
  }
  return n;
}

async function readAll(src: ByteStreamFileSource): Promise<Frame[]> {
  const out: Frame[] = [];
  for (let f = await src.getNextFrame(); f; f = await src.getNextFrame()) out.push(f);
  return out;
}

test('delivers the whole file in chunks of chunkSize, each a fresh buffer', async () => {
  const src = await ByteStreamFileSource.open(file, { chunkSize: 4096 });
  assert.equal(src.fileSize, bytes.length);
  assert.ok(isSeekableByteStream(src));
  const chunks = await readAll(src);
  assert.equal(chunks.length, Math.ceil(bytes.length / 4096));
  assert.ok(chunks.slice(0, -1).every((c) => c.data.length === 4096));
  assert.deepEqual(Buffer.concat(chunks.map((c) => c.data)), bytes);
  const buffers = new Set(chunks.map((c) => c.data.buffer));
  assert.equal(buffers.size, chunks.length, 'no buffer is reused');
  // A chunk kept by a consumer is not overwritten by later reads.
  assert.deepEqual(Buffer.from(chunks[0]!.data), bytes.subarray(0, 4096));
  src.close();
});

test('default chunk size is 64 KiB', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dorsvr-bsfs-'));
  try {
    const path = join(dir, 'big.bin');
    const content = Buffer.alloc(150_000, 7);
    writeFileSync(path, content);
    const big = await ByteStreamFileSource.open(path);
    const chunks = await readAll(big);
    assert.deepEqual(
      chunks.map((c) => c.data.length),
      [65536, 65536, 150_000 - 2 * 65536],
    );
    big.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('seekToByte and byteLimit: the next chunk starts exactly there and stops at the limit', async () => {
  const src = new ByteStreamFileSource(file, { chunkSize: 1000, startOffset: 10, byteLimit: 2500 });
  const part = await readAll(src);
  assert.deepEqual(Buffer.concat(part.map((c) => c.data)), bytes.subarray(10, 2510));
  src.seekToByte(12345);
  // Regular files are read on the file's chunk grid (shared by every source of the file): the
  // next chunk starts at the seek and ends where the grid's chunk does.
  const next = await src.getNextFrame();
  assert.deepEqual(Buffer.from(next!.data), bytes.subarray(12345, 13000));
  assert.deepEqual(Buffer.from((await src.getNextFrame())!.data), bytes.subarray(13000, 14000));
  src.seekToByte(bytes.length - 5, 100);
  const tail = await readAll(src);
  assert.deepEqual(Buffer.concat(tail.map((c) => c.data)), bytes.subarray(bytes.length - 5));
  assert.throws(() => src.seekToByte(-1), (e) => isDorsvrError(e, 'ERR_SOURCE_SEEK'));
  src.close();
});

test('a missing file is ERR_FILE_OPEN, from open() and from a lazy first read', async () => {
  await assert.rejects(ByteStreamFileSource.open(fixture('nope.264')), (e) => isDorsvrError(e, 'ERR_FILE_OPEN'));
  const lazy = new ByteStreamFileSource(fixture('nope.264'));
  await assert.rejects(lazy.getNextFrame(), (e) => isDorsvrError(e, 'ERR_FILE_OPEN'));
  lazy.close();
  await assert.rejects(ByteStreamFileSource.open(fixture('')), (e) => isDorsvrError(e, 'ERR_FILE_OPEN'));
});

test('the descriptor is closed by close() and at end of file; duplicate() is independent', async () => {
  const before = openCount(file);
  const src = await ByteStreamFileSource.open(file, { chunkSize: 1000 });
  assert.equal(openCount(file), before + 1);
  await src.getNextFrame();
  const twin = src.duplicate();
  const t = await twin.getNextFrame();
  assert.equal(t!.data.length, 1000, 'same chunk size');
  assert.deepEqual(Buffer.from(t!.data), bytes.subarray(0, 1000), 'the twin starts at 0');
  assert.equal(openCount(file), before + 2);
  src.close();
  src.close(); // idempotent
  assert.equal(await src.getNextFrame(), null);
  await readAll(twin); // to the end: closes its descriptor
  // FileHandle.close() completes asynchronously: poll a bounded number of event-loop turns.
  for (let i = 0; i < 1000 && openCount(file) !== before; i++) await new Promise((r) => setImmediate(r));
  assert.equal(openCount(file), before);
  twin.close();
});

test('close() during an outstanding read resolves it with null, not an error', async () => {
  const src = new ByteStreamFileSource(file);
  const pending = src.getNextFrame();
  src.close();
  assert.equal(await pending, null);
});

test('a named pipe is read sequentially: no size, no seek, and the framer reads ahead instead of indexing', async () => {
  const { execFileSync } = await import('node:child_process');
  const { createWriteStream } = await import('node:fs');
  const { H264VideoStreamFramer } = await import('@dorsvr/livemedia');
  const dir = mkdtempSync(join(tmpdir(), 'dorsvr-fifo-'));
  try {
    const fifo = join(dir, 'live.264');
    execFileSync('mkfifo', [fifo]);
    const writer = createWriteStream(fifo);
    const written = new Promise<void>((resolve, reject) => writer.on('close', () => resolve()).on('error', reject));
    writer.end(bytes);
    const src = await ByteStreamFileSource.open(fifo, { chunkSize: 3000 });
    assert.equal(src.seekable, false);
    assert.equal(src.fileSize, undefined);
    assert.equal(isSeekableByteStream(src), false);
    assert.throws(() => src.seekToByte(0), (e) => isDorsvrError(e, 'ERR_SOURCE_SEEK'));
    const framer = new H264VideoStreamFramer(src);
    await framer.prepare();
    assert.equal(framer.profileLevelId, '42c00d');
    assert.equal(framer.seekToNPT(1), null);
    assert.equal(framer.durationSeconds(), undefined);
    let aus = 0;
    for (let f = await framer.getNextFrame(); f; f = await framer.getNextFrame()) if (f.endOfAccessUnit) aus++;
    assert.equal(aus, 50);
    framer.close();
    await written;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a directory is ERR_FILE_OPEN', async () => {
  await assert.rejects(ByteStreamFileSource.open(tmpdir()), (e) => isDorsvrError(e, 'ERR_FILE_OPEN'));
});

test('a regular file is read with blocking reads (a chunk at once, no promise) unless blockingReads is false; same bytes', async () => {
  const blocking = await ByteStreamFileSource.open(file, { chunkSize: 4096 });
  const first = blocking.pullFrame();
  assert.ok(first !== null && !(first instanceof Promise), 'an open regular file answers at once');
  const parts: Uint8Array[] = [first.data];
  for (let f = blocking.pullFrame(); f !== null; f = blocking.pullFrame()) {
    assert.ok(!(f instanceof Promise));
    parts.push(f.data);
  }
  assert.deepEqual(Buffer.concat(parts), bytes);
  blocking.close();

  const pooled = await ByteStreamFileSource.open(file, { chunkSize: 4096, blockingReads: false });
  const r = pooled.pullFrame();
  assert.ok(r instanceof Promise, 'blockingReads: false reads through the thread pool');
  const chunks = [(await r)!, ...(await readAll(pooled))];
  assert.deepEqual(Buffer.concat(chunks.map((c) => c.data)), bytes);
  pooled.close();
});

test('a chunk handed back (Frame.owner) is read into again; one not handed back never is', async () => {
  for (const blockingReads of [true, false]) {
    // A chunk size no other test uses: chunks of the file other sources still hold would be shared.
    const src = await ByteStreamFileSource.open(file, { chunkSize: 4000, blockingReads });
    const kept = (await src.getNextFrame())!;
    assert.ok(kept.owner, 'chunks of a file source can be recycled');
    const keptCopy = Buffer.from(kept.data);
    // Every later chunk handed back as soon as it is read: they share at most two buffers.
    const buffers = new Set<ArrayBufferLike>();
    const parts: Buffer[] = [keptCopy];
    for (let f = await src.getNextFrame(); f; f = await src.getNextFrame()) {
      buffers.add(f.data.buffer);
      parts.push(Buffer.from(f.data));
      f.owner?.releaseFrame(f);
    }
    assert.ok(buffers.size <= 2, `${buffers.size} buffers for ${parts.length - 1} recycled chunks (blockingReads ${blockingReads})`);
    assert.ok(!buffers.has(kept.data.buffer), 'the chunk kept was not read into');
    assert.deepEqual(Buffer.from(kept.data), keptCopy);
    assert.deepEqual(Buffer.concat(parts), bytes);
    src.close();
  }
});

test('handing a chunk back twice, or a frame that is not its own, never makes two chunks share memory', async () => {
  const src = await ByteStreamFileSource.open(file, { chunkSize: 1024 });
  const a = (await src.getNextFrame())!;
  src.releaseFrame(a);
  src.releaseFrame(a); // a consumer's bug: must not put the buffer in the pool twice
  src.releaseFrame({ data: new Uint8Array(1024), presentationTime: 0, duration: 0, owner: src }); // not its memory
  const b = (await src.getNextFrame())!;
  const c = (await src.getNextFrame())!;
  assert.notEqual(b.data.buffer, c.data.buffer, 'two chunks delivered after one release got the same buffer');
  assert.deepEqual(Buffer.from(b.data), bytes.subarray(1024, 2048));
  assert.deepEqual(Buffer.from(c.data), bytes.subarray(2048, 3072));
  src.close();
});

test('sources reading one file share its chunks: one buffer per chunk, not per source; the same bytes for each', async () => {
  const a = await ByteStreamFileSource.open(file, { chunkSize: 2048 });
  const b = await ByteStreamFileSource.open(file, { chunkSize: 2048 });
  const fa = (await a.getNextFrame())!;
  const fb = (await b.getNextFrame())!;
  assert.equal(fa.data.buffer, fb.data.buffer, 'two sources at the same place of one file hold one chunk');
  assert.deepEqual(Buffer.from(fb.data), bytes.subarray(0, 2048));
  // One source handing its chunk back (even twice) does not let the other's be read into.
  fa.owner!.releaseFrame(fa);
  fa.owner!.releaseFrame(fa);
  const other = await ByteStreamFileSource.open(file, { chunkSize: 2048, startOffset: 8192 });
  const fo = (await other.getNextFrame())!;
  assert.notEqual(fo.data.buffer, fb.data.buffer, 'a chunk still held by a source was read into');
  assert.deepEqual(Buffer.from(fb.data), bytes.subarray(0, 2048));
  assert.deepEqual(Buffer.from(fo.data), bytes.subarray(8192, 10240));
  // Another version of the file (a different chunk size here) never shares.
  const c = await ByteStreamFileSource.open(file, { chunkSize: 1024 });
  assert.notEqual((await c.getNextFrame())!.data.buffer, fb.data.buffer);
  for (const s of [a, b, other, c]) s.close();
});
