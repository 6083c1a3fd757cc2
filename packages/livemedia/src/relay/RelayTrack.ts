import { randomBytes } from 'node:crypto';
import createDebug from 'debug';
import { EventEmitter } from 'eventemitter3';
import { DorsvrError, defaultScheduler, type TaskScheduler, type TaskToken, limitOption } from '@dorsvr/scheduler';
import type { NTPTimestamp } from '../rtcp/NTPTime.js';
import { parseRTCP, type RTCPReportBlock } from '../rtcp/RTCPPacket.js';
import { RTCPInstance, type RTCPReceiverSide, type RTCPReceptionReport, type RTCPTransport } from '../rtcp/RTCPInstance.js';
import { RTPReceptionStats } from '../rtpsource/RTPReceptionStats.js';
import type { SDPMediaDescription } from '../sdp/SDPTypes.js';
import { ServerMediaStream, type ClientTransport, type StreamStartInfo } from '../server/ServerMediaSubsession.js';
import type { PortRange } from '../server/StreamTransport.js';
import { checkPortRange } from '../server/DefaultStreamTransport.js';
import { h264KeyFramePrefix, h265KeyFramePrefix, isH264KeyFrameStart, isH265KeyFrameStart } from './keyFrameStart.js';
import { RelayParameterSets } from './RelayParameterSets.js';
import { RelayReader } from './RelayReader.js';
import { RelayServerMediaSubsession } from './RelayServerMediaSubsession.js';
import { RelaySocketPair } from './RelaySocketPair.js';

const debug = createDebug('dorsvr:livemedia:relay');

/** Readers per track unless {@link RelayTrackOptions.maxReaders} says otherwise. */
export const DEFAULT_RELAY_MAX_READERS = 1000;
/** How long a reader waits for a key frame before it is started anyway (10 s). */
export const DEFAULT_RELAY_KEY_FRAME_WAIT_US = 10_000_000;
/** Packets before a key frame in its access unit (SEI, AUD) kept for the readers that start at it: at most this many… */
export const RELAY_MAX_PREFIX_PACKETS = 32;
/** …and this many bytes; an access unit with more starts its late readers at the key frame's slice. */
export const RELAY_MAX_PREFIX_BYTES = 65536;
/** Delay between {@link RelayTrack.end} and the readers' RTCP BYE (500 ms). */
export const DEFAULT_RELAY_BYE_DELAY_US = 500_000;

/** Options of a {@link RelayTrack} (and of every track of a `RelayServerMediaSession`). */
export interface RelayTrackOptions {
  /** RTCP timers, arrival times, the readers' start, the BYE delay: all on this scheduler (default: the shared `defaultScheduler()`). */
  scheduler?: TaskScheduler;
  /** RTCP CNAME in our reports, to the publisher and to readers (default "dorsvr"). */
  cname?: string;
  /** First UDP port tried for a track's server port pair (default 6970). */
  portBase?: number;
  /**
   * UDP ports for the track's server port pair (both ports inside; a bad range throws
   * `ERR_SERVER_PORT_RANGE`). Default: the serving RTSP server's `rtpPortRange` (handed over by
   * `applyServerDefaults`), else from `portBase` up. No free pair: the reader's SETUP gets 453.
   */
  portRange?: PortRange;
  /**
   * Readers of one track at most (default {@link DEFAULT_RELAY_MAX_READERS}); a SETUP beyond is
   * refused with 453 Not Enough Bandwidth. Anything but a positive integer throws `ERR_SERVER_OPTION`.
   */
  maxReaders?: number;
  /**
   * H.264/H.265: how long (µs) a reader waits for a key frame before it is started at the next
   * packet anyway (default {@link DEFAULT_RELAY_KEY_FRAME_WAIT_US}; 0 waits forever). Anything but a finite
   * number ≥ 0 throws `ERR_SERVER_OPTION`.
   */
  keyFrameWaitUs?: number;
  /**
   * Delay (µs) between {@link RelayTrack.end} and the readers' RTCP BYE, so that the BYE (on the
   * RTCP port) cannot overtake the last RTP packets (default {@link DEFAULT_RELAY_BYE_DELAY_US}). Anything but a finite number ≥ 0 throws
   * `ERR_SERVER_OPTION`.
   */
  byeDelayUs?: number;
  /**
   * Send receiver reports (and the BYE) to the publisher as `'rtcpToPublisher'` (default true).
   * Off for tracks fed by a local source, which has no one to report to.
   */
  publisherReports?: boolean;
}

/** Events of a {@link RelayTrack}. */
export interface RelayTrackEvents {
  /**
   * An RTCP compound packet for the publisher: a receiver report (every ~5 s) and, once the track
   * ended, a last report with a BYE. The bytes are the listener's to keep.
   */
  rtcpToPublisher: [packet: Uint8Array];
  /** The publisher sent an RTCP BYE for the SSRC being relayed (the track is not ended by it). */
  publisherBye: [];
  /** {@link RelayTrack.end} ran (the readers' BYE follows after the BYE delay). */
  end: [];
}

