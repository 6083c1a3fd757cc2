import { randomBytes } from 'node:crypto';
import { DorsvrError, defaultScheduler, type TaskScheduler } from '@dorsvr/scheduler';
import { MediaSink, type MediaSinkEvents } from '../core/MediaSink.js';

/**
 * Where an RTP sink's packets go: an RTPInterface / ServerFanout (`send` one packet as chunks; an
 * {@link RTPSink} always sends one chunk, the whole packet). `send` returns `true` when it still
 * holds the chunks after returning (a UDP send that Node had to queue): the sink then never writes
 * into that packet's buffer again, nor hands the frame's memory back for reuse. Anything else
 * means the bytes were taken (sent, or copied) and the buffers may be reused — the `chunks` array
 * itself too, so a sender keeps a copy of it, as Node's `dgram` does.
 */
export interface RTPPacketSender {
  send(chunks: readonly Uint8Array[]): unknown;
}

/** Options of every {@link RTPSink}. */
export interface RTPSinkOptions {
  /** Frames are paced on this scheduler (default: the shared `defaultScheduler()`). */
  scheduler?: TaskScheduler;
  /** Sends each packet (to one or many destinations). */
  rtpInterface: RTPPacketSender;
  /** RTP payload type (static or dynamic 96–127). */
  payloadType: number;
  /** SSRC (default random). */
  ssrc?: number;
  /** First sequence number (default random). */
  initialSequenceNumber?: number;
  /** RTP timestamp of presentation time 0 (default random). */
  initialTimestamp?: number;
  /**
   * Largest RTP packet in bytes, the 12-byte header included (default {@link DEFAULT_MAX_PACKET_SIZE}
   * = 1452, as live555): a packet plus IPv6 and UDP headers then fits a 1500-byte MTU unfragmented.
   */
  maxPacketSize?: number;
  /** Largest RTP payload in bytes: overrides {@link maxPacketSize} (which is this + 12). */
  maxPayloadSize?: number;
}

/** Bytes of the fixed RTP header the sinks write (no CSRC, no extension). */
const RTP_HEADER_SIZE = 12;

/**
 * Default largest RTP packet, header included: live555's limit, and what fits a 1500-byte MTU over
 * IPv6 (1500 − 40 − 8) without fragmenting.
 */
export const DEFAULT_MAX_PACKET_SIZE = 1452;
const EMPTY = new Uint8Array(0);

/**
 * live555's RTPSink: an RTP stream's sending state (SSRC, sequence numbers, timestamps, counts)
 * and its SDP description. RTP timestamps are derived from presentation times at the codec's
 * clock rate, from a base that a preset (PLAY's `RTP-Info`) may shift.
 */
export abstract class RTPSink<Events extends MediaSinkEvents = MediaSinkEvents> extends MediaSink<Events> {
  readonly scheduler: TaskScheduler;
  readonly ssrc: number;
  readonly payloadType: number;
  /** Largest payload per packet: {@link maxPacketSize} less the 12-byte header. */
  readonly maxPayloadSize: number;
  /** Largest packet, header included. */
  readonly maxPacketSize: number;
  /** Packets sent. */
  packetCount = 0;
  /** Payload bytes sent. */
  octetCount = 0;
  /** Sequence number of the next packet. */
  currentSeqNo: number;
  readonly #rtpInterface: RTPPacketSender;
  readonly #timestampBase: number;
  /** Ticks added to every timestamp since the last preset (modulo 2^32). */
  #timestampShift = 0;
  /** The timestamp the next packet must carry (a preset), if any. */
  #preset: number | undefined;
  // Each packet is assembled in one buffer: the header written in place, the payload (and its
  // payload header) copied after it, and sent as ONE chunk. Node's dgram makes a Buffer object per
  // chunk of a scatter/gather send (and an array for them), which costs more CPU and garbage than
  // copying ~1.3 KB; a single chunk goes to the kernel as it is. The buffer is reused for the next
  // packet, unless the sender said it still holds it (a queued send): then a fresh one is made.
  #packet: Uint8Array = EMPTY;
  /** A view of `#packet`'s first `#view.length` bytes, remade only when the packet size changes. */
  #view: Uint8Array = EMPTY;
  /** The chunk list handed to the sender: [the packet]. */
  readonly #one: Uint8Array[] = [EMPTY];
  #retained = false;
  #retainedCount = 0;

