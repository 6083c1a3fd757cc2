import { randomBytes } from 'node:crypto';
import createDebug from 'debug';
import { EventEmitter } from 'eventemitter3';
import { defaultScheduler, isDorsvrError, type DorsvrError, type TaskScheduler, type TaskToken } from '@dorsvr/scheduler';
import { ntpFromUnixMicros, ntpMiddle32, unixMicrosFromNTP, type NTPTimestamp } from './NTPTime.js';
import {
  parseRTCP,
  serializeRTCP,
  SDES_CNAME,
  type RTCPApp,
  type RTCPPacket,
  type RTCPReportBlock,
  type RTCPSDESChunk,
} from './RTCPPacket.js';

const debug = createDebug('dorsvr:livemedia:rtcp');

/**
 * What RTCPInstance needs of its transport (an `RTPInterface` on the RTCP port or interleaved
 * channel): send one packet as chunks, and `'packet'` events for what arrives.
 */
export interface RTCPTransport {
  send(chunks: readonly Uint8Array[]): unknown;
  // `from` is whatever the transport reports (an address string, an rinfo, a channel).
  on(event: 'packet', listener: (data: Uint8Array, from?: unknown) => void): unknown;
  off(event: 'packet', listener: (data: Uint8Array, from?: unknown) => void): unknown;
}

/** What RTCPInstance reads from the RTP sink it reports for (an `RTPSink`). */
export interface RTCPSenderSide {
  readonly ssrc: number;
  readonly packetCount: number;
  readonly octetCount: number;
  readonly rtpTimestampFrequency: number;
  /** RTP timestamp corresponding to scheduler time `nowUs`. */
  rtpTimestampAt(nowUs: number): number;
}

/** What RTCPInstance needs of the RTP source it reports on (an `RTPSource`). */
export interface RTCPReceiverSide {
  /** Report blocks for the senders heard, starting a new loss interval. */
  makeReportBlocks(nowUs: number): RTCPReportBlock[];
  /** A sender report arrived (LSR/DLSR, wall-clock mapping). */
  noteSenderReport(ssrc: number, ntp: NTPTimestamp, rtpTimestamp: number, arrivalUs: number): void;
  /** The sender left. */
  handleBye?(ssrc: number): void;
}

/** Options of {@link RTCPInstance}. */
export interface RTCPInstanceOptions {
  /** Report timers and arrival times run on it (default: the shared `defaultScheduler()`). */
  scheduler?: TaskScheduler;
  /** Sends and receives the RTCP packets. */
  rtcpInterface: RTCPTransport;
  /** The RTP sink when we send media: reports are SRs with its counts and its SSRC. */
  sink?: RTCPSenderSide;
  /** The RTP source when we receive media: reports carry its reception statistics. */
  source?: RTCPReceiverSide;
  /** Our canonical name (SDES CNAME), conventionally `user@host`. */
  cname: string;
  /** Our SSRC when there is no sink (default: random). */
  ssrc?: number;
  /** Session bandwidth in kbit/s; RTCP gets 5 % of it (RFC 3550 §6.2). Default 500. */
  totalSessionBandwidthKbps?: number;
  /**
   * Emit `'timeout'` (and call {@link onTimeout}) when no valid RTCP arrives for this many µs.
   * Omit for no liveness check.
   */
  livenessTimeoutUs?: number;
  /** Called along with the `'timeout'` event. */
  onTimeout?: () => void;
  /**
   * Upper bound on the report interval in µs. RFC 3550's randomised interval reaches ~6.2 s for a
   * 5 s minimum; some cameras drop a client whose RRs are more than 5 s apart, so a client may
   * pass 5 000 000 here. Default: no bound.
   */
  maxIntervalUs?: number;
  /** Uniform random numbers in [0, 1) for the interval randomisation (tests fix it). */
  random?: () => number;
}

