import type { RTCPReportBlock } from '../rtcp/RTCPPacket.js';
import { ntpMiddle32, unixMicrosFromNTP, type NTPTimestamp } from '../rtcp/NTPTime.js';

/** Tuning of RFC 3550 A.1 sequence validation. */
export interface RTPReceptionStatsOptions {
  /** Sequential packets needed before a new source is valid (RFC 3550 MIN_SEQUENTIAL). Default 2. */
  minSequential?: number;
  /** Largest forward jump still taken as loss rather than a restart (MAX_DROPOUT). Default 3000. */
  maxDropout?: number;
  /** Largest backward step still taken as reordering (MAX_MISORDER). Default 100. */
  maxMisorder?: number;
}

const SEQ_MOD = 0x10000;
const TWO_32 = 4_294_967_296;

/**
 * Reception statistics of one remote SSRC, as RFC 3550 Appendix A keeps them: sequence validation
 * with wrap and probation (A.1), expected/lost/fraction lost (A.3), interarrival jitter (A.8), and
 * the LSR/DLSR bookkeeping that lets the sender compute round-trip time from our receiver reports.
 */
export class RTPReceptionStats {
  /** The SSRC these statistics describe. */
  readonly ssrc: number;
  /** RTP clock rate of the stream, used to express arrival times in timestamp units for jitter. */
  readonly timestampFrequency: number;

  readonly #minSequential: number;
  readonly #maxDropout: number;
  readonly #maxMisorder: number;

  #maxSeq = 0;
  #cycles = 0;
  #baseSeq = 0;
  #badSeq = SEQ_MOD + 1;
  #probation: number;
  #received = 0;
  #expectedPrior = 0;
  #receivedPrior = 0;
  #lastFraction = 0;
  #octets = 0;
  #packetsSeen = 0;

  #haveTransit = false;
  #lastArrivalUs = 0;
  #lastTimestamp = 0;
  #jitter = 0;

  #lastSR: NTPTimestamp | null = null;
  #lastSRRtpTimestamp = 0;
  #lastSRArrivalUs = 0;

  constructor(ssrc: number, timestampFrequency: number, options: RTPReceptionStatsOptions = {}) {
    this.ssrc = ssrc;
    this.timestampFrequency = timestampFrequency;
    this.#minSequential = options.minSequential ?? 2;
    this.#maxDropout = options.maxDropout ?? 3000;
    this.#maxMisorder = options.maxMisorder ?? 100;
    this.#probation = this.#minSequential;
  }

