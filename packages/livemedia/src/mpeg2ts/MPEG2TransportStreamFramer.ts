import { open } from 'node:fs/promises';
import createDebug from 'debug';
import { DorsvrError } from '@dorsvr/scheduler';
import type { Frame } from '../core/Frame.js';
import { FramedFilter } from '../core/FramedFilter.js';
import type { FramedSource } from '../core/FramedSource.js';
import { ByteStreamFileSource } from '../sources/ByteStreamFileSource.js';

const debug = createDebug('dorsvr:livemedia:mpeg2ts');

/** Bytes of one transport stream packet. */
export const TS_PACKET_SIZE = 188;

/** Options of {@link MPEG2TransportStreamFramer}. */
export interface MPEG2TransportStreamFramerOptions {
  /** TS packets per frame (default 7: 1316 bytes, one RTP packet, as live555). */
  packetsPerFrame?: number;
  /** Bitrate assumed before two PCRs have been seen (default 2 Mbit/s). */
  initialBitrate?: number;
}

/** The PCR of a TS packet in seconds, or undefined when it carries none. */
export function readPCR(p: Uint8Array, off = 0): number | undefined {
  if (p[off] !== 0x47) return undefined;
  const afc = (p[off + 3]! >> 4) & 3;
  if ((afc & 2) === 0 || p[off + 4]! < 7 || (p[off + 5]! & 0x10) === 0) return undefined;
  const base = p[off + 6]! * 2 ** 25 + p[off + 7]! * 2 ** 17 + p[off + 8]! * 2 ** 9 + p[off + 9]! * 2 + (p[off + 10]! >> 7);
  const ext = ((p[off + 10]! & 1) << 8) | p[off + 11]!;
  return base / 90_000 + ext / 27_000_000;
}

function pidOf(p: Uint8Array, off: number): number {
  return ((p[off + 1]! & 0x1f) << 8) | p[off + 2]!;
}

/** Offset of the first packet start in `buf` (a 0x47 followed by another one 188 bytes on), or -1. */
function syncOffset(buf: Uint8Array): number {
  for (let i = 0; i + TS_PACKET_SIZE < buf.length && i < TS_PACKET_SIZE * 2; i++) {
    if (buf[i] === 0x47 && buf[i + TS_PACKET_SIZE] === 0x47) return i;
  }
  return -1;
}

/**
 * First and last PCR (of the first PID carrying one) found in the head and tail of a file: reads
 * only as much of each end as it takes to find one (growing windows, at most 4 MiB per end), so
 * opening a long file stays cheap.
 */
async function scanPCRs(path: string): Promise<{ first: number; last: number; pid: number; size: number; duration: number } | undefined> {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    const maxSpan = Math.min(size, 4 << 20);
    let first: number | undefined;
    let firstOff = 0;
    let pid = -1;
    for (let span = Math.min(maxSpan, 64 << 10); first === undefined; span = Math.min(maxSpan, span * 4)) {
      const head = Buffer.alloc(span);
      const { bytesRead } = await fh.read(head, 0, span, 0);
      const sync = syncOffset(head.subarray(0, bytesRead));
      for (let off = Math.max(0, sync); sync >= 0 && off + TS_PACKET_SIZE <= bytesRead; off += TS_PACKET_SIZE) {
        const pcr = readPCR(head, off);
        if (pcr !== undefined) {
          first = pcr;
          firstOff = off;
          pid = pidOf(head, off);
          break;
        }
      }
      if (span >= maxSpan) break;
    }
    if (first === undefined) return undefined;
    let last = first;
    let lastOff = firstOff;
    for (let span = Math.min(maxSpan, 256 << 10); ; span = Math.min(maxSpan, span * 4)) {
      const tailStart = size - span;
      const tail = Buffer.alloc(span);
      const { bytesRead } = await fh.read(tail, 0, span, tailStart);
      const sync = syncOffset(tail.subarray(0, bytesRead));
      let found = false;
      for (let off = Math.max(0, sync); sync >= 0 && off + TS_PACKET_SIZE <= bytesRead; off += TS_PACKET_SIZE) {
        const pcr = readPCR(tail, off);
        if (pcr !== undefined && pidOf(tail, off) === pid && tailStart + off > firstOff) {
          last = pcr;
          lastOff = tailStart + off;
          found = true;
        }
      }
      if (found || span >= maxSpan) break;
    }
    // The whole file at the rate between the first and the last PCR.
    const duration = lastOff > firstOff && last > first ? ((last - first) * size) / (lastOff - firstOff) : 0;
    return { first, last, pid, size, duration };
  } finally {
    await fh.close();
  }
}

