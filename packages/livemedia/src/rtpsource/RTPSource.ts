import createDebug from 'debug';
import { defaultScheduler, type TaskScheduler, type TaskToken, limitOption } from '@dorsvr/scheduler';
import type { Frame } from '../core/Frame.js';
import { FramedSource, type FramedSourceEvents } from '../core/FramedSource.js';
import { unixMicrosFromNTP, type NTPTimestamp } from '../rtcp/NTPTime.js';
import type { RTCPReportBlock } from '../rtcp/RTCPPacket.js';
import { parseRTPHeader } from '../rtp/RTPPacket.js';
import { RTPReceptionStats, type RTPReceptionStatsOptions } from './RTPReceptionStats.js';
import { RTPReorderBuffer, type RTPReorderBufferOptions } from './RTPReorderBuffer.js';

const debug = createDebug('dorsvr:livemedia:rtpsource');

/**
 * What an RTP source needs of its transport: an emitter of `'packet'` events (an `RTPInterface`
 * receiving on a Groupsock or an interleaved channel). Structural, so tests can pass any emitter.
 */
export interface RTPPacketEmitter {
  on(event: 'packet', listener: (data: Uint8Array, from?: unknown) => void): unknown;
  off(event: 'packet', listener: (data: Uint8Array, from?: unknown) => void): unknown;
}

/** One received RTP packet, after header parsing, as depacketizers see it. */
export interface RTPReceivedPacket {
  readonly seq: number;
  readonly timestamp: number;
  readonly marker: boolean;
  readonly payloadType: number;
  readonly ssrc: number;
  /** The payload (padding removed): a view into the received datagram. */
  readonly payload: Uint8Array;
  /** Scheduler time (µs) of arrival. */
  readonly arrivalUs: number;
}

/** A frame produced by an {@link RTPSource}: a {@link Frame} plus its RTP timestamp. */
export interface RTPFrame extends Frame {
  /** The RTP timestamp this frame's presentation time was computed from. */
  readonly rtpTimestamp: number;
  /** True when the presentation time is wall-clock time from an RTCP sender report. */
  readonly syncedUsingRTCP: boolean;
}

/** A frame the source dropped because it was damaged or incomplete. */
export interface RTPDamagedFrameInfo {
  /** Why, e.g. `'loss inside a fragmented NAL unit'`. */
  readonly reason: string;
  /** RTP timestamp of the dropped frame. */
  readonly rtpTimestamp: number;
  /** Damaged frames dropped so far by this source (this one included). */
  readonly totalDamagedFrames: number;
}

/** Events of every {@link RTPSource}. */
export interface RTPSourceEvents extends FramedSourceEvents {
  /** A damaged or partial frame was dropped (never delivered as if whole). */
  damaged: [info: RTPDamagedFrameInfo];
  /** The source now follows a different sender SSRC. */
  ssrcChange: [ssrc: number];
  /** The frame queue was full (nobody reading): the oldest frame was dropped. */
  overflow: [droppedFrames: number];
}

/** Options of every {@link RTPSource}. */
export interface RTPSourceOptions {
  /** All timing (reorder timeouts, arrival times) goes through it (default: the shared `defaultScheduler()`). */
  scheduler?: TaskScheduler;
  /** Where packets come from; omit to push them with {@link RTPSource.injectPacket}. */
  rtpInterface?: RTPPacketEmitter;
  /** RTP clock rate (from the SDP rtpmap). Defaults to each codec's usual rate. */
  timestampFrequency?: number;
  /** Accept only this payload type; others are counted and ignored. */
  payloadType?: number;
  /** Reorder buffer limits (default 100 packets, 100 ms); a bad one throws `ERR_SOURCE_OPTIONS`. */
  reorder?: RTPReorderBufferOptions;
  /**
   * Frames held for a slow reader before the oldest is dropped. Default 500; anything but a positive
   * integer throws `ERR_SOURCE_OPTIONS`.
   */
  maxQueuedFrames?: number;
  /** RFC 3550 A.1 sequence validation tuning. */
  stats?: RTPReceptionStatsOptions;
  /**
   * How long packets are still taken after the sender's RTCP BYE before the stream ends (default
   * {@link DEFAULT_BYE_GRACE_US}): the BYE travels on the RTCP socket and can overtake the last RTP packets.
   * Anything but a finite number ≥ 0 throws `ERR_SOURCE_OPTIONS`.
   */
  byeGraceUs?: number;
}