/** Counters of what a {@link RelayTrack} received. */
export interface RelayTrackStats {
  /** Well-formed RTP packets received (and relayed). */
  packetsReceived: number;
  /** Their payload octets. */
  octetsReceived: number;
  /** RTP packets dropped as malformed (short, not version 2, bad CSRC/extension/padding length). */
  malformedPackets: number;
  /** RTP packets dropped because their payload type is not one of the `m=` line's. */
  unexpectedPayloadTypePackets: number;
  /** RTCP packets received from the publisher (RTCP multiplexed on the RTP channel included). */
  rtcpPacketsReceived: number;
  /** Times the publisher's SSRC changed (readers' streams are continued across it). */
  ssrcChanges: number;
}

const TWO_32 = 4_294_967_296;

/** RTP clock rate of an `m=` section: its first payload type's rtpmap, else 90 kHz video / 8 kHz. */
function clockRateOf(media: SDPMediaDescription): number {
  const pt = media.payloadTypes[0];
  const rate = media.rtpmaps.find((m) => m.payloadType === pt)?.clockRate;
  if (rate !== undefined && Number.isFinite(rate) && rate > 0) return rate;
  return media.type === 'audio' ? 8000 : 90_000;
}

interface FamilyPair {
  promise: Promise<RelaySocketPair>;
  pair: RelaySocketPair | undefined;
  /** Readers using it, plus SETUPs waiting for it. */
  users: number;
}

/**
 * One track of a relayed stream (one `m=` section of the publisher's SDP): RTP packets pushed in
 * ({@link pushRTP}) are written once to every reader, each with its own 12-byte header (its SSRC,
 * its sequence numbers and timestamps: the publisher's plus per-reader offsets) and the packet's
 * bytes after the fixed header (CSRCs, extension, payload, padding) as the same view for everyone:
 * one scatter/gather send per reader, no copy. UDP readers are sent from one server port pair per
 * address family, interleaved readers through their RTSP connection.
 *
 * A reader joining an H.264/H.265 stream starts at the next key frame, its parameter sets (from
 * the SDP or learnt in-band) sent first with that frame's timestamp; readers of any other codec
 * start at the next packet. `RTP-Info` states the sequence number and timestamp of exactly the
 * first packet a reader gets.
 *
 * RTCP: receiver reports to the publisher from the reception statistics of what was pushed
 * ({@link RelayTrackEvents.rtcpToPublisher}); sender reports to each reader with its counts and
 * the publisher's NTP↔RTP mapping (from its last SR, else from arrival times) moved to the
 * reader's timestamp base, so that tracks stay in sync; readers' receiver reports become their
 * stream's statistics and signs of life.
 *
 * Readers reach the track through {@link subsession}, the `ServerMediaSubsession` an RTSP server
 * serves; the methods marked "subsession's" are what it calls.
 */
export class RelayTrack extends EventEmitter<RelayTrackEvents> {
  /** The publisher's `m=` section. */
  readonly media: SDPMediaDescription;
  /** What readers SETUP. */
  readonly subsession: RelayServerMediaSubsession;
  readonly scheduler: TaskScheduler;
  /** RTP clock rate (from the rtpmap). */
  readonly clockRate: number;
  /** The parameter sets sent to late readers first (H.264/H.265). */
  readonly parameterSets: RelayParameterSets;
  /** What was received. */
  readonly stats: RelayTrackStats = {
    packetsReceived: 0,
    octetsReceived: 0,
    malformedPackets: 0,
    unexpectedPayloadTypePackets: 0,
    rtcpPacketsReceived: 0,
    ssrcChanges: 0,
  };

  readonly #cname: string;
  readonly #portBase: number | undefined;
  readonly #portRange: PortRange | undefined;
  #serverPortRange: PortRange | undefined;
  readonly #maxReaders: number;
  readonly #keyFrameWaitUs: number;
  readonly #byeDelayUs: number;
  /** Payload types of the `m=` line, as a lookup table. */
  readonly #acceptPT = new Uint8Array(128);
  /** The H.264/H.265 payload type (key frames are looked for in its packets), or -1. */
  readonly #h26xPT: number;
  readonly #h265: boolean;

  readonly #readers = new Map<ServerMediaStream, RelayReader>();
  /** Readers playing (waiting or live), the hot loop's array. */
  readonly #playing: RelayReader[] = [];
  #udpPlaying = 0;
  readonly #byRTCPAddress = new Map<string, RelayReader>();
  readonly #pendingStart = new Map<RelayReader, TaskToken>();
  readonly #pairs: { udp4: FamilyPair | undefined; udp6: FamilyPair | undefined } = { udp4: undefined, udp6: undefined };
  /**
   * Copies of the payloads of the current access unit (RTP timestamp {@link #prefixTs}) that may
   * precede a key frame there (SEI, AUD; see `h264KeyFramePrefix`), kept whether or not a reader
   * waits yet and forgotten at its first slice. A waiting reader that starts at the key frame gets
   * them with the parameter sets (an AUD first, as an access unit begins). Bounded by
   * {@link RELAY_MAX_PREFIX_PACKETS} and {@link RELAY_MAX_PREFIX_BYTES}.
   */
  readonly #prefix: Uint8Array[] = [];
  #prefixTs = -1;
  #prefixBytes = 0;
  /** The access unit of {@link #prefixTs} had more prefix than the bounds: none of it is kept. */
  #prefixFull = false;
  /** The packet array handed to each send: [reader header, bytes after the fixed header]. */
  readonly #chunks: Uint8Array[] = [new Uint8Array(0), new Uint8Array(0)];

