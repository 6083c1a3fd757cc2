import type { AnyFramedSource, FramedSourceEvents } from './FramedSource.js';
import { FramedSource } from './FramedSource.js';

/**
 * live555's FramedFilter: a source that reads from another source (a framer reading a byte stream,
 * a transcoder, …). Closing a filter closes its input; seeking and duration pass through by default.
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