/** Per-frame details a depacketizer passes to {@link RTPSource.deliverFrame}. */
export interface RTPFrameOptions {
  endOfAccessUnit?: boolean;
  key?: boolean;
  /** Frame duration in µs when the codec knows it (audio), else 0. */
  durationUs?: number;
}

/** Packets an RTPSource still takes after an RTCP BYE, by default: 250 ms. */
export const DEFAULT_BYE_GRACE_US = 250_000;

const MAX_TRACKED_SSRCS = 32;

/**
 * live555's RTPSource: a {@link FramedSource} fed by RTP packets, from an RTPInterface's `'packet'`
 * event or pushed with {@link injectPacket}. It keeps RFC 3550 reception statistics per sender SSRC
 * (for RTCP receiver reports), restores packet order in a bounded {@link RTPReorderBuffer}, and
 * turns RTP timestamps into presentation times: relative to the local wall clock at first, then
 * the sender's wall clock once an RTCP sender report maps NTP to RTP time (so tracks can be
 * synchronised). Subclasses (depacketizers) implement {@link handlePacket} and call
 * {@link deliverFrame} / {@link reportDamagedFrame}.
 */
export abstract class RTPSource<Events extends RTPSourceEvents = RTPSourceEvents> extends FramedSource<Events> {
  readonly scheduler: TaskScheduler;
  /** RTP clock rate. */
  readonly timestampFrequency: number;
  /** The payload type accepted, or `undefined` for any. */
  readonly payloadType: number | undefined;

  readonly #rtpInterface: RTPPacketEmitter | undefined;
  readonly #onPacket = (data: Uint8Array): void => this.injectPacket(data);
  readonly #reorder: RTPReorderBuffer<RTPReceivedPacket>;
  readonly #statsOptions: RTPReceptionStatsOptions | undefined;
  readonly #stats = new Map<number, RTPReceptionStats>();
  readonly #maxQueued: number;
  readonly #queue: RTPFrame[] = [];
  #queueHead = 0;
  #waiting: ((f: RTPFrame | null) => void) | null = null;
  #ended = false;
  readonly #byeGraceUs: number;
  #byeTask: TaskToken = 0;

