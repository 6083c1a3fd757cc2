import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isDorsvrError } from '@dorsvr/scheduler';
import { AsyncIterableSource, FramedFilter, FramedSource, MediaSink, type Frame } from '@dorsvr/livemedia';
import { countEventLoopTurns } from '../../helpers/eventLoopTurns.js';

function frame(i: number): Frame {
  return { data: Uint8Array.of(i), presentationTime: i * 40_000, duration: 40_000 };
}

class CountingSource extends FramedSource {
  reads = 0;
  closedCount = 0;
  constructor(private readonly total: number) {
    super();
  }
  protected async readFrame(): Promise<Frame | null> {
    await new Promise((r) => setImmediate(r));
    return this.reads < this.total ? frame(this.reads++) : null;
  }
  protected override doClose(): void {
    this.closedCount++;
  }
}

class Doubler extends FramedFilter {
  protected async readFrame(): Promise<Frame | null> {
    const f = await this.inputSource.getNextFrame();
    return f && { ...f, data: Uint8Array.of(f.data[0]! * 2) };
  }
}

class CollectingSink extends MediaSink {
  readonly got: number[] = [];
  protected consumeFrame(f: Frame): void {
    this.got.push(f.data[0]!);
  }
}

test('a subclass that implements readFrame is a source: frames in order, then null and an end event', async () => {
  const src = new CountingSource(3);
  let ended = 0;
  src.on('end', () => ended++);
  const got: number[] = [];
  for (;;) {
    const f = await src.getNextFrame();
    if (!f) break;
    got.push(f.data[0]!);
  }
  assert.deepEqual(got, [0, 1, 2]);
  assert.equal(ended, 1);
});

test('a second read while one is outstanding is refused with ERR_SOURCE_BUSY, not interleaved', async () => {
  const src = new CountingSource(3);
  const first = src.getNextFrame();
  await assert.rejects(src.getNextFrame(), (e) => isDorsvrError(e, 'ERR_SOURCE_BUSY'));
  assert.equal((await first)?.data[0], 0);
});

test('close is idempotent, emits close once, and a closed source answers null', async () => {
  const src = new CountingSource(3);
  let closes = 0;
  src.on('close', () => closes++);
  src.close();
  src.close();
  assert.equal(closes, 1);
  assert.equal(src.closedCount, 1);
  assert.equal(await src.getNextFrame(), null);
});

test('a filter transforms its input and closing it closes the input', async () => {
  const input = new CountingSource(2);
  const filter = new Doubler(input);
  const sink = new CollectingSink();
  await sink.startPlaying(filter);
  assert.deepEqual(sink.got, [0, 2]);
  filter.close();
  assert.equal(input.closed, true);
});

test('a sink plays a source to its end, emits end, and can stop early', async () => {
  const sink = new CollectingSink();
  let ended = 0;
  sink.on('end', () => ended++);
  await sink.startPlaying(new CountingSource(5));
  assert.deepEqual(sink.got, [0, 1, 2, 3, 4]);
  assert.equal(ended, 1);

  const stopping = new (class extends MediaSink {
    n = 0;
    protected consumeFrame(): void {
      if (++this.n === 2) this.stopPlaying();
    }
  })();
  await stopping.startPlaying(new CountingSource(100));
  assert.equal(stopping.n, 2);
});

test('an error in the source rejects startPlaying and leaves the sink reusable', async () => {
  const failing = new (class extends FramedSource {
    protected async readFrame(): Promise<Frame | null> {
      throw new Error('disk on fire');
    }
  })();
  const sink = new CollectingSink();
  await assert.rejects(sink.startPlaying(failing), /disk on fire/);
  await sink.startPlaying(new CountingSource(1));
  assert.deepEqual(sink.got, [0]);
});

