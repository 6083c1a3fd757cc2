import type { Frame } from './Frame.js';
import { FramedSource } from './FramedSource.js';

/**
 * A {@link FramedSource} fed by any (async) iterable of frames: the quickest way to turn a
 * generator, a stream or a queue into a source. Closing the source returns the iterator.
 */
export class AsyncIterableSource extends FramedSource {
  #iterator: AsyncIterator<Frame> | Iterator<Frame>;

  constructor(frames: AsyncIterable<Frame> | Iterable<Frame>) {
    super();
    this.#iterator =
      Symbol.asyncIterator in frames
        ? (frames as AsyncIterable<Frame>)[Symbol.asyncIterator]()
        : (frames as Iterable<Frame>)[Symbol.iterator]();
  }

  protected async readFrame(): Promise<Frame | null> {
    const r = await this.#iterator.next();
    return r.done ? null : r.value;
  }

  protected override doClose(): void {
    void Promise.resolve(this.#iterator.return?.()).catch(() => {});
  }
}