/**
 * live555's MPEG2TransportStreamFramer: turns a byte stream of 188-byte TS packets into frames of
 * `packetsPerFrame` whole packets (resynchronising on the 0x47 sync byte: a sync byte whose
 * successor 188 bytes on is not one is skipped), timed by the stream's PCRs so that a 2 Mbit/s file
 * is sent at 2 Mbit/s: each packet's time is interpolated from the last PCR at the rate the last
 * two PCRs imply (before two PCRs: the file's average rate when opened with {@link open}, else
 * `initialBitrate`). A frame is a view of the input chunk when it lies within one chunk; only
 * frames that straddle two chunks are copied. With a file ({@link open}) it also knows the
 * duration (the whole file at the first-to-last PCR rate) and seeks by byte position (an estimate:
 * npt × average rate, aligned to 188; live555 uses an index file instead).
 */
export class MPEG2TransportStreamFramer extends FramedFilter {
  readonly #perFrame: number;
  /** Current input chunk and the read position in it. */
  #chunk: Uint8Array = new Uint8Array(0);
  #pos = 0;
  /** A packet straddling two chunks, being assembled (fresh per packet: frames may view it). */
  #carry: Uint8Array | null = null;
  #carryLen = 0;
  /** The packet found by the last successful `#takePacket`. */
  #takenBuf: Uint8Array = this.#chunk;
  #takenOff = 0;
  #skipped = 0;
  #packetIndex = 0;
  #pcrPid = -1;
  #firstPCR: number | undefined;
  #lastPCR: number | undefined;
  #lastPCRIndex = 0;
  #lastPCRPtUs = 0;
  #packetUs: number;
  #lastFramePt = -1;
  #ended = false;
  #generation = 0;
  /** From {@link open}: file size, duration and PCR origin. */
  #file: { size: number; duration: number } | undefined;

  constructor(inputSource: FramedSource, options: MPEG2TransportStreamFramerOptions = {}) {
    super(inputSource);
    this.#perFrame = Math.max(1, Math.min(64, Math.floor(options.packetsPerFrame ?? 7)));
    const rate = options.initialBitrate ?? 2_000_000;
    this.#packetUs = (TS_PACKET_SIZE * 8 * 1e6) / (Number.isFinite(rate) && rate > 0 ? rate : 2_000_000);
  }

  /** Open a `.ts` file, learning its duration from its PCRs (rejects with `ERR_FILE_OPEN`). */
  static async open(path: string, options: MPEG2TransportStreamFramerOptions = {}): Promise<MPEG2TransportStreamFramer> {
    const src = await ByteStreamFileSource.open(path, { chunkSize: 1316 * 192 });
    const framer = new MPEG2TransportStreamFramer(src, options);
    try {
      const scan = await scanPCRs(path);
      if (scan) {
        framer.#firstPCR = scan.first;
        framer.#pcrPid = scan.pid;
        if (scan.duration > 0) {
          framer.#file = { size: scan.size, duration: scan.duration };
          if (options.initialBitrate === undefined) framer.#packetUs = (TS_PACKET_SIZE * scan.duration * 1e6) / scan.size;
        }
        debug('%s: %d bytes, PCR %s..%s s', path, scan.size, scan.first.toFixed(3), scan.last.toFixed(3));
      }
    } catch (err) {
      framer.close();
      throw new DorsvrError('ERR_FILE_OPEN', `cannot read ${path}`, { cause: err });
    }
    return framer;
  }

  /** Average bitrate (bit/s) of the file opened with {@link open}, from its PCRs; undefined otherwise. */
  get estimatedBitrate(): number | undefined {
    const f = this.#file;
    return f ? (f.size * 8) / f.duration : undefined;
  }

  /** PID whose PCRs time the stream (-1 until one is seen). */
  get pcrPid(): number {
    return this.#pcrPid;
  }

  /** Bytes skipped so far to find packet boundaries (0 for a clean stream). */
  get bytesSkipped(): number {
    return this.#skipped;
  }

  override durationSeconds(): number | undefined {
    return this.#file?.duration;
  }

  override seekToNPT(npt: number): number | null {
    const f = this.#file;
    const input = this.inputSource as unknown as Partial<ByteStreamFileSource>;
    if (!f || typeof input.seekToByte !== 'function') return null;
    const t = Math.max(0, Math.min(f.duration, Number.isFinite(npt) ? npt : 0));
    const packet = Math.floor(((t / f.duration) * f.size) / TS_PACKET_SIZE);
    input.seekToByte(packet * TS_PACKET_SIZE);
    this.#generation++;
    this.#chunk = new Uint8Array(0);
    this.#pos = 0;
    this.#carry = null;
    this.#carryLen = 0;
    this.#ended = false;
    this.#lastPCR = undefined;
    this.#lastPCRIndex = this.#packetIndex;
    const reached = (packet * TS_PACKET_SIZE * f.duration) / f.size;
    this.#lastPCRPtUs = reached * 1e6;
    this.#lastFramePt = reached * 1e6 - 1;
    return reached;
  }

