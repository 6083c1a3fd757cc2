import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FileIndexCache, fileIndexKey } from '@dorsvr/livemedia';

test('FileIndexCache: concurrent gets share one build; a failed build is forgotten and retried', async () => {
  const cache = new FileIndexCache<Uint8Array>((v) => v.byteLength, 8, 1 << 20);
  let builds = 0;
  let fail = true;
  const build = async (): Promise<Uint8Array> => {
    builds++;
    await new Promise((r) => setImmediate(r));
    if (fail) throw new Error('unreadable');
    return new Uint8Array(10);
  };
  const key = fileIndexKey('x', '/a', 100, 1);
  const all = await Promise.allSettled([cache.get(key, build), cache.get(key, build), cache.get(key, build)]);
  assert.equal(builds, 1);
  assert.ok(all.every((r) => r.status === 'rejected'));
  fail = false;
  const [a, b] = await Promise.all([cache.get(key, build), cache.get(key, build)]);
  assert.equal(builds, 2);
  assert.equal(a, b);
  assert.equal(cache.bytes, 10);
  assert.notEqual(fileIndexKey('x', '/a', 100, 2), key, 'another mtime is another key');
});

test('FileIndexCache: past its byte or entry bound the least recently used index goes, never the one just built', async () => {
  const cache = new FileIndexCache<Uint8Array>((v) => v.byteLength, 3, 250);
  const get = (k: string, n: number): Promise<Uint8Array> => cache.get(k, async () => new Uint8Array(n));
  await get('a', 100);
  await get('b', 100);
  await get('a', 100); // a used again: b is now the oldest
  await get('c', 100); // 300 bytes > 250: b goes
  assert.equal(cache.size, 2);
  assert.equal(cache.bytes, 200);
  let rebuilt = false;
  await cache.get('a', async () => ((rebuilt = true), new Uint8Array(100)));
  assert.equal(rebuilt, false, 'a was kept');
  await cache.get('b', async () => ((rebuilt = true), new Uint8Array(100)));
  assert.equal(rebuilt, true, 'b was evicted');
  await get('huge', 1000); // alone above the bound: kept, everything else evicted
  assert.equal(cache.size, 1);
  assert.equal(cache.bytes, 1000);
});
