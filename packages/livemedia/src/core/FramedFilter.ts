import type { Frame } from './Frame.js';
import type { AnyFramedSource, FramedSourceEvents } from './FramedSource.js';
import type { SharedChunk } from './SharedChunk.js';
import { FramedSource } from './FramedSource.js';

/**
 * live555's FramedFilter: a source that reads from another source (a framer reading a byte stream,
 * a transcoder, …). Closing a filter closes its input; seeking and duration pass through by default.
 *
 * Input frames may carry an {@link Frame.owner} (their memory is recycled once handed back): a
 * filter that keeps an input frame's bytes hands it back when done with them (or never), and one
 * that passes a frame on unchanged passes that duty on with it. Framers that cut frames out of
 * recycled chunks use {@link SharedChunk}.
 */
export abstract class FramedFilter<
  Events extends FramedSourceEvents = FramedSourceEvents,
> extends FramedSource<Events> {
  /** The source this filter reads from. */
  readonly inputSource: AnyFramedSource;

  constructor(inputSource: AnyFramedSource) {
    super();
    this.inputSource = inputSource;
  }

  override seekToNPT(npt: number): number | null {
    return this.inputSource.seekToNPT(npt);
  }

  override durationSeconds(): number | undefined {
    return this.inputSource.durationSeconds();
  }

  protected override doClose(): void {
    this.inputSource.close();
  }
}