  #notePCR(pcr: number, index: number): void {
    if (this.#firstPCR === undefined) this.#firstPCR = pcr;
    let pt = (pcr - this.#firstPCR) * 1e6;
    const predicted = this.#lastPCRPtUs + (index - this.#lastPCRIndex) * this.#packetUs;
    if (this.#lastPCR !== undefined) {
      const d = pcr - this.#lastPCR;
      if (d <= 0 || d > 10) {
        // A discontinuity (wrap, splice): continue from the prediction.
        pt = predicted;
        this.#firstPCR = pcr - pt / 1e6;
      } else if (index > this.#lastPCRIndex) {
        const per = (d * 1e6) / (index - this.#lastPCRIndex);
        if (per > 0 && per < 1e6) this.#packetUs = per;
      }
    }
    this.#lastPCR = pcr;
    this.#lastPCRIndex = index;
    this.#lastPCRPtUs = pt;
  }

  /**
   * Find the next whole packet available without reading: true and `#takenBuf`/`#takenOff` set
   * (the packet is `buf[off .. off+188)`), or false when more input is needed.
   */
  #takePacket(): boolean {
    const c = this.#chunk;
    if (this.#carry !== null) {
      const need = TS_PACKET_SIZE - this.#carryLen;
      const avail = c.length - this.#pos;
      if (avail < need) {
        this.#carry.set(c.subarray(this.#pos), this.#carryLen);
        this.#carryLen += avail;
        this.#pos = c.length;
        return false;
      }
      this.#carry.set(c.subarray(this.#pos, this.#pos + need), this.#carryLen);
      this.#pos += need;
      this.#takenBuf = this.#carry;
      this.#takenOff = 0;
      this.#carry = null;
      this.#carryLen = 0;
      return true;
    }
    let pos = this.#pos;
    while (pos < c.length) {
      if (c[pos] !== 0x47) {
        pos++;
        this.#skipped++;
        continue;
      }
      if (pos + TS_PACKET_SIZE > c.length) {
        // Straddles into the next chunk: assemble it in a fresh 188-byte buffer.
        this.#carry = new Uint8Array(TS_PACKET_SIZE);
        this.#carry.set(c.subarray(pos));
        this.#carryLen = c.length - pos;
        this.#pos = c.length;
        return false;
      }
      if (pos + TS_PACKET_SIZE < c.length && c[pos + TS_PACKET_SIZE] !== 0x47) {
        pos++; // a 0x47 not followed by another one packet later: not a packet start
        this.#skipped++;
        continue;
      }
      this.#takenBuf = c;
      this.#takenOff = pos;
      this.#pos = pos + TS_PACKET_SIZE;
      return true;
    }
    this.#pos = pos;
    return false;
  }

  protected async readFrame(): Promise<Frame | null> {
    const per = this.#perFrame;
    let n = 0;
    let view: Uint8Array = this.#chunk;
    let viewStart = 0;
    let out: Uint8Array | null = null;
    let pt = 0;
    for (let guard = 0; guard < 10_000_000 && n < per; guard++) {
      if (!this.#takePacket()) {
        if (this.#ended) break;
        const gen = this.#generation;
        const chunk = await this.inputSource.getNextFrame();
        if (gen !== this.#generation) {
          n = 0; // a seek happened meanwhile: drop the pre-seek bytes and packets
          out = null;
          continue;
        }
        if (chunk === null) {
          this.#ended = true;
          if (this.#carry !== null) debug('truncated last packet (%d bytes) dropped', this.#carryLen);
          this.#carry = null;
          this.#carryLen = 0;
          continue;
        }
        this.#chunk = chunk.data;
        this.#pos = 0;
        continue;
      }
      const buf = this.#takenBuf;
      const off = this.#takenOff;
      const index = this.#packetIndex + n;
      if (this.#pcrPid < 0 || pidOf(buf, off) === this.#pcrPid) {
        const pcr = readPCR(buf, off);
        if (pcr !== undefined) {
          if (this.#pcrPid < 0) this.#pcrPid = pidOf(buf, off);
          this.#notePCR(pcr, index);
        }
      }
      if (n === 0) {
        pt = this.#lastPCRPtUs + (index - this.#lastPCRIndex) * this.#packetUs;
        view = buf;
        viewStart = off;
      } else if (out === null && (buf !== view || off !== viewStart + n * TS_PACKET_SIZE)) {
        // Not contiguous with the packets so far (chunk boundary or skipped bytes): copy.
        out = new Uint8Array(per * TS_PACKET_SIZE);
        out.set(view.subarray(viewStart, viewStart + n * TS_PACKET_SIZE), 0);
      }
      if (out !== null) out.set(buf.subarray(off, off + TS_PACKET_SIZE), n * TS_PACKET_SIZE);
      n++;
    }
    if (n === 0) return null;
    this.#packetIndex += n;
    const data = out !== null ? out.subarray(0, n * TS_PACKET_SIZE) : view.subarray(viewStart, viewStart + n * TS_PACKET_SIZE);
    if (pt <= this.#lastFramePt) pt = this.#lastFramePt + 1;
    this.#lastFramePt = pt;
    return { data, presentationTime: pt, duration: n * this.#packetUs };
  }
}