  constructor(options: RTPSinkOptions) {
    super();
    const r = randomBytes(8);
    this.scheduler = options.scheduler ?? defaultScheduler();
    this.#rtpInterface = options.rtpInterface;
    this.payloadType = options.payloadType;
    this.ssrc = (options.ssrc ?? r.readUInt32BE(0)) >>> 0;
    this.currentSeqNo = (options.initialSequenceNumber ?? r.readUInt16BE(4)) & 0xffff;
    this.#timestampBase = (options.initialTimestamp ?? r.readUInt32BE(4)) >>> 0;
    const packet = options.maxPayloadSize !== undefined ? options.maxPayloadSize + RTP_HEADER_SIZE : (options.maxPacketSize ?? DEFAULT_MAX_PACKET_SIZE);
    // Room for the largest payload header (an FU's 3 bytes, an AU header section's 4) and a byte.
    if (!Number.isInteger(packet) || packet < RTP_HEADER_SIZE + 8 || packet > 65507) {
      throw new DorsvrError('ERR_SINK_OPTIONS', `maxPacketSize must be an integer in ${RTP_HEADER_SIZE + 8}..65507, got ${packet}`);
    }
    this.maxPacketSize = packet;
    this.maxPayloadSize = packet - RTP_HEADER_SIZE;
  }

  /** RTP clock rate in Hz (90000 for video). */
  abstract get rtpTimestampFrequency(): number;
  /** Encoding name in `a=rtpmap` (`H264`, `MPEG4-GENERIC`, `L16`, …). */
  abstract get rtpPayloadFormatName(): string;
  /** `video` or `audio` (the SDP media type). */
  abstract sdpMediaType(): string;
  /** Audio channels for `a=rtpmap` (undefined for video). */
  get numChannels(): number | undefined {
    return undefined;
  }

  /** `a=rtpmap:<pt> <name>/<rate>[/<channels>]`, empty for static payload types below 96. */
  rtpmapLine(): string {
    if (this.payloadType < 96) return '';
    const ch = this.numChannels;
    return `a=rtpmap:${this.payloadType} ${this.rtpPayloadFormatName}/${this.rtpTimestampFrequency}${ch !== undefined && ch !== 1 ? `/${ch}` : ''}`;
  }

  /** The codec's `a=fmtp` line, or ''. */
  auxSDPLine(): string {
    return '';
  }