  // The publisher's stream.
  #ssrc: number | undefined;
  /** {@link newSource} was called: the next packet re-bases the readers whatever its SSRC. */
  #newSourcePending = false;
  #receptionStats: RTPReceptionStats | undefined;
  /** Highest sequence number seen, its timestamp and arrival time. */
  #lastSeq = 0;
  #lastTs = 0;
  #lastArrivalUs = 0;
  #havePacket = false;
  /** The publisher's last SR for the current SSRC: its RTP timestamp and our arrival time. */
  #srRtp = 0;
  #srArrivalUs = 0;
  #haveSR = false;
  #earlySR: { ssrc: number; ntp: NTPTimestamp; rtpTimestamp: number; arrivalUs: number } | undefined;

  readonly #publisherRTCP: RTCPInstance | undefined;
  readonly #receiver: RTCPReceiverSide;
  #malformedRTCP = 0;
  #ended = false;
  #byeTask: TaskToken = 0;
  #closed = false;

  /** The readers' RTCP reads this (a method made once, not a closure per reader). */
  readonly #readerTimestampAt = (reader: RelayReader, nowUs: number): number =>
    ((this.#publisherTimestampAt(nowUs) ?? 0) + reader.tsOffset) >>> 0;

  constructor(media: SDPMediaDescription, options: RelayTrackOptions = {}) {
    super();
    if (!/^RTP\//i.test(media.protocol) || media.payloadTypes.length === 0) {
      throw new DorsvrError('ERR_RELAY_SDP', `cannot relay m=${media.type} ${media.protocol}: not an RTP stream`, { status: 400 });
    }
    this.media = media;
    this.scheduler = options.scheduler ?? defaultScheduler();
    this.clockRate = clockRateOf(media);
    this.parameterSets = RelayParameterSets.fromMedia(media);
    this.#cname = options.cname ?? 'dorsvr';
    this.#portBase = options.portBase;
    this.#portRange = options.portRange === undefined ? undefined : checkPortRange(options.portRange);
    this.#maxReaders = limitOption(options.maxReaders, DEFAULT_RELAY_MAX_READERS, 'maxReaders', 'ERR_SERVER_OPTION');
    this.#keyFrameWaitUs = limitOption(options.keyFrameWaitUs, DEFAULT_RELAY_KEY_FRAME_WAIT_US, 'keyFrameWaitUs', 'ERR_SERVER_OPTION', 'duration');
    this.#byeDelayUs = limitOption(options.byeDelayUs, DEFAULT_RELAY_BYE_DELAY_US, 'byeDelayUs', 'ERR_SERVER_OPTION', 'duration');
    for (const pt of media.payloadTypes) if (pt >= 0 && pt < 128) this.#acceptPT[pt] = 1;
    this.#h26xPT = this.parameterSets.codec === 'other' ? -1 : media.payloadTypes[0]!;
    this.#h265 = this.parameterSets.codec === 'h265';

    const receiver: RTCPReceiverSide = (this.#receiver = {
      makeReportBlocks: (nowUs: number): RTCPReportBlock[] => {
        const s = this.#receptionStats;
        return s !== undefined && s.packetsReceived > 0 ? [s.makeReportBlock(nowUs)] : [];
      },
      noteSenderReport: (ssrc: number, ntp: NTPTimestamp, rtpTimestamp: number, arrivalUs: number): void => {
        if (this.#ssrc === undefined) {
          // An SR before the first RTP packet: kept for the SSRC it names.
          this.#earlySR = { ssrc, ntp, rtpTimestamp, arrivalUs };
          return;
        }
        if (ssrc === this.#ssrc) this.#noteSR(ntp, rtpTimestamp, arrivalUs);
      },
      handleBye: (ssrc: number): void => {
        if (ssrc === this.#ssrc) this.emit('publisherBye');
      },
    });
    const toPublisher: RTCPTransport = {
      send: (chunks: readonly Uint8Array[]): void => {
        this.emit('rtcpToPublisher', chunks.length === 1 ? chunks[0]! : concat(chunks));
      },
      on: () => undefined,
      off: () => undefined,
    };
    this.#publisherRTCP = options.publisherReports === false ? undefined : new RTCPInstance({
      scheduler: this.scheduler,
      rtcpInterface: toPublisher,
      source: receiver,
      cname: this.#cname,
      // Some publishers drop a receiver whose reports are more than 5 s apart.
      maxIntervalUs: 5_000_000,
    });
    this.subsession = new RelayServerMediaSubsession(this);
  }

  #noteSR(ntp: NTPTimestamp, rtpTimestamp: number, arrivalUs: number): void {
    this.#receptionStats?.noteSenderReport(ntp, rtpTimestamp, arrivalUs);
    this.#srRtp = rtpTimestamp >>> 0;
    this.#srArrivalUs = arrivalUs;
    this.#haveSR = true;
  }