test('AsyncIterableSource turns a generator into a source, and async iteration drains any source', async () => {
  async function* gen() {
    for (let i = 0; i < 4; i++) yield frame(i);
  }
  const got: number[] = [];
  for await (const f of new AsyncIterableSource(gen())) got.push(f.data[0]!);
  assert.deepEqual(got, [0, 1, 2, 3]);

  const fromArray = new AsyncIterableSource([frame(7), frame(8)]);
  assert.equal((await fromArray.getNextFrame())?.presentationTime, 7 * 40_000);
});

test('breaking out of async iteration closes the source', async () => {
  const src = new CountingSource(10);
  for await (const f of src) {
    if (f.data[0] === 1) break;
  }
  assert.equal(src.closed, true);
});

test('a sink playing a source that never waits still lets the event loop turn (timers, sockets)', async () => {
  // Frames at hand at once (as a file read with blocking reads gives them) into a sink that takes
  // each at once: nothing in the chain awaits, yet other work must get its turn.
  class Endless extends FramedSource {
    n = 0;
    protected readFrame(): Frame | null {
      return this.n++ < 20_000 ? { data: new Uint8Array(1), presentationTime: this.n, duration: 1 } : null;
    }
  }
  class Counting extends MediaSink {
    frames = 0;
    protected consumeFrame(): void {
      this.frames++;
    }
  }
  const sink = new Counting();
  const turns = await countEventLoopTurns(() => sink.startPlaying(new Endless()));
  assert.equal(sink.frames, 20_000);
  assert.ok(turns >= 10, `the event loop turned ${turns} times during 20000 frames`);
});

test('a sink that defers frames (deferFrame, then frameConsumed) plays in order, stops while one is deferred, and fails with its error', async () => {
  // A paced sink without a promise per frame: each frame finishes on a later turn.
  class DeferringSink extends MediaSink {
    readonly got: number[] = [];
    pending: Frame | undefined;
    failWith: unknown;
    protected consumeFrame(f: Frame): void {
      this.pending = f;
      this.deferFrame();
      setImmediate(() => this.finish());
    }
    finish(): void {
      const f = this.pending;
      if (f === undefined) return;
      this.pending = undefined;
      if (this.failWith !== undefined) {
        this.frameConsumed(this.failWith);
        return;
      }
      this.got.push(f.data[0]!);
      this.frameConsumed();
    }
  }
  const sink = new DeferringSink();
  let ended = 0;
  sink.on('end', () => ended++);
  await sink.startPlaying(new CountingSource(5));
  assert.deepEqual(sink.got, [0, 1, 2, 3, 4]);
  assert.equal(ended, 1);

  // Stopped while a frame is deferred: startPlaying resolves once the sink finishes that frame,
  // and no further frame is read.
  const src = new CountingSource(10);
  const stopping = new DeferringSink();
  const playing = stopping.startPlaying(src);
  while (stopping.pending === undefined) await new Promise((r) => setImmediate(r));
  stopping.stopPlaying();
  await playing;
  const readsAtStop = src.reads;
  assert.deepEqual(stopping.got, [0]);
  await new Promise((r) => setImmediate(r));
  assert.equal(src.reads, readsAtStop);

  // frameConsumed(err) rejects startPlaying with that error; the sink can play again after it.
  const failing = new DeferringSink();
  failing.failWith = new Error('send failed');
  await assert.rejects(failing.startPlaying(new CountingSource(3)), /send failed/);
  failing.failWith = undefined;
  await failing.startPlaying(new CountingSource(2));
  assert.deepEqual(failing.got, [0, 1]);
});

test('a deferFrame and frameConsumed within the same consumeFrame call is a frame taken at once', async () => {
  class Immediate extends MediaSink {
    readonly got: number[] = [];
    protected consumeFrame(f: Frame): void {
      this.deferFrame();
      this.got.push(f.data[0]!);
      this.frameConsumed();
    }
  }
  const sink = new Immediate();
  await sink.startPlaying(new CountingSource(4));
  assert.deepEqual(sink.got, [0, 1, 2, 3]);
});
