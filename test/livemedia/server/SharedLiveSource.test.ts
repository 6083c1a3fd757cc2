// SharedLiveSource (internal to LiveServerMediaSubsession): one live source read by successive
// shared streams. A frame whose read was out when its stream closed goes to the next stream
// instead of being lost; the source itself stays open until the subsession closes it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { FramedSource, type Frame } from '@dorsvr/livemedia';
import { repoRoot } from '../../helpers/paths.js';

interface SharedLiveSourceLike {
  tap(): FramedSource;
  close(): void;
}

/** A live source whose reads wait until the test delivers a frame. */
class ManualSource extends FramedSource {
  readonly waiting: Array<(f: Frame | null) => void> = [];
  protected readFrame(): Promise<Frame | null> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }
}

const frame = (n: number): Frame => ({ data: Uint8Array.of(n), presentationTime: n * 1000, duration: 1000 });

test('a frame read for a stream that closed meanwhile goes to the next stream; closing a tap leaves the source open', async () => {
  const mod = (await import(pathToFileURL(join(repoRoot, 'packages', 'livemedia', 'dist', 'server', 'SharedLiveSource.js')).href)) as {
    SharedLiveSource: new (s: FramedSource) => SharedLiveSourceLike;
  };
  const source = new ManualSource();
  const shared = new mod.SharedLiveSource(source);

  const first = shared.tap();
  const r1 = first.getNextFrame();
  await Promise.resolve();
  assert.equal(source.waiting.length, 1, 'the source is being read');
  first.close(); // the first shared stream ends while its read is out
  assert.equal(source.closed, false, 'closing a tap leaves the source open');
  source.waiting.shift()!(frame(1));
  assert.equal(await r1, null, 'the closed stream gets nothing');

  const second = shared.tap();
  const f1 = await second.getNextFrame();
  assert.equal(f1?.data[0], 1, 'frame 1 was kept for the next stream');
  const r2 = second.getNextFrame();
  await Promise.resolve();
  source.waiting.shift()!(frame(2));
  assert.equal((await r2)?.data[0], 2);

  // A new tap while a read is still out for a closed one waits for it, then takes its frame.
  const r3 = second.getNextFrame();
  await Promise.resolve();
  second.close();
  const third = shared.tap();
  const r4 = third.getNextFrame();
  source.waiting.shift()!(frame(3));
  assert.equal(await r3, null);
  assert.equal((await r4)?.data[0], 3);

  shared.close();
  assert.equal(source.closed, true, 'the subsession closes the source');
});
