import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SharedChunk, type Frame, type FrameOwner } from '@dorsvr/livemedia';

class Producer implements FrameOwner {
  readonly back: Frame[] = [];
  releaseFrame(frame: Frame): void {
    this.back.push(frame);
  }
}

test('SharedChunk: the chunk goes back to its producer once the framer and every frame cut from it are done, not before', () => {
  const producer = new Producer();
  const chunk: Frame = { data: new Uint8Array(64), presentationTime: 0, duration: 0, owner: producer };
  const use = SharedChunk.from(chunk)!;
  const frames: Frame[] = [0, 16, 32].map((o) => ({ data: chunk.data.subarray(o, o + 16), presentationTime: o, duration: 0, owner: use.cut() }));
  assert.ok(frames.every((f) => f.owner === use));
  frames[0]!.owner!.releaseFrame(frames[0]!);
  use.release(); // the framer moved on
  frames[2]!.owner!.releaseFrame(frames[2]!);
  assert.deepEqual(producer.back, [], 'a frame is still out');
  frames[1]!.owner!.releaseFrame(frames[1]!);
  assert.deepEqual(producer.back, [chunk]);
});

test('SharedChunk.from: a chunk its producer cannot recycle is not tracked', () => {
  assert.equal(SharedChunk.from({ data: new Uint8Array(4), presentationTime: 0, duration: 0 }), undefined);
});