/** A reception report about our stream, as one receiver sent it, in friendly units. */
export interface RTCPReceptionReport {
  /** SSRC of the receiver that sent the report. */
  readonly reporterSSRC: number;
  /** SSRC the report is about (ours). */
  readonly sourceSSRC: number;
  /** Fraction of packets lost since the receiver's previous report, 0–1. */
  readonly fractionLost: number;
  /** Cumulative packets lost (may be negative with duplicates). */
  readonly cumulativeLost: number;
  /** Extended highest sequence number the receiver has seen. */
  readonly extendedHighestSeq: number;
  /** Interarrival jitter in RTP timestamp units. */
  readonly jitter: number;
  /** Interarrival jitter in seconds (needs our sink's clock rate; `undefined` without a sink). */
  readonly jitterSeconds: number | undefined;
  /** Round-trip time in seconds from LSR/DLSR against our own SRs, `undefined` when unknown. */
  readonly rttSeconds: number | undefined;
  /** Scheduler time of arrival (µs). */
  readonly arrivalUs: number;
  /**
   * Where the report came from, as the transport's `'packet'` event said (e.g. the UDP address or
   * the interleaved channel), so a server sharing one stream can tell its clients apart.
   */
  readonly from: unknown;
  /** The block as on the wire. */
  readonly block: RTCPReportBlock;
}

/** A sender report received. */
export interface RTCPSenderInfo {
  readonly ssrc: number;
  readonly ntp: NTPTimestamp;
  /** {@link ntp} as µs since the Unix epoch. */
  readonly wallClockUs: number;
  readonly rtpTimestamp: number;
  readonly packetCount: number;
  readonly octetCount: number;
  /** Scheduler time of arrival (µs). */
  readonly arrivalUs: number;
}

/** A BYE received. */
export interface RTCPByeInfo {
  readonly ssrcs: readonly number[];
  readonly reason?: string;
  /** Where the BYE came from (see {@link RTCPReceptionReport.from}). */
  readonly from: unknown;
}

/** Events of {@link RTCPInstance}. */
export interface RTCPInstanceEvents {
  /** A report block about our SSRC (RR or the blocks of an SR). */
  rr: [report: RTCPReceptionReport];
  /** A sender report. */
  sr: [info: RTCPSenderInfo];
  /** A source description chunk. */
  sdes: [chunk: RTCPSDESChunk];
  bye: [info: RTCPByeInfo];
  app: [packet: RTCPApp];
  /** No valid RTCP for the liveness timeout. */
  timeout: [];
  /** An RTCP packet we sent: the packets and their serialized bytes. */
  sent: [packets: readonly RTCPPacket[], bytes: Uint8Array];
  /** A received packet did not parse (it is otherwise ignored). */
  malformed: [err: DorsvrError];
  close: [];
}

const RTCP_MIN_TIME_US = 5_000_000;
const COMPENSATION = Math.E - 1.5; // 1.21828: RFC 3550 A.7, makes the mean interval right
const IP_UDP_OVERHEAD = 28;
const MAX_REMEMBERED_SRS = 16;
const MAX_MEMBERS = 1000;

/**
 * live555's RTCPInstance: the RTCP side of one RTP stream. It sends an SR (when it has a sink) or
 * an RR (when only receiving) plus SDES CNAME on the RFC 3550 §6.3 schedule — 5 s minimum (halved
 * before the first report), randomised over [0.5, 1.5] and divided by e − 3/2 — and a BYE on
 * {@link close}. It parses what arrives into typed events: `'rr'` with loss, jitter and round-trip
 * time for each receiver of our stream, `'sr'` (also fed to the source for wall-clock sync and
 * LSR/DLSR), `'sdes'`, `'bye'`, `'app'`; and it raises `'timeout'` when nothing arrives for the
 * liveness timeout (servers treat RTCP RR as a keep-alive). All timing is on the scheduler.
 */
export class RTCPInstance extends EventEmitter<RTCPInstanceEvents> {
  readonly scheduler: TaskScheduler;
  /** Our SDES CNAME. */
  readonly cname: string;
  /** Our SSRC (the sink's when there is one). */
  readonly ssrc: number;

  readonly #transport: RTCPTransport;
  readonly #sink: RTCPSenderSide | undefined;
  readonly #source: RTCPReceiverSide | undefined;
  readonly #rtcpBandwidth: number; // octets per second
  readonly #livenessTimeoutUs: number | undefined;
  readonly #onTimeout: (() => void) | undefined;
  readonly #random: () => number;
  readonly #maxIntervalUs: number;
  readonly #onPacket = (data: Uint8Array, from?: unknown): void => this.#handleIncoming(data, this.scheduler.now(), from);
  readonly #onReportTimer = (): void => this.#reportTimerFired();
  readonly #onLivenessTimer = (): void => this.#livenessExpired();

