/**
 * One unit of media handed from a source to its consumer: an access unit, a NAL unit, an audio
 * frame, a group of transport-stream packets, or a chunk of bytes from a byte-stream source.
 */
export interface Frame {
  /**
   * The bytes. A view into memory the producer never reuses or mutates after delivering it
   * (sends may still hold it), so consumers can keep it without copying.
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
}
