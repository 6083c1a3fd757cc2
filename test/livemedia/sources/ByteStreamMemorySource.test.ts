import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ByteStreamMemorySource, isSeekableByteStream } from '@dorsvr/livemedia';

const data = Uint8Array.from({ length: 1000 }, (_, i) => i & 0xff);

test('delivers views of the buffer in chunks (fixed or per-chunk sizes)', async () => {
  const src = new ByteStreamMemorySource(data, { chunkSize: 300 });
  assert.ok(isSeekableByteStream(src));
  const sizes: number[] = [];
  for await (const f of src) {
    assert.equal(f.data.buffer, data.buffer, 'a view, not a copy');
    sizes.push(f.data.length);
  }
  assert.deepEqual(sizes, [300, 300, 300, 100]);
  const varying = new ByteStreamMemorySource(data, { chunkSize: (i) => [1, 0, 500][i % 3]! });
  const got: number[] = [];
  for await (const f of varying) got.push(f.data.length);
  assert.deepEqual(got.slice(0, 4), [1, 1, 500, 1]);
  assert.equal(got.reduce((a, b) => a + b), 1000);
});

test('seekToByte with a byte limit; duplicate starts over at 0', async () => {
  const src = new ByteStreamMemorySource(data, { chunkSize: 64 });
  src.seekToByte(900, 70);
  const a = await src.getNextFrame();
  const b = await src.getNextFrame();
  assert.deepEqual([a!.data.length, b!.data.length], [64, 6]);
  assert.equal(a!.data[0], 900 & 0xff);
  assert.equal(await src.getNextFrame(), null);
  const twin = src.duplicate();
  assert.equal((await twin.getNextFrame())!.data[0], 0);
  assert.equal(src.fileSize, 1000);
});