  #ssrc: number | null = null;
  #reorderTimer: TaskToken = 0;
  #reorderDeadline = -1;
  readonly #onReorderTimeout = (): void => {
    this.#reorderTimer = 0;
    this.#reorderDeadline = -1;
    this.#drain();
  };

  #haveTimeRef = false;
  #refTimestamp = 0;
  #refUs = 0;
  #synced = false;

  /** Packets whose RTP header did not parse. */
  malformedPackets = 0;
  /** Packets of another payload type. */
  ignoredPackets = 0;
  /** Packets that arrived after their place in the sequence was given up. */
  latePackets = 0;
  /** Packets received twice. */
  duplicatePackets = 0;
  /** Packets the reorder buffer gave up waiting for. */
  lostPackets = 0;
  /** Frames delivered to the queue. */
  framesDelivered = 0;
  /** Damaged or partial frames dropped. */
  damagedFrames = 0;
  /** Frames dropped because nobody read them in time. */
  overflowedFrames = 0;

  constructor(options: RTPSourceOptions, defaultFrequency: number) {
    super();
    this.scheduler = options.scheduler ?? defaultScheduler();
    this.timestampFrequency = options.timestampFrequency ?? defaultFrequency;
    this.payloadType = options.payloadType;
    this.#reorder = new RTPReorderBuffer(options.reorder);
    this.#statsOptions = options.stats;
    this.#maxQueued = limitOption(options.maxQueuedFrames, 500, 'maxQueuedFrames', 'ERR_SOURCE_OPTIONS');
    this.#byeGraceUs = limitOption(options.byeGraceUs, DEFAULT_BYE_GRACE_US, 'byeGraceUs', 'ERR_SOURCE_OPTIONS', 'duration');
    this.#rtpInterface = options.rtpInterface;
    this.#rtpInterface?.on('packet', this.#onPacket);
  }

  /** The sender SSRC being followed, or `null` before the first packet. */
  get ssrc(): number | null {
    return this.#ssrc;
  }

  /** Reception statistics of the current sender, or `undefined` before the first packet. */
  get receptionStats(): RTPReceptionStats | undefined {
    return this.#ssrc === null ? undefined : this.#stats.get(this.#ssrc);
  }

  /** Reception statistics of every sender SSRC heard (a bounded number). */
  get allReceptionStats(): ReadonlyMap<number, RTPReceptionStats> {
    return this.#stats;
  }

  /** live555's hasBeenSynchronizedUsingRTCP(): presentation times now come from an RTCP SR. */
  get syncedUsingRTCP(): boolean {
    return this.#synced;
  }

  override async getNextFrame(): Promise<RTPFrame | null> {
    return (await super.getNextFrame()) as RTPFrame | null;
  }

  protected readFrame(): Promise<Frame | null> {
    const f = this.#shift();
    if (f !== null) return Promise.resolve(f);
    if (this.#ended) return Promise.resolve(null);
    return new Promise((resolve) => {
      this.#waiting = resolve;
    });
  }

  #shift(): RTPFrame | null {
    if (this.#queueHead >= this.#queue.length) return null;
    const f = this.#queue[this.#queueHead]!;
    this.#queueHead++;
    if (this.#queueHead > 64 && this.#queueHead * 2 > this.#queue.length) {
      this.#queue.splice(0, this.#queueHead);
      this.#queueHead = 0;
    }
    return f;
  }

  /**
   * Push one RTP packet (a whole datagram or interleaved frame) into the source. `arrivalUs` is the
   * scheduler time of arrival (default: now). Bad packets are counted, never thrown.
   */
  injectPacket(data: Uint8Array, arrivalUs: number = this.scheduler.now()): void {
    if (this.closed || this.#ended) return;
    let packet: RTPReceivedPacket;
    try {
      const h = parseRTPHeader(data);
      packet = {
        seq: h.sequenceNumber,
        timestamp: h.timestamp,
        marker: h.marker,
        payloadType: h.payloadType,
        ssrc: h.ssrc,
        payload: h.payload,
        arrivalUs,
      };
    } catch (err) {
      this.malformedPackets++;
      debug('malformed RTP packet (%d bytes): %s', data.length, (err as Error).message);
      return;
    }
    if (this.payloadType !== undefined && packet.payloadType !== this.payloadType) {
      this.ignoredPackets++;
      return;
    }
    let stats = this.#stats.get(packet.ssrc);
    if (stats === undefined) {
      if (this.#stats.size >= MAX_TRACKED_SSRCS) {
        for (const key of this.#stats.keys()) {
          if (key !== this.#ssrc) {
            this.#stats.delete(key);
            break;
          }
        }
      }
      stats = new RTPReceptionStats(packet.ssrc, this.timestampFrequency, this.#statsOptions);
      this.#stats.set(packet.ssrc, stats);
    }
    const valid = stats.noteIncomingPacket(packet.seq, packet.timestamp, arrivalUs, packet.payload.length);
    if (this.#ssrc === null) {
      this.#ssrc = packet.ssrc;
    } else if (packet.ssrc !== this.#ssrc) {
      // Another sender (a restarted camera, an SSRC change): follow it once it passed probation.
      if (!valid || !stats.valid) return;
      this.#switchTo(packet.ssrc);
    }
    const r = this.#reorder.insert(packet);
    if (r === 'late') this.latePackets++;
    else if (r === 'duplicate') this.duplicatePackets++;
    else this.#drain();
  }

  #switchTo(ssrc: number): void {
    debug('following new SSRC %d (was %d)', ssrc, this.#ssrc);
    this.#ssrc = ssrc;
    this.#reorder.reset();
    this.onDiscontinuity('sender SSRC changed');
    this.#haveTimeRef = false;
    this.#synced = false;
    const sr = this.#stats.get(ssrc)?.lastSenderReport;
    if (sr) this.#setTimeRef(sr.rtpTimestamp, sr.wallClockUs, true);
    (this as unknown as RTPSource).emit('ssrcChange', ssrc);
  }

  #drain(): void {
    const now = this.scheduler.now();
    for (let r = this.#reorder.next(now); r !== null; r = this.#reorder.next(now)) {
      if (r.lostBefore > 0) this.lostPackets += r.lostBefore;
      try {
        this.handlePacket(r.packet, r.lostBefore);
      } catch (err) {
        // A depacketizer bug must not kill reception; the packet's frame is lost.
        debug('depacketizer threw on seq %d: %s', r.packet.seq, (err as Error).message);
        this.onDiscontinuity('depacketizer error');
      }
      if (this.closed) return;
    }
    const deadline = this.#reorder.nextDeadlineUs();
    if (deadline === null) {
      if (this.#reorderTimer !== 0) {
        this.scheduler.unscheduleDelayedTask(this.#reorderTimer);
        this.#reorderTimer = 0;
        this.#reorderDeadline = -1;
      }
    } else if (deadline !== this.#reorderDeadline) {
      this.#reorderDeadline = deadline;
      this.#reorderTimer = this.scheduler.rescheduleDelayedTask(this.#reorderTimer, deadline - now, this.#onReorderTimeout);
    }
  }

  /**
   * Handle one packet of the current sender, in sequence order. `lostBefore` > 0 when packets
   * were given up just before it: a frame being reassembled across that gap is damaged.
   */
  protected abstract handlePacket(packet: RTPReceivedPacket, lostBefore: number): void;

  /**
   * Called when the packet stream is discontinuous for another reason than loss (SSRC change,
   * end of stream): drop any partially assembled frame (reporting it as damaged).
   */
  protected onDiscontinuity(_reason: string): void {}

  /**
   * Record an RTCP sender report (called by RTCPInstance): feeds LSR/DLSR for our receiver
   * reports and, for the current sender, maps RTP time to the sender's wall clock from now on.
   */
  noteSenderReport(ssrc: number, ntp: NTPTimestamp, rtpTimestamp: number, arrivalUs: number = this.scheduler.now()): void {
    let stats = this.#stats.get(ssrc);
    if (stats === undefined) {
      if (this.#ssrc !== null || this.#stats.size >= MAX_TRACKED_SSRCS) return;
      // SR before the first RTP packet: remember it for that sender.
      stats = new RTPReceptionStats(ssrc, this.timestampFrequency, this.#statsOptions);
      this.#stats.set(ssrc, stats);
    }
    stats.noteSenderReport(ntp, rtpTimestamp, arrivalUs);
    if (this.#ssrc === null || ssrc === this.#ssrc) this.#setTimeRef(rtpTimestamp >>> 0, unixMicrosFromNTP(ntp), true);
  }

  /** Receiver-report blocks for every valid sender heard (for RTCPInstance). */
  makeReportBlocks(nowUs: number = this.scheduler.now()): RTCPReportBlock[] {
    const blocks: RTCPReportBlock[] = [];
    for (const s of this.#stats.values()) {
      if (s.valid && blocks.length < 31) blocks.push(s.makeReportBlock(nowUs));
    }
    return blocks;
  }

  /**
   * The sender said BYE: packets still in flight are taken for `byeGraceUs`, then the stream ends
   * (what is queued is still delivered, then reads answer `null`).
   */
  handleBye(ssrc?: number): void {
    if (ssrc !== undefined && this.#ssrc !== null && ssrc !== this.#ssrc) return;
    if (this.#ended || this.#byeTask !== 0) return;
    if (this.#byeGraceUs === 0) return this.endOfStream();
    this.#byeTask = this.scheduler.scheduleDelayedTask(this.#byeGraceUs, () => {
      this.#byeTask = 0;
      this.endOfStream();
    });
  }

  /** No more packets will come: frames queued are still read, then reads answer `null`. */
  endOfStream(): void {
    if (this.#ended) return;
    this.onDiscontinuity('end of stream');
    this.#ended = true;
    this.#stopReceiving();
    if (this.#waiting !== null && this.#queueHead >= this.#queue.length) {
      const w = this.#waiting;
      this.#waiting = null;
      w(null);
    }
  }

  #setTimeRef(rtpTimestamp: number, wallUs: number, synced: boolean): void {
    this.#haveTimeRef = true;
    this.#refTimestamp = rtpTimestamp;
    this.#refUs = wallUs;
    if (synced) this.#synced = true;
  }

  /** Presentation time (µs since the Unix epoch) of RTP timestamp `ts`. */
  presentationTimeFor(ts: number): number {
    if (!this.#haveTimeRef) this.#setTimeRef(ts >>> 0, this.scheduler.wallClockUs(), false);
    // Signed 32-bit difference from the reference, so wrap never disturbs it.
    const delta = (ts - this.#refTimestamp) | 0;
    const pt = this.#refUs + (delta * 1_000_000) / this.timestampFrequency;
    if (delta > 0x40000000 || delta < -0x40000000) {
      // Only move the reference when far away, so rounding never accumulates.
      this.#refTimestamp = ts >>> 0;
      this.#refUs = pt;
    }
    return pt;
  }

  /** Queue a complete frame for readers. `data` must not be reused by the caller. */
  protected deliverFrame(data: Uint8Array, rtpTimestamp: number, options: RTPFrameOptions = {}): void {
    const frame: RTPFrame = {
      data,
      presentationTime: Math.round(this.presentationTimeFor(rtpTimestamp)),
      duration: options.durationUs ?? 0,
      endOfAccessUnit: options.endOfAccessUnit,
      key: options.key,
      rtpTimestamp: rtpTimestamp >>> 0,
      syncedUsingRTCP: this.#synced,
    };
    this.framesDelivered++;
    if (this.#waiting !== null) {
      const w = this.#waiting;
      this.#waiting = null;
      w(frame);
      return;
    }
    if (this.#queue.length - this.#queueHead >= this.#maxQueued) {
      this.#shift();
      this.overflowedFrames++;
      (this as unknown as RTPSource).emit('overflow', this.overflowedFrames);
    }
    this.#queue.push(frame);
  }

  /** Count and report a frame dropped because it was damaged or incomplete. */
  protected reportDamagedFrame(reason: string, rtpTimestamp: number): void {
    this.damagedFrames++;
    debug('damaged frame dropped (ts %d): %s', rtpTimestamp, reason);
    (this as unknown as RTPSource).emit('damaged', { reason, rtpTimestamp, totalDamagedFrames: this.damagedFrames });
  }

  #stopReceiving(): void {
    this.scheduler.unscheduleDelayedTask(this.#byeTask);
    this.#byeTask = 0;
    this.#rtpInterface?.off('packet', this.#onPacket);
    this.scheduler.unscheduleDelayedTask(this.#reorderTimer);
    this.#reorderTimer = 0;
    this.#reorder.reset();
  }

  protected override doClose(): void {
    this.#stopReceiving();
    this.#ended = true;
    this.#queue.length = 0;
    this.#queueHead = 0;
    const w = this.#waiting;
    this.#waiting = null;
    w?.(null);
  }
}