  #closed = false;
  #initial = true;
  #reportTimer: TaskToken = 0;
  #livenessTimer: TaskToken = 0;
  /** Time of the last report sent (tp). */
  #lastSentUs: number;
  #averageSize: number;
  /** Remote participants: SSRC → was it a sender. */
  readonly #members = new Map<number, boolean>();
  /** Middle-32 NTP of our recent SRs → scheduler time sent. */
  readonly #sentSRs = new Map<number, number>();
  readonly #lastReports = new Map<number, RTCPReceptionReport>();
  readonly #cnames = new Map<number, string>();

  /** Compound reports sent (BYE included). */
  reportsSent = 0;
  /** Valid RTCP compound packets received. */
  packetsReceived = 0;
  /** Received packets that did not parse. */
  malformedPackets = 0;

  constructor(options: RTCPInstanceOptions) {
    super();
    this.scheduler = options.scheduler ?? defaultScheduler();
    this.cname = options.cname;
    this.#transport = options.rtcpInterface;
    this.#sink = options.sink;
    this.#source = options.source;
    this.ssrc = (options.sink?.ssrc ?? options.ssrc ?? randomBytes(4).readUInt32BE(0)) >>> 0;
    this.#rtcpBandwidth = ((options.totalSessionBandwidthKbps ?? 500) * 1000) / 8 * 0.05;
    this.#livenessTimeoutUs = options.livenessTimeoutUs;
    this.#onTimeout = options.onTimeout;
    this.#random = options.random ?? Math.random;
    this.#maxIntervalUs = options.maxIntervalUs ?? Infinity;
    this.#lastSentUs = this.scheduler.now();
    // Initial estimate of a compound packet's size: an RR with one block plus SDES, with headers.
    this.#averageSize = 8 + 24 + 12 + new TextEncoder().encode(this.cname).length + IP_UDP_OVERHEAD;
    this.#transport.on('packet', this.#onPacket);
    this.#reportTimer = this.scheduler.scheduleDelayedTask(this.#computeIntervalUs(), this.#onReportTimer);
    this.noteLiveness();
  }

  /** True after {@link close}. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Participants known, ourselves included. */
  get members(): number {
    return this.#members.size + 1;
  }

  /** Participants known to send, ourselves included when we have a sink that sent. */
  get senders(): number {
    let n = this.#weSent() ? 1 : 0;
    for (const sender of this.#members.values()) if (sender) n++;
    return n;
  }

  /** Average compound RTCP packet size in octets, IP/UDP headers included (RFC 3550 avg_rtcp_size). */
  get averageRTCPSize(): number {
    return this.#averageSize;
  }

  /** The last reception report from each receiver of our stream, by reporter SSRC. */
  get lastReceiverReports(): ReadonlyMap<number, RTCPReceptionReport> {
    return this.#lastReports;
  }

  /** CNAMEs heard in SDES packets, by SSRC. */
  get cnames(): ReadonlyMap<number, string> {
    return this.#cnames;
  }

  #weSent(): boolean {
    return this.#sink !== undefined && this.#sink.packetCount > 0;
  }

