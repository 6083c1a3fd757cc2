/**
 * One unit of media handed from a source to its consumer: an access unit, a NAL unit, an audio
 * frame, a group of transport-stream packets, or a chunk of bytes from a byte-stream source.
 */
export interface Frame {
  /**
   * The bytes. A view into memory the producer never reuses or mutates after delivering it
   * (sends may still hold it), so consumers can keep it without copying — unless the consumer
   * hands the frame back with {@link owner}'s `releaseFrame`.
   */
  readonly data: Uint8Array;
  /** Presentation time in microseconds on the source's timeline (files start at 0). */
  readonly presentationTime: number;
  /**
   * Microseconds from this frame to the next one. `0` when the next frame shares this
   * presentation time (e.g. the NAL units of one access unit before its last).
   */
  readonly duration: number;
  /**
   * False when more frames of the same access unit (picture) follow. Video sinks set the RTP marker
   * bit on the last packet of a frame whose `endOfAccessUnit` is not `false`.
   */
  readonly endOfAccessUnit?: boolean;
  /** True for a random-access point (an IDR picture, a key frame). */
  readonly key?: boolean;
  /**
   * Set by a producer that can recycle the memory of {@link data} (a file source reading into
   * the same buffers again, a framer whose frames are views of such buffers). A consumer that is
   * done with the bytes — nothing it started, such as a UDP send Node still has queued, reads them
   * any more — may call `frame.owner.releaseFrame(frame)`, once; after that it must not touch
   * `data`. Never releasing a frame is always safe: its memory is then simply not reused.
   *
   * A filter that passes the same frame object on passes this right on with it; one that keeps
   * the bytes itself must not (deliver `{ ...frame, owner: undefined }` instead).
   */
  readonly owner?: FrameOwner | undefined;
}

/** What a {@link Frame} whose memory can be recycled is handed back to. */
export interface FrameOwner {
  /** The consumer no longer needs `frame.data`; the producer may reuse its memory. */
  releaseFrame(frame: Frame): void;
}