  /** Scheduler time (µs) the last RTP packet from the publisher arrived, if any: a sign of life. */
  get lastPacketArrivalUs(): number | undefined {
    return this.#havePacket ? this.#lastArrivalUs : undefined;
  }

  /** True once {@link end} ran. */
  get ended(): boolean {
    return this.#ended;
  }

  /** The publisher's SSRC being relayed, once a packet arrived. */
  get publisherSSRC(): number | undefined {
    return this.#ssrc;
  }

  /** Reception statistics of the publisher's current SSRC (what the RRs to it say). */
  get receptionStats(): RTPReceptionStats | undefined {
    return this.#receptionStats;
  }

  /** Every reader set up (playing or not). */
  get readers(): readonly RelayReader[] {
    return [...this.#readers.values()];
  }

  /** The publisher's RTP timestamp at scheduler time `nowUs`: from its last SR, else from the last packet's arrival. */
  #publisherTimestampAt(nowUs: number): number | undefined {
    if (this.#haveSR) return (this.#srRtp + Math.round(((nowUs - this.#srArrivalUs) * this.clockRate) / 1e6)) >>> 0;
    if (this.#havePacket) return (this.#lastTs + Math.round(((nowUs - this.#lastArrivalUs) * this.clockRate) / 1e6)) >>> 0;
    return undefined;
  }

  /**
   * One RTP packet from the publisher (a UDP datagram or an interleaved frame's payload). The
   * relay keeps a view of it for as long as a send may hold it: pass a buffer you do not reuse.
   * Malformed packets and packets of another payload type are counted ({@link stats}) and dropped;
   * RTCP multiplexed on the RTP channel (RFC 5761) goes to {@link pushRTCP}. Never throws.
   */
  pushRTP(packet: Uint8Array): void {
    if (this.#ended) return;
    const n = packet.length;
    const b0 = packet[0]!;
    if (n < 12 || (b0 & 0xc0) !== 0x80) {
      this.stats.malformedPackets++;
      return;
    }
    const b1 = packet[1]!;
    if (b1 >= 192 && b1 <= 223) {
      this.pushRTCP(packet);
      return;
    }
    // Header length (CSRCs, extension) and padding, checked against the packet; only the fixed
    // 12 bytes are rewritten per reader, the rest passes as it came.
    let hl = 12 + (b0 & 0x0f) * 4;
    if ((b0 & 0x10) !== 0) {
      if (hl + 4 > n) {
        this.stats.malformedPackets++;
        return;
      }
      hl += 4 + ((packet[hl + 2]! << 8) | packet[hl + 3]!) * 4;
    }
    let pad = 0;
    if ((b0 & 0x20) !== 0) {
      pad = packet[n - 1]!;
      if (pad === 0) hl = n + 1;
    }
    if (hl + pad > n) {
      this.stats.malformedPackets++;
      return;
    }
    const pt = b1 & 0x7f;
    if (this.#acceptPT[pt] === 0) {
      this.stats.unexpectedPayloadTypePackets++;
      return;
    }
    const seq = (packet[2]! << 8) | packet[3]!;
    const ts = ((packet[4]! << 24) | (packet[5]! << 16) | (packet[6]! << 8) | packet[7]!) >>> 0;
    const ssrc = ((packet[8]! << 24) | (packet[9]! << 16) | (packet[10]! << 8) | packet[11]!) >>> 0;
    const now = this.scheduler.now();
    if (ssrc !== this.#ssrc || this.#newSourcePending) this.#newPublisherSSRC(ssrc, seq, ts, now);
    const payloadLength = n - hl - pad;
    this.#receptionStats!.noteIncomingPacket(seq, ts, now, payloadLength);
    this.stats.packetsReceived++;
    this.stats.octetsReceived += payloadLength;
    // A late packet (reordered: older than the highest seen) must not reach a reader that started
    // after it, whose RTP-Info promised a later first sequence number.
    const late = ((this.#lastSeq - seq) & 0xffff) - 1 < 0x7fff;
    if (!late) {
      this.#lastSeq = seq;
      this.#lastTs = ts;
    }
    this.#lastArrivalUs = now;
    this.#havePacket = true;

    const h26x = pt === this.#h26xPT;
    let payload: Uint8Array | undefined;
    if (h26x) {
      payload = packet.subarray(hl, n - pad);
      this.parameterSets.learn(payload);
    }
    // What precedes a key frame in its access unit (SEI, AUD) is kept whoever listens now: a
    // reader whose wait begins between a key frame's SEI/AUD and its slice gets them too.
    const readers = this.#playing;
    if (readers.length === 0) {
      if (h26x) this.#notePrefix(payload!, ts);
      return;
    }
    const chunks = this.#chunks;
    chunks[1] = packet.subarray(12);
    // -1: not looked at yet; 0: not a start; 1: start here.
    let start = this.#h26xPT < 0 ? 1 : -1;
    for (let i = 0; i < readers.length; i++) {
      const r = readers[i]!;
      if (r.state !== 'live') {
        if (start < 0) {
          start = h26x && (this.#h265 ? isH265KeyFrameStart(payload!, this.parameterSets.donl) : isH264KeyFrameStart(payload!)) ? 1 : 0;
        }
        if (start === 0 && (this.#keyFrameWaitUs <= 0 || now - r.waitingSinceUs < this.#keyFrameWaitUs)) continue;
        this.#begin(r, pt, seq, ts, start === 1);
      } else if (late && r.packetCount < 0x7000 && ((seq - r.startPublisherSeq) & 0x8000) !== 0) {
        continue;
      }
      const h = r.header;
      const s = seq + r.seqOffset;
      const t = ts + r.tsOffset;
      h[0] = b0;
      h[1] = b1;
      h[2] = s >> 8;
      h[3] = s;
      h[4] = t >>> 24;
      h[5] = t >>> 16;
      h[6] = t >>> 8;
      h[7] = t;
      chunks[0] = h;
      r.sendRTP(chunks);
      r.packetCount++;
      r.octetCount += payloadLength;
    }
    if (h26x) this.#notePrefix(payload!, ts); // after the readers that started at it took the prefix
    // A send Node had to queue still holds its reader's header: those readers get fresh ones.
    if (this.#udpPlaying > 0) {
      const p4 = this.#pairs.udp4?.pair;
      const p6 = this.#pairs.udp6?.pair;
      if ((p4 !== undefined && p4.rtpSendQueued()) || (p6 !== undefined && p6.rtpSendQueued())) {
        for (const r of readers) if (r.udpSocket !== undefined) r.header = r.freshHeader();
      }
    }
  }

  /** Keep (or forget) `payload` as part of the prefix of the access unit of timestamp `ts` (see {@link #prefix}). */
  #notePrefix(payload: Uint8Array, ts: number): void {
    // (A key frame's start is a slice: kind 0.)
    const kind = this.#h265 ? h265KeyFramePrefix(payload, this.parameterSets.donl) : h264KeyFramePrefix(payload);
    if (kind === 0) {
      // A slice: the access unit so far is not a key frame's (or the key frame has just been sent).
      this.#clearPrefix();
      return;
    }
    if (ts !== this.#prefixTs) {
      this.#clearPrefix();
      this.#prefixTs = ts;
    }
    if (kind === 2 || this.#prefixFull) return;
    const type = this.#h265 ? (payload[0]! >> 1) & 0x3f : payload[0]! & 0x1f;
    if ((this.#h265 && type === 48 && !this.parameterSets.donl) || (!this.#h265 && type === 24)) {
      // An aggregate (parameter sets with the SEI, as ffmpeg sends them): its SEI/AUD units each
      // become a packet of their own; the relay sends its own parameter sets before them.
      let off = this.#h265 ? 2 : 1;
      while (off + 2 <= payload.length) {
        const size = (payload[off]! << 8) | payload[off + 1]!;
        off += 2;
        const unit = payload.subarray(off, off + size);
        off += size;
        const t = this.#h265 ? (unit[0]! >> 1) & 0x3f : unit[0]! & 0x1f;
        if ((this.#h265 ? t === 35 || t === 39 : t === 6 || t === 9) && !this.#keepPrefix(unit)) return;
      }
      return;
    }
    this.#keepPrefix(payload);
  }

  /** Keep a copy of one prefix payload; false (and nothing kept for this access unit) past the bounds. */
  #keepPrefix(payload: Uint8Array): boolean {
    if (this.#prefix.length >= RELAY_MAX_PREFIX_PACKETS || this.#prefixBytes + payload.length > RELAY_MAX_PREFIX_BYTES) {
      // Too much before the key frame: its readers start at the slice, as without a prefix.
      this.#prefix.length = 0;
      this.#prefixBytes = 0;
      this.#prefixFull = true;
      return false;
    }
    this.#prefix.push(new Uint8Array(payload)); // a copy (typed-array constructor: one memcpy)
    this.#prefixBytes += payload.length;
    return true;
  }

  #clearPrefix(): void {
    if (this.#prefixTs === -1) return; // already clear: every slice of a stream comes here
    this.#prefix.length = 0;
    this.#prefixBytes = 0;
    this.#prefixTs = -1;
    this.#prefixFull = false;
  }

  /**
   * Start a waiting reader at this packet: parameter sets first and, at a key frame, what came
   * before it in its access unit (SEI, AUD); then offsets so that it gets what RTP-Info said.
   */
  #begin(r: RelayReader, pt: number, seq: number, ts: number, keyStart = false): void {
    if (this.#h26xPT >= 0) {
      const prefix = keyStart && this.#prefixTs === ts ? this.#prefix : [];
      for (const ps of prefix.length === 0 ? this.parameterSets.list() : this.#firstAccessUnitHead(prefix)) {
        const h = r.freshHeader();
        const s = r.nextSeq;
        const t = r.startRtpTime;
        h[0] = 0x80;
        h[1] = pt;
        h[2] = s >> 8;
        h[3] = s;
        h[4] = t >>> 24;
        h[5] = t >>> 16;
        h[6] = t >>> 8;
        h[7] = t;
        r.sendRTP([h, ps]);
        r.packetCount++;
        r.octetCount += ps.length;
        r.nextSeq = (s + 1) & 0xffff;
      }
    }
    r.seqOffset = r.nextSeq - seq;
    r.tsOffset = (r.startRtpTime - ts) >>> 0;
    r.startPublisherSeq = seq;
    r.state = 'live';
  }

  /**
   * What a late reader gets before the key frame's slice: an access unit delimiter first (an
   * access unit begins with it, H.264 7.4.1.2.3, H.265 7.4.2.4.4), then the parameter sets, then
   * the rest of the prefix (SEI).
   */
  #firstAccessUnitHead(prefix: readonly Uint8Array[]): Uint8Array[] {
    const isAUD = (p: Uint8Array): boolean => (this.#h265 ? ((p[0]! >> 1) & 0x3f) === 35 : (p[0]! & 0x1f) === 9);
    return [...prefix.filter(isAUD), ...this.parameterSets.list(), ...prefix.filter((p) => !isAUD(p))];
  }

  /** A new publisher SSRC (first packet, or the publisher restarted): readers' streams go on from where they are. */
  #newPublisherSSRC(ssrc: number, seq: number, ts: number, now: number): void {
    const restart = this.#newSourcePending;
    this.#newSourcePending = false;
    if (restart && this.#h26xPT >= 0 && this.#ssrc !== undefined) {
      // A new source of H.264/H.265: live readers go on from where they are, but only at its key frame.
      const pubNow = this.#publisherTimestampAt(now) ?? ts;
      for (const r of this.#playing) {
        if (r.state !== 'live') continue;
        r.nextSeq = (this.#lastSeq + r.seqOffset + 1) & 0xffff;
        r.startRtpTime = (pubNow + r.tsOffset) >>> 0;
        r.state = 'waiting';
        r.waitingSinceUs = now;
      }
      // Paused readers resume from where their clock is, on the new source's timestamps.
      for (const r of this.#readers.values()) {
        if (r.state === 'idle' && r.packetCount > 0) r.tsOffset = (((pubNow + r.tsOffset) >>> 0) - ts + TWO_32) % TWO_32;
      }
      this.stats.ssrcChanges++;
    } else if (this.#ssrc !== undefined) {
      this.stats.ssrcChanges++;
      debug('publisher SSRC %s → %s', this.#ssrc.toString(16), ssrc.toString(16));
      const pubNow = this.#publisherTimestampAt(now) ?? ts;
      for (const r of this.#readers.values()) {
        if (r.state !== 'live' && r.packetCount === 0) continue;
        // Next packet: the sequence number after the reader's last, its timestamp where the reader's clock is now.
        const last = this.#lastSeq + r.seqOffset;
        r.seqOffset = last + 1 - seq;
        r.startPublisherSeq = seq;
        r.tsOffset = (((pubNow + r.tsOffset) >>> 0) - ts + TWO_32) % TWO_32;
      }
    }
    this.#ssrc = ssrc;
    this.#receptionStats = new RTPReceptionStats(ssrc, this.clockRate);
    this.#haveSR = false;
    const early = this.#earlySR;
    this.#earlySR = undefined;
    if (early !== undefined && early.ssrc === ssrc) this.#noteSR(early.ntp, early.rtpTimestamp, early.arrivalUs);
    this.#lastSeq = (seq - 1) & 0xffff;
    this.#lastTs = ts;
    this.#lastArrivalUs = now;
  }

  /**
   * The publisher restarted (a proxy's back-end session was set up again): the next RTP packet
   * begins a new source even when its SSRC is the old one, so its sequence numbers and timestamps
   * are not taken as a jump in the old stream. Readers go on as across an SSRC change (the
   * sequence number after their last, timestamps from where their clock is); H.264/H.265 readers
   * wait for the new source's key frame (sent after the parameter sets), as a new reader does.
   */
  newSource(): void {
    if (this.#ended) return;
    this.#newSourcePending = true;
  }

  /**
   * One RTCP compound packet from the publisher: its SRs give the NTP↔RTP mapping passed on to
   * readers, its BYE raises `'publisherBye'`. Malformed packets are counted by the track's RTCP
   * and dropped. Never throws.
   */
  pushRTCP(packet: Uint8Array): void {
    if (this.#ended) return;
    this.stats.rtcpPacketsReceived++;
    if (this.#publisherRTCP !== undefined) this.#publisherRTCP.injectPacket(packet);
    else this.#publisherRTCPWithoutReports(packet);
  }

  /** Without reports to the publisher, its SRs still give the mapping. */
  #publisherRTCPWithoutReports(packet: Uint8Array): void {
    let packets;
    try {
      packets = parseRTCP(packet);
    } catch {
      this.#malformedRTCP++;
      return;
    }
    const now = this.scheduler.now();
    for (const p of packets) {
      if (p.type === 'sr') this.#receiver.noteSenderReport(p.ssrc, p.ntp, p.rtpTimestamp, now);
      else if (p.type === 'bye') for (const s of p.ssrcs) this.#receiver.handleBye!(s);
    }
  }

  /** Malformed RTCP packets from the publisher. */
  get malformedRTCPPackets(): number {
    return this.#publisherRTCP?.malformedPackets ?? this.#malformedRTCP;
  }

  /** The UDP ports readers' port pairs come from: the track's own `portRange`, else the server's, else undefined (from `portBase` up). */
  get portRange(): PortRange | undefined {
    return this.#portRange ?? this.#serverPortRange;
  }

  /** The subsession's: the serving server's `rtpPortRange` (the track's own `portRange` wins). Pairs bound later take it. */
  setServerPortRange(range: PortRange | undefined): void {
    this.#serverPortRange = range;
  }

  // ----- the subsession's: readers -----

  /** The subsession's: set up one reader (SETUP). Binds the track's port pair for its family on first use. */
  async addReader(clientSessionId: string, transport: ClientTransport): Promise<ServerMediaStream> {
    this.#checkOpen();
    if (this.#readers.size >= this.#maxReaders) {
      throw new DorsvrError('ERR_RELAY_MAX_READERS', `this track has ${this.#maxReaders} readers already`, { status: 453 });
    }
    let family: 'udp4' | 'udp6' | undefined;
    let pair: RelaySocketPair | undefined;
    if (transport.mode === 'udp') {
      family = transport.clientAddress.includes(':') ? 'udp6' : 'udp4';
      let fp = this.#pairs[family];
      if (fp === undefined) {
        const created: FamilyPair = { promise: RelaySocketPair.bind(family, this.#portBase, this.portRange), pair: undefined, users: 0 };
        fp = created;
        this.#pairs[family] = created;
        created.promise.then(
          (p) => {
            created.pair = p;
            p.onRTCP = (data, address, port) => this.#rtcpFromAddress(data, address, port);
          },
          () => {
            if (this.#pairs[family!] === created) this.#pairs[family!] = undefined;
          },
        );
      }
      fp.users++;
      try {
        pair = await fp.promise;
      } catch (err) {
        fp.users--;
        throw err;
      }
      if (this.#ended) {
        this.#releasePair(family);
        this.#checkOpen();
      }
    }
    const stream = new ServerMediaStream(clientSessionId, transport);
    const reader = new RelayReader(stream, this.clockRate, pair, this.#readerTimestampAt);
    stream.ssrc = reader.ssrc;
    stream.serverRTPPort = pair?.rtpPort;
    stream.serverRTCPPort = pair?.rtcpPort;
    stream.updateStats = () => {
      stream.stats.packets = reader.packetCount;
      stream.stats.bytes = reader.octetCount;
    };
    this.#readers.set(stream, reader);
    if (transport.mode === 'udp') this.#byRTCPAddress.set(`${transport.clientAddress}:${transport.clientRTCPPort}`, reader);
    debug('reader %s (%s), %d readers', clientSessionId, transport.mode, this.#readers.size);
    return stream;
  }

  #checkOpen(): void {
    if (this.#ended) throw new DorsvrError('ERR_RELAY_ENDED', 'the relayed stream has ended', { status: 404 });
  }

  #reader(stream: ServerMediaStream): RelayReader {
    const r = this.#readers.get(stream);
    if (!r) throw new DorsvrError('ERR_SERVER_STREAM_UNKNOWN', 'this stream was deleted', { status: 454 });
    return r;
  }

  /**
   * The subsession's: start (or resume) a reader (PLAY). Returns the sequence number and RTP
   * timestamp its first packet will carry. It starts on the scheduler's next turn (after the PLAY
   * response went out: players over TCP drop packets that come before it), at the next packet or,
   * for H.264/H.265, at the next key frame.
   */
  startReader(stream: ServerMediaStream): StreamStartInfo {
    this.#checkOpen();
    const r = this.#reader(stream);
    if (r.state === 'idle' && !this.#pendingStart.has(r)) {
      if (r.packetCount > 0) {
        // Resumed: its clock went on while paused.
        const pub = this.#publisherTimestampAt(this.scheduler.now());
        if (pub !== undefined) r.startRtpTime = (pub + r.tsOffset) >>> 0;
      }
      this.#pendingStart.set(
        r,
        this.scheduler.scheduleDelayedTask(0, () => this.#activate(r)),
      );
    }
    stream.playing = true;
    if (r.state === 'live') {
      // PLAY again without a PAUSE: the stream goes on; its next packet's number, and its clock now.
      const pub = this.#publisherTimestampAt(this.scheduler.now()) ?? this.#lastTs;
      return { seq: (this.#lastSeq + r.seqOffset + 1) & 0xffff, rtptime: (pub + r.tsOffset) >>> 0 };
    }
    return { seq: r.nextSeq, rtptime: r.startRtpTime };
  }

  #activate(r: RelayReader): void {
    this.#pendingStart.delete(r);
    if (this.#ended || !this.#readers.has(r.stream) || r.state !== 'idle') return;
    r.state = 'waiting';
    r.waitingSinceUs = this.scheduler.now();
    this.#playing.push(r);
    if (r.udpSocket !== undefined) this.#udpPlaying++;
    if (r.rtcp === undefined) {
      const rtcp = new RTCPInstance({ scheduler: this.scheduler, rtcpInterface: r, sink: r, cname: this.#cname });
      rtcp.on('rr', (rep: RTCPReceptionReport) => {
        const st = r.stream.stats;
        st.receiverReports++;
        st.fractionLost = rep.fractionLost;
        st.cumulativeLost = rep.cumulativeLost;
        st.jitterSeconds = rep.jitterSeconds;
        if (rep.rttSeconds !== undefined) st.rttSeconds = rep.rttSeconds;
      });
      r.rtcp = rtcp;
    }
  }

  /** The subsession's: stop sending to a reader (PAUSE); its destination leaves the fan-out. */
  pauseReader(stream: ServerMediaStream): void {
    const r = this.#readers.get(stream);
    if (!r) return;
    stream.playing = false;
    const token = this.#pendingStart.get(r);
    if (token !== undefined) {
      this.scheduler.unscheduleDelayedTask(token);
      this.#pendingStart.delete(r);
    }
    if (r.state === 'idle') return;
    if (r.state === 'live') r.nextSeq = (this.#lastSeq + r.seqOffset + 1) & 0xffff;
    r.state = 'idle';
    const i = this.#playing.indexOf(r);
    if (i >= 0) this.#playing.splice(i, 1);
    if (r.udpSocket !== undefined) this.#udpPlaying--;
  }

  /** The subsession's: an RTCP packet from a reader's interleaved channel. */
  readerRTCP(stream: ServerMediaStream, packet: Uint8Array): void {
    const r = this.#readers.get(stream);
    if (r) this.#rtcpFromReader(r, packet);
  }

  #rtcpFromAddress(data: Uint8Array, address: string, port: number): void {
    let r = this.#byRTCPAddress.get(`${address}:${port}`);
    if (r === undefined) {
      // A reader behind a NAT may send from another port: the address alone will do.
      for (const x of this.#readers.values()) {
        if (x.address === address) {
          r = x;
          break;
        }
      }
    }
    if (r !== undefined) this.#rtcpFromReader(r, data);
  }

  #rtcpFromReader(r: RelayReader, data: Uint8Array): void {
    r.stream.emit('rtcp');
    r.rtcpIn.emit('packet', data);
  }

  /** The subsession's: a reader leaves (TEARDOWN, session reclaimed): everything it held is freed. Idempotent. */
  removeReader(stream: ServerMediaStream): void {
    const r = this.#readers.get(stream);
    if (!r) return;
    this.pauseReader(stream);
    this.#readers.delete(stream);
    stream.deleted = true;
    stream.updateStats?.();
    stream.updateStats = undefined;
    r.rtcp?.close();
    r.rtcp = undefined;
    if (r.address !== undefined) {
      const key = `${r.address}:${r.rtcpPort}`;
      if (this.#byRTCPAddress.get(key) === r) this.#byRTCPAddress.delete(key);
      this.#releasePair(r.address.includes(':') ? 'udp6' : 'udp4');
    }
  }

  #releasePair(family: 'udp4' | 'udp6'): void {
    const fp = this.#pairs[family];
    if (fp === undefined) return;
    if (--fp.users > 0) return;
    this.#pairs[family] = undefined;
    fp.promise.then((p) => p.close(), () => undefined);
  }

  /**
   * The publisher is gone: no more packets are relayed and no reader may join; the publisher is
   * sent a last receiver report and a BYE (`'rtcpToPublisher'`), and after the BYE delay every
   * reader gets an RTCP BYE (after a last SR) and its stream emits `'end'`. Idempotent.
   */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    for (const [r, token] of this.#pendingStart) {
      this.scheduler.unscheduleDelayedTask(token);
      this.#pendingStart.delete(r);
    }
    this.#publisherRTCP?.close();
    this.#byeTask = this.scheduler.scheduleDelayedTask(this.#byeDelayUs, () => this.#byeReaders());
    this.emit('end');
  }

  #byeReaders(): void {
    this.scheduler.unscheduleDelayedTask(this.#byeTask);
    this.#byeTask = 0;
    for (const r of [...this.#readers.values()]) {
      this.pauseReader(r.stream);
      r.stream.playing = false;
      r.rtcp?.close();
      r.rtcp = undefined;
      r.stream.emit('end');
    }
  }

  /**
   * Release everything: {@link end} if not yet ended (the readers' BYE then goes out at once),
   * every reader's stream, the port pairs. Idempotent.
   */
  close(): void {
    if (this.#closed) return;
    this.end();
    if (this.#byeTask !== 0) this.#byeReaders();
    this.#closed = true;
    for (const stream of [...this.#readers.keys()]) this.removeReader(stream);
    for (const family of ['udp4', 'udp6'] as const) {
      const fp = this.#pairs[family];
      this.#pairs[family] = undefined;
      fp?.promise.then((p) => p.close(), () => undefined);
    }
  }
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const c of chunks) n += c.length;
  const out = new Uint8Array(n);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}