  /**
   * RTP timestamp for a presentation time (µs), wrapping at 2^32: the timestamp base, plus the
   * presentation time at the RTP clock rate, plus the shift the last {@link presetTimestamp}
   * made.
   */
  convertToRTPTimestamp(presentationTimeUs: number): number {
    const ticks = Math.round((presentationTimeUs * this.rtpTimestampFrequency) / 1e6);
    // ToUint32 is arithmetic modulo 2^32, for negative ticks too (no floating-point remainder).
    return (this.#timestampBase + this.#timestampShift + ticks) >>> 0;
  }

  /**
   * live555's presetNextTimestamp: the next packet sent (the first of the next frame) carries
   * `rtpTimestamp`, whatever its presentation time, and later frames keep their distance to it.
   * What PLAY's `RTP-Info: rtptime` announces, for sources whose presentation times do not start
   * at 0 (live capture clocks) and for streams resumed after a pause.
   */
  protected presetTimestamp(rtpTimestamp: number): void {
    this.#preset = rtpTimestamp >>> 0;
  }

  /** True while a timestamp preset by {@link presetTimestamp} waits for the next packet. */
  protected get timestampPresetPending(): boolean {
    return this.#preset !== undefined;
  }

  /** RTP timestamp corresponding to scheduler time `nowUs` (for RTCP SRs and RTP-Info). */
  abstract rtpTimestampAt(nowUs: number): number;

  /**
   * Send one packet: the header, then the payload `chunks` (copied after it, into the sink's packet
   * buffer). All packets of a frame share its timestamp; `marker` ends a video frame.
   */
  protected sendPacket(chunks: readonly Uint8Array[], marker: boolean, presentationTimeUs: number): void {
    let n = 0;
    for (let i = 0; i < chunks.length; i++) n += chunks[i]!.length;
    const packet = this.#packetFor(RTP_HEADER_SIZE + n);
    this.#writeHeader(packet, marker, presentationTimeUs);
    let off = RTP_HEADER_SIZE;
    for (let i = 0; i < chunks.length; i++) {
      packet.set(chunks[i]!, off);
      off += chunks[i]!.length;
    }
    this.octetCount += n;
    this.#dispatch(off);
  }

  /**
   * {@link sendPacket} for the common shapes, without an array per packet: one `payload`, after a
   * payload header `prefix` when given (an FU indicator and header, an AU header section).
   */
  protected sendPayload(payload: Uint8Array, marker: boolean, presentationTimeUs: number, prefix?: Uint8Array): void {
    const p = prefix === undefined ? 0 : prefix.length;
    const packet = this.#packetFor(RTP_HEADER_SIZE + p + payload.length);
    this.#writeHeader(packet, marker, presentationTimeUs);
    if (prefix !== undefined) packet.set(prefix, RTP_HEADER_SIZE);
    packet.set(payload, RTP_HEADER_SIZE + p);
    this.octetCount += p + payload.length;
    this.#dispatch(RTP_HEADER_SIZE + p + payload.length);
  }

  /** The packet buffer, with room for `size` bytes (a larger one for an oversized packet). */
  #packetFor(size: number): Uint8Array {
    const packet = this.#packet;
    if (packet.length >= size) return packet;
    this.#view = EMPTY;
    return (this.#packet = new Uint8Array(Math.max(size, this.maxPacketSize)));
  }

  /** The fixed header of the next packet, written at the start of `packet` (the hot path: no DataView, no object). */
  #writeHeader(header: Uint8Array, marker: boolean, presentationTimeUs: number): void {
    const seq = this.currentSeqNo;
    if (this.#preset !== undefined) {
      // The first packet after a preset: shift the time base so that it carries the preset value.
      this.#timestampShift = (this.#timestampShift + this.#preset - this.convertToRTPTimestamp(presentationTimeUs)) % 4_294_967_296;
      this.#preset = undefined;
    }
    const ts = this.convertToRTPTimestamp(presentationTimeUs);
    const ssrc = this.ssrc;
    header[0] = 0x80;
    header[1] = (marker ? 0x80 : 0) | this.payloadType;
    header[2] = seq >> 8;
    header[3] = seq & 0xff;
    header[4] = ts >>> 24;
    header[5] = (ts >>> 16) & 0xff;
    header[6] = (ts >>> 8) & 0xff;
    header[7] = ts & 0xff;
    header[8] = ssrc >>> 24;
    header[9] = (ssrc >>> 16) & 0xff;
    header[10] = (ssrc >>> 8) & 0xff;
    header[11] = ssrc & 0xff;
    this.currentSeqNo = (seq + 1) & 0xffff;
    this.packetCount++;
  }

  /** Hand the packet's first `size` bytes to the sender; a sender that still holds them keeps the buffer (a fresh one is made). */
  #dispatch(size: number): void {
    let view = this.#view;
    if (view.length !== size) view = this.#view = this.#packet.subarray(0, size);
    const one = this.#one;
    one[0] = view;
    const retained = this.#rtpInterface.send(one) === true;
    one[0] = EMPTY;
    this.#retained = retained;
    if (retained) {
      this.#packet = EMPTY;
      this.#view = EMPTY;
      this.#retainedCount++;
    }
  }

  /**
   * Packets so far whose send the sender said it still holds. Unchanged across the packets of a
   * frame means every one of them was taken at once: the frame's bytes are free again.
   */
  protected get retainedSends(): number {
    return this.#retainedCount;
  }

  /**
   * True when the sender still holds the last packet's bytes (its send was queued): the sink's own
   * packet buffer, which it then replaces. Payloads and payload headers are copied into that
   * buffer, so a subclass's own buffers are free again whatever this says.
   */
  protected get lastPacketRetained(): boolean {
    return this.#retained;
  }
}