  #initSeq(seq: number): void {
    this.#baseSeq = seq;
    this.#maxSeq = seq;
    this.#badSeq = SEQ_MOD + 1;
    this.#cycles = 0;
    this.#received = 0;
    this.#receivedPrior = 0;
    this.#expectedPrior = 0;
  }

  /**
   * Account for one arriving RTP packet (in arrival order, before any reordering). Returns true when
   * the packet is valid for this source (RFC 3550 A.1: false while on probation, or for a jump that
   * looks like a restart until it is confirmed by the next packet).
   */
  noteIncomingPacket(seq: number, rtpTimestamp: number, arrivalUs: number, payloadBytes: number): boolean {
    this.#packetsSeen++;
    if (this.#packetsSeen === 1) {
      this.#initSeq(seq);
      this.#maxSeq = (seq - 1) & 0xffff;
      this.#probation = this.#minSequential;
    }
    const wasOnProbation = this.#probation > 0;
    const valid = this.#updateSeq(seq);
    // Jitter follows every packet of the stream, the ones on probation included, but not a
    // suspected restart (its timestamps belong to another timeline).
    if (valid || wasOnProbation) this.#updateJitter(rtpTimestamp, arrivalUs);
    if (valid) this.#octets += payloadBytes;
    return valid;
  }

  #updateSeq(seq: number): boolean {
    const udelta = (seq - this.#maxSeq) & 0xffff;
    if (this.#probation > 0) {
      if (seq === ((this.#maxSeq + 1) & 0xffff)) {
        this.#probation--;
        this.#maxSeq = seq;
        if (this.#probation === 0) {
          this.#initSeq(seq);
          this.#received++;
          return true;
        }
      } else {
        this.#probation = this.#minSequential - 1;
        this.#maxSeq = seq;
      }
      return false;
    }
    if (udelta < this.#maxDropout) {
      if (seq < this.#maxSeq) this.#cycles += SEQ_MOD;
      this.#maxSeq = seq;
    } else if (udelta <= SEQ_MOD - this.#maxMisorder) {
      // A very large jump: the sender may have restarted. Believe it on the second such packet.
      if (seq === this.#badSeq) {
        this.#initSeq(seq);
        this.#haveTransit = false;
      } else {
        this.#badSeq = (seq + 1) & 0xffff;
        return false;
      }
    }
    // else: duplicate or reordered packet; counted as received, as RFC 3550 does.
    this.#received++;
    return true;
  }

  #updateJitter(rtpTimestamp: number, arrivalUs: number): void {
    if (this.#haveTransit) {
      // D(i-1,i) = (Rj - Ri) - (Sj - Si), both in timestamp units; the RTP difference taken as a
      // signed 32-bit value so that timestamp wrap does not disturb it.
      const arrivalDelta = ((arrivalUs - this.#lastArrivalUs) * this.timestampFrequency) / 1_000_000;
      const tsDelta = (rtpTimestamp - this.#lastTimestamp) | 0;
      const d = Math.abs(arrivalDelta - tsDelta);
      this.#jitter += (d - this.#jitter) / 16;
    }
    this.#haveTransit = true;
    this.#lastArrivalUs = arrivalUs;
    this.#lastTimestamp = rtpTimestamp >>> 0;
  }

  /** Record a sender report from this SSRC (for LSR/DLSR and wall-clock mapping). */
  noteSenderReport(ntp: NTPTimestamp, rtpTimestamp: number, arrivalUs: number): void {
    this.#lastSR = ntp;
    this.#lastSRRtpTimestamp = rtpTimestamp >>> 0;
    this.#lastSRArrivalUs = arrivalUs;
  }

  /** True once the source passed probation (RFC 3550 A.1). */
  get valid(): boolean {
    return this.#probation === 0;
  }
  /** Valid packets received (duplicates included, as RFC 3550 counts them). */
  get packetsReceived(): number {
    return this.#received;
  }
  /** Payload octets of the valid packets received. */
  get octetsReceived(): number {
    return this.#octets;
  }
  /** Extended highest sequence number received: cycles × 65536 + highest seq. */
  get extendedHighestSeq(): number {
    return this.#cycles + this.#maxSeq;
  }
  /** Packets expected (RFC 3550 A.3): extended highest − base + 1; 0 before the source is valid. */
  get packetsExpected(): number {
    return this.valid ? this.extendedHighestSeq - this.#baseSeq + 1 : 0;
  }
  /**
   * Packets of this source that arrived in sequence just before the base sequence number, the run
   * that RFC 3550 A.1's probation held back (minSequential − 1 once the source is valid; the run so
   * far before that). {@link packetsExpected} and {@link packetsReceived} leave them out, as the RFC
   * counts for receiver reports; add this to both for the counts a user reads (then expected =
   * received + lost for a stream without duplicates).
   */
  get packetsBeforeBase(): number {
    return this.#minSequential - (this.valid ? 1 : this.#probation);
  }
  /** Cumulative packets lost (expected − received; negative when duplicates arrived). */
  get packetsLost(): number {
    return this.packetsExpected - this.#received;
  }
  /** Interarrival jitter in RTP timestamp units (RFC 3550 A.8, unrounded). */
  get jitter(): number {
    return this.#jitter;
  }
  /** Interarrival jitter in seconds. */
  get jitterSeconds(): number {
    return this.#jitter / this.timestampFrequency;
  }
  /** Fraction lost (0–1) as computed by the last {@link makeReportBlock}. */
  get fractionLost(): number {
    return this.#lastFraction / 256;
  }
  /** The last sender report from this SSRC: its NTP time, RTP timestamp and our arrival time (µs). */
  get lastSenderReport(): { ntp: NTPTimestamp; rtpTimestamp: number; arrivalUs: number; wallClockUs: number } | null {
    if (this.#lastSR === null) return null;
    return {
      ntp: this.#lastSR,
      rtpTimestamp: this.#lastSRRtpTimestamp,
      arrivalUs: this.#lastSRArrivalUs,
      wallClockUs: unixMicrosFromNTP(this.#lastSR),
    };
  }

  /**
   * The reception report block for this source at scheduler time `nowUs` (RFC 3550 A.3). Starts a
   * new interval: the next block's fraction lost counts from here.
   */
  makeReportBlock(nowUs: number): RTCPReportBlock {
    const expected = this.packetsExpected;
    const expectedInterval = expected - this.#expectedPrior;
    const receivedInterval = this.#received - this.#receivedPrior;
    this.#expectedPrior = expected;
    this.#receivedPrior = this.#received;
    const lostInterval = expectedInterval - receivedInterval;
    this.#lastFraction =
      expectedInterval === 0 || lostInterval <= 0 ? 0 : Math.min(255, Math.floor((lostInterval * 256) / expectedInterval));
    const lost = Math.max(-0x800000, Math.min(0x7fffff, expected - this.#received));
    let lastSR = 0;
    let dlsr = 0;
    if (this.#lastSR !== null) {
      lastSR = ntpMiddle32(this.#lastSR);
      dlsr = Math.min(0xffffffff, Math.max(0, Math.floor(((nowUs - this.#lastSRArrivalUs) * 65536) / 1_000_000)));
    }
    return {
      ssrc: this.ssrc,
      fractionLost: this.#lastFraction,
      cumulativeLost: lost,
      extendedHighestSeq: this.extendedHighestSeq % TWO_32,
      jitter: Math.min(0xffffffff, Math.floor(this.#jitter)),
      lastSR,
      delaySinceLastSR: dlsr,
    };
  }
}