  /** The RFC 3550 A.7 report interval in µs, randomised. */
  #computeIntervalUs(): number {
    const members = this.members;
    const senders = this.senders;
    let bandwidth = this.#rtcpBandwidth;
    let n = members;
    if (senders <= members * 0.25) {
      if (this.#weSent()) {
        bandwidth *= 0.25;
        n = senders;
      } else {
        bandwidth *= 0.75;
        n -= senders;
      }
    }
    const minUs = this.#initial ? RTCP_MIN_TIME_US / 2 : RTCP_MIN_TIME_US;
    let t = bandwidth > 0 ? ((this.#averageSize * n) / bandwidth) * 1_000_000 : minUs;
    if (t < minUs) t = minUs;
    t *= this.#random() + 0.5;
    return Math.round(Math.min(t / COMPENSATION, this.#maxIntervalUs));
  }

  #reportTimerFired(): void {
    this.#reportTimer = 0;
    if (this.#closed) return;
    // Timer reconsideration (RFC 3550 §6.3.6): the group may have grown since we scheduled.
    const now = this.scheduler.now();
    const interval = this.#computeIntervalUs();
    if (!this.#initial && this.#lastSentUs + interval > now) {
      this.#reportTimer = this.scheduler.scheduleDelayedTask(this.#lastSentUs + interval - now, this.#onReportTimer);
      return;
    }
    this.sendReport();
  }

  /** Build the report (SR or RR) and SDES for now. */
  #buildReport(): RTCPPacket[] {
    const now = this.scheduler.now();
    const blocks = this.#source?.makeReportBlocks(now).slice(0, 31) ?? [];
    const packets: RTCPPacket[] = [];
    const sink = this.#sink;
    if (sink !== undefined && this.#weSent()) {
      const ntp = ntpFromUnixMicros(this.scheduler.wallClockUs());
      packets.push({
        type: 'sr',
        ssrc: this.ssrc,
        ntp,
        rtpTimestamp: sink.rtpTimestampAt(now) >>> 0,
        packetCount: sink.packetCount >>> 0,
        octetCount: sink.octetCount % 4_294_967_296,
        reports: blocks,
      });
      this.#sentSRs.set(ntpMiddle32(ntp), now);
      if (this.#sentSRs.size > MAX_REMEMBERED_SRS) this.#sentSRs.delete(this.#sentSRs.keys().next().value!);
    } else {
      packets.push({ type: 'rr', ssrc: this.ssrc, reports: blocks });
    }
    packets.push({ type: 'sdes', chunks: [{ ssrc: this.ssrc, items: [{ type: SDES_CNAME, value: this.cname }] }] });
    return packets;
  }

  #send(packets: RTCPPacket[]): void {
    let bytes: Uint8Array;
    try {
      bytes = serializeRTCP(packets);
    } catch (err) {
      // Only a CNAME or reason over 255 bytes can get here; say so instead of crashing the timer.
      debug('cannot serialize report: %s', (err as Error).message);
      return;
    }
    this.#averageSize = (bytes.length + IP_UDP_OVERHEAD) / 16 + (this.#averageSize * 15) / 16;
    this.reportsSent++;
    try {
      this.#transport.send([bytes]);
    } catch (err) {
      debug('sending RTCP failed: %s', (err as Error).message);
    }
    this.emit('sent', packets, bytes);
  }

  /**
   * Send a report now (SR or RR, plus SDES) and restart the interval from here. The timer calls
   * it; call it yourself e.g. right after PLAY.
   */
  sendReport(): void {
    if (this.#closed) return;
    this.#send(this.#buildReport());
    this.#lastSentUs = this.scheduler.now();
    this.#initial = false;
    this.#reportTimer = this.scheduler.rescheduleDelayedTask(this.#reportTimer, this.#computeIntervalUs(), this.#onReportTimer);
  }

  /** Re-arm the liveness timer: call it for other signs of life (RTP, an RTSP keep-alive). */
  noteLiveness(): void {
    if (this.#closed || this.#livenessTimeoutUs === undefined) return;
    this.#livenessTimer = this.scheduler.rescheduleDelayedTask(this.#livenessTimer, this.#livenessTimeoutUs, this.#onLivenessTimer);
  }

  #livenessExpired(): void {
    this.#livenessTimer = 0;
    if (this.#closed) return;
    debug('no RTCP for %d µs', this.#livenessTimeoutUs);
    this.emit('timeout');
    this.#onTimeout?.();
  }

  /** Feed one received compound RTCP packet (what the transport's `'packet'` event does). */
  injectPacket(data: Uint8Array, arrivalUs: number = this.scheduler.now(), from?: unknown): void {
    this.#handleIncoming(data, arrivalUs, from);
  }

  #handleIncoming(data: Uint8Array, arrivalUs: number, from: unknown): void {
    if (this.#closed) return;
    let packets: RTCPPacket[];
    try {
      packets = parseRTCP(data);
    } catch (err) {
      if (!isDorsvrError(err)) throw err;
      this.malformedPackets++;
      debug('malformed RTCP: %s', err.message);
      this.emit('malformed', err);
      return;
    }
    this.packetsReceived++;
    this.#averageSize = (data.length + IP_UDP_OVERHEAD) / 16 + (this.#averageSize * 15) / 16;
    this.noteLiveness();
    for (const p of packets) {
      switch (p.type) {
        case 'sr': {
          this.#noteMember(p.ssrc, true);
          const info: RTCPSenderInfo = {
            ssrc: p.ssrc,
            ntp: p.ntp,
            wallClockUs: unixMicrosFromNTP(p.ntp),
            rtpTimestamp: p.rtpTimestamp,
            packetCount: p.packetCount,
            octetCount: p.octetCount,
            arrivalUs,
          };
          this.#source?.noteSenderReport(p.ssrc, p.ntp, p.rtpTimestamp, arrivalUs);
          this.emit('sr', info);
          this.#handleBlocks(p.ssrc, p.reports, arrivalUs, from);
          break;
        }
        case 'rr':
          this.#noteMember(p.ssrc, false);
          this.#handleBlocks(p.ssrc, p.reports, arrivalUs, from);
          break;
        case 'sdes':
          for (const chunk of p.chunks) {
            const cname = chunk.items.find((i) => i.type === SDES_CNAME);
            if (cname !== undefined && (this.#cnames.has(chunk.ssrc) || this.#cnames.size < MAX_MEMBERS)) {
              this.#cnames.set(chunk.ssrc, cname.value);
            }
            this.emit('sdes', chunk);
          }
          break;
        case 'bye': {
          for (const s of p.ssrcs) {
            this.#members.delete(s);
            this.#lastReports.delete(s);
            this.#cnames.delete(s);
            this.#source?.handleBye?.(s);
          }
          const info: RTCPByeInfo =
            p.reason === undefined ? { ssrcs: p.ssrcs, from } : { ssrcs: p.ssrcs, reason: p.reason, from };
          this.emit('bye', info);
          break;
        }
        case 'app':
          this.emit('app', p);
          break;
        case 'unknown':
          break;
      }
    }
  }

  #noteMember(ssrc: number, sender: boolean): void {
    if (ssrc === this.ssrc) return;
    if (this.#members.has(ssrc) || this.#members.size < MAX_MEMBERS) this.#members.set(ssrc, sender || this.#members.get(ssrc) === true);
  }

  #handleBlocks(reporter: number, blocks: readonly RTCPReportBlock[], arrivalUs: number, from: unknown): void {
    for (const block of blocks) {
      if (block.ssrc !== this.ssrc) continue;
      let rttSeconds: number | undefined;
      if (block.lastSR !== 0) {
        const sentUs = this.#sentSRs.get(block.lastSR);
        if (sentUs !== undefined) {
          const rttUs = arrivalUs - sentUs - (block.delaySinceLastSR * 1_000_000) / 65536;
          rttSeconds = Math.max(0, rttUs) / 1_000_000;
        }
      }
      const freq = this.#sink?.rtpTimestampFrequency;
      const report: RTCPReceptionReport = {
        reporterSSRC: reporter,
        sourceSSRC: block.ssrc,
        fractionLost: block.fractionLost / 256,
        cumulativeLost: block.cumulativeLost,
        extendedHighestSeq: block.extendedHighestSeq,
        jitter: block.jitter,
        jitterSeconds: freq ? block.jitter / freq : undefined,
        rttSeconds,
        arrivalUs,
        from,
        block,
      };
      if (this.#lastReports.has(reporter) || this.#lastReports.size < MAX_MEMBERS) this.#lastReports.set(reporter, report);
      this.emit('rr', report);
    }
  }

  /**
   * Send a BYE (after a last report, as RFC 3550 requires a compound packet to start with one),
   * stop the timers and detach from the transport. Idempotent.
   */
  close(reason?: string): void {
    if (this.#closed) return;
    const packets = this.#buildReport();
    packets.push(reason === undefined ? { type: 'bye', ssrcs: [this.ssrc] } : { type: 'bye', ssrcs: [this.ssrc], reason });
    this.#send(packets);
    this.#closed = true;
    this.scheduler.unscheduleDelayedTask(this.#reportTimer);
    this.scheduler.unscheduleDelayedTask(this.#livenessTimer);
    this.#reportTimer = 0;
    this.#livenessTimer = 0;
    this.#transport.off('packet', this.#onPacket);
    this.emit('close');
    this.removeAllListeners();
  }
}
