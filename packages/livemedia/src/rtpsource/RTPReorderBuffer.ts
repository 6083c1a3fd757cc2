import { limitOption } from '@dorsvr/scheduler';

/** What the reorder buffer needs of a packet. */
export interface ReorderablePacket {
  /** RTP sequence number (16-bit). */
  readonly seq: number;
  /** Scheduler time (µs) at which the packet arrived. */
  readonly arrivalUs: number;
}

/** Limits of an {@link RTPReorderBuffer}. */
export interface RTPReorderBufferOptions {
  /**
   * Packets held while waiting for a gap to fill; when full, the gap is given up. Default 100;
   * anything but a positive integer throws `ERR_SOURCE_OPTIONS`.
   */
  maxPackets?: number;
  /**
   * How long (µs) the packet after a gap waits for the missing ones. Default 100 000 (100 ms);
   * anything but a finite number ≥ 0 throws `ERR_SOURCE_OPTIONS`.
   */
  maxDelayUs?: number;
}

/** A packet released in sequence order, with how many packets were given up just before it. */
export interface ReleasedPacket<P extends ReorderablePacket> {
  readonly packet: P;
  /** Packets missing between the previous released packet and this one (0 when contiguous). */
  readonly lostBefore: number;
}

/** Outcome of {@link RTPReorderBuffer.insert}. */
export type ReorderInsertResult = 'accepted' | 'late' | 'duplicate';

/**
 * Puts RTP packets back in sequence order, bounded in packets and time: a gap is waited for at most
 * `maxDelayUs` after the packet following it arrived, or until `maxPackets` are held, then given up
 * (the next packet is released with `lostBefore` > 0). Sequence numbers wrap at 65535. Packets older
 * than the last released one (too late) and duplicates are refused; a jump far backwards confirmed by
the packet after it (a restarted sender) starts the order afresh, reported as a gap. Pure: time is passed in, the
 * owner schedules a wake-up at {@link nextDeadlineUs}.
 */
export class RTPReorderBuffer<P extends ReorderablePacket> {
  readonly maxPackets: number;
  readonly maxDelayUs: number;
  /** Held packets, sorted by distance from #nextSeq. */
  #held: P[] = [];
  #nextSeq = -1;
  /** Sequence number that would confirm a jump backwards (a sender restart), or -1. */
  #badSeq = -1;
  /** The next released packet follows a resynchronisation: report a gap before it. */
  #resync = false;

  constructor(options: RTPReorderBufferOptions = {}) {
    this.maxPackets = limitOption(options.maxPackets, 100, 'maxPackets', 'ERR_SOURCE_OPTIONS');
    this.maxDelayUs = limitOption(options.maxDelayUs, 100_000, 'maxDelayUs', 'ERR_SOURCE_OPTIONS', 'duration');
  }

  /** Packets currently held. */
  get size(): number {
    return this.#held.length;
  }

  /** The sequence number expected next, or -1 before the first packet. */
  get nextSeq(): number {
    return this.#nextSeq;
  }

  #distance(seq: number): number {
    return (seq - this.#nextSeq) & 0xffff;
  }

  /** Offer a packet. */
  insert(packet: P): ReorderInsertResult {
    if (this.#nextSeq < 0) this.#nextSeq = packet.seq & 0xffff;
    let d = this.#distance(packet.seq);
    if (d >= 0x8000) {
      // Far behind what was released: not reordering but a new numbering (a restarted sender).
      // Believe it when the next packet follows it, as RFC 3550 A.1 does, and start over there.
      if (0x10000 - d <= Math.max(100, this.maxPackets)) return 'late';
      if ((packet.seq & 0xffff) !== this.#badSeq) {
        this.#badSeq = (packet.seq + 1) & 0xffff;
        return 'late';
      }
      this.#held.length = 0;
      this.#nextSeq = packet.seq & 0xffff;
      this.#badSeq = -1;
      this.#resync = true;
      d = 0;
    }
    const held = this.#held;
    // Binary search for the insertion point; most packets append at the end.
    let lo = 0;
    let hi = held.length;
    if (hi > 0 && this.#distance(held[hi - 1]!.seq) < d) {
      lo = hi;
    } else {
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (this.#distance(held[mid]!.seq) < d) lo = mid + 1;
        else hi = mid;
      }
      if (lo < held.length && held[lo]!.seq === (packet.seq & 0xffff)) return 'duplicate';
    }
    held.splice(lo, 0, packet);
    return 'accepted';
  }

  /**
   * The next packet that may be released at time `nowUs`: the expected one, or the one after a gap
   * once the gap timed out or the buffer is full. `null` when the caller must wait.
   */
  next(nowUs: number): ReleasedPacket<P> | null {
    const head = this.#held[0];
    if (head === undefined) return null;
    const gap = this.#distance(head.seq);
    if (gap !== 0 && this.#held.length < this.maxPackets && nowUs - head.arrivalUs < this.maxDelayUs) return null;
    this.#held.shift();
    this.#nextSeq = (head.seq + 1) & 0xffff;
    if (this.#resync) {
      this.#resync = false;
      return { packet: head, lostBefore: Math.max(1, gap) };
    }
    return { packet: head, lostBefore: gap };
  }

  /**
   * Scheduler time at which the packet at the head (waiting behind a gap) will be released, or
   * `null` when nothing waits.
   */
  nextDeadlineUs(): number | null {
    const head = this.#held[0];
    if (head === undefined || this.#distance(head.seq) === 0) return null;
    return head.arrivalUs + this.maxDelayUs;
  }

  /** Drop everything held and forget the expected sequence number (e.g. on an SSRC change). */
  reset(): void {
    this.#held.length = 0;
    this.#nextSeq = -1;
    this.#badSeq = -1;
    this.#resync = false;
  }
}
