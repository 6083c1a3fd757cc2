import { RTPSource, type RTPReceivedPacket, type RTPSourceEvents } from './RTPSource.js';

/**
 * live555's MultiFramedRTPSource: an {@link RTPSource} for payload formats where one packet may
 * hold several frames and one frame may span several packets. It owns the reassembly of a
 * fragmented frame and the rule that makes depacketizers safe: a frame whose fragments are not all
 * there (loss inside it, a missing start, a timestamp change before its end) is reported through
 * the `'damaged'` event and dropped, never delivered as if whole.
 *
 * Subclasses implement {@link processPacket} and use {@link startFragment},
 * {@link appendFragment}, {@link finishFragment} and {@link orphanFragment}.
 */
export abstract class MultiFramedRTPSource<
  Events extends RTPSourceEvents = RTPSourceEvents,
> extends RTPSource<Events> {
  #parts: Uint8Array[] = [];
  #partsBytes = 0;
  #fragTimestamp = 0;
  #assembling = false;
  /** Skipping the continuation packets of a fragmented frame whose start was lost. */
  #skipping = false;
  #skipTimestamp = 0;
  /** Upper bound on a reassembled frame, against a peer that never sets the end bit. */
  protected maxFrameBytes = 8 * 1024 * 1024;
  /**
   * Upper bound on the fragments of one reassembled frame (default 16384: an 8 MiB frame in
   * 512-byte fragments). Each fragment held costs ~100 bytes beside its payload, so without it a
   * peer sending 1-byte fragments made the byte bound above mean ~1 GB of heap.
   */
  protected maxFrameFragments = 16384;

  /** Handle one in-order packet. `afterLoss` is true when packets were lost just before it. */
  protected abstract processPacket(packet: RTPReceivedPacket, afterLoss: boolean): void;

  protected handlePacket(packet: RTPReceivedPacket, lostBefore: number): void {
    if (lostBefore > 0) this.abandonFragment(`${lostBefore} packet(s) lost inside a fragmented frame`);
    else if (this.#assembling && packet.timestamp !== this.#fragTimestamp) {
      this.abandonFragment('fragmented frame ended without its last fragment');
    }
    this.processPacket(packet, lostBefore > 0);
  }

  protected override onDiscontinuity(reason: string): void {
    this.abandonFragment(reason);
    this.#skipping = false;
  }

  /** True while a fragmented frame is being reassembled. */
  protected get fragmentInProgress(): boolean {
    return this.#assembling;
  }

  /** Begin a fragmented frame (a previous unfinished one is reported as damaged). */
  protected startFragment(rtpTimestamp: number, first: Uint8Array): void {
    this.abandonFragment('fragmented frame ended without its last fragment');
    this.#skipping = false;
    this.#assembling = true;
    this.#fragTimestamp = rtpTimestamp;
    this.#parts.push(first);
    this.#partsBytes = first.length;
  }

  /** Add a middle or last fragment. Returns false (and drops the frame) when it grew too large. */
  protected appendFragment(part: Uint8Array): boolean {
    if (!this.#assembling) return false;
    if (this.#partsBytes + part.length > this.maxFrameBytes) {
      this.abandonFragment(`fragmented frame larger than ${this.maxFrameBytes} bytes`);
      return false;
    }
    if (this.#parts.length >= this.maxFrameFragments) {
      this.abandonFragment(`fragmented frame in more than ${this.maxFrameFragments} fragments`);
      return false;
    }
    this.#parts.push(part);
    this.#partsBytes += part.length;
    return true;
  }

  /** Bytes assembled so far. */
  protected get fragmentBytes(): number {
    return this.#partsBytes;
  }

  /** End the fragmented frame and return its bytes (one fresh buffer). */
  protected finishFragment(): Uint8Array {
    const out = new Uint8Array(this.#partsBytes);
    let off = 0;
    for (const p of this.#parts) {
      out.set(p, off);
      off += p.length;
    }
    this.#parts = [];
    this.#partsBytes = 0;
    this.#assembling = false;
    return out;
  }

  /** Drop a frame being reassembled, reporting it as damaged. No-op when none is. */
  protected abandonFragment(reason: string): void {
    if (!this.#assembling) return;
    this.#parts = [];
    this.#partsBytes = 0;
    this.#assembling = false;
    // Its remaining fragments (same timestamp) are skipped without being reported again.
    this.#skipping = true;
    this.#skipTimestamp = this.#fragTimestamp;
    this.reportDamagedFrame(reason, this.#fragTimestamp);
  }

  /** True while skipping the rest of a dropped fragmented frame with this timestamp. */
  protected skippingFragmentOf(rtpTimestamp: number): boolean {
    return this.#skipping && this.#skipTimestamp === rtpTimestamp;
  }

  /**
   * A middle or last fragment arrived with no frame in progress (its start was lost): report the
   * frame once, and stay quiet for its remaining fragments until `isLast`.
   */
  protected orphanFragment(rtpTimestamp: number, isLast: boolean): void {
    if (!this.#skipping || this.#skipTimestamp !== rtpTimestamp) {
      this.reportDamagedFrame('fragmented frame without its first fragment', rtpTimestamp);
    }
    this.#skipping = !isLast;
    this.#skipTimestamp = rtpTimestamp;
  }
}
