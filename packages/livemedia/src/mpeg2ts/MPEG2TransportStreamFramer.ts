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

/** First and last PCR (of the first PID carrying one) found in the head and tail of a file. */
async function scanPCRs(path: string): Promise<{ first: number; last: number; pid: number; size: number; duration: number } | undefined> {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    const span = Math.min(size, 4 << 20);
    const head = Buffer.alloc(span);
    await fh.read(head, 0, span, 0);
    let first: number | undefined;
    let firstOff = 0;
    let pid = -1;
    for (let off = 0; off + TS_PACKET_SIZE <= span; off += TS_PACKET_SIZE) {
      const pcr = readPCR(head, off);
      if (pcr !== undefined) {
        first = pcr;
        firstOff = off;
        pid = pidOf(head, off);
        break;
      }
    }
    if (first === undefined) return undefined;
    const tailStart = Math.max(0, Math.floor((size - span) / TS_PACKET_SIZE) * TS_PACKET_SIZE);
    const tail = Buffer.alloc(size - tailStart);
    await fh.read(tail, 0, tail.length, tailStart);
    let last = first;
    let lastOff = firstOff;
    for (let off = 0; off + TS_PACKET_SIZE <= tail.length; off += TS_PACKET_SIZE) {
      const pcr = readPCR(tail, off);
      if (pcr !== undefined && pidOf(tail, off) === pid) {
        last = pcr;
        lastOff = tailStart + off;
      }
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
 * `packetsPerFrame` whole packets (resynchronising on the 0x47 sync byte), timed by the stream's
 * PCRs so that a 2 Mbit/s file is sent at 2 Mbit/s: each packet's time is interpolated between PCRs
 * at the rate the last two PCRs imply. With a file ({@link open}) it also knows the duration (from
 * the first and last PCR) and seeks by byte position.
 */
export class MPEG2TransportStreamFramer extends FramedFilter {
  readonly #perFrame: number;
  #pending: Uint8Array = new Uint8Array(0);
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
    this.#perFrame = Math.max(1, Math.min(64, options.packetsPerFrame ?? 7));
    this.#packetUs = (TS_PACKET_SIZE * 8 * 1e6) / (options.initialBitrate ?? 2_000_000);
  }

  /** Open a `.ts` file, learning its duration from its PCRs (rejects with `ERR_FILE_OPEN`). */
  static async open(path: string, options: MPEG2TransportStreamFramerOptions = {}): Promise<MPEG2TransportStreamFramer> {
    const src = await ByteStreamFileSource.open(path);
    const framer = new MPEG2TransportStreamFramer(src, options);
    try {
      const scan = await scanPCRs(path);
      if (scan) {
        framer.#firstPCR = scan.first;
        framer.#pcrPid = scan.pid;
        if (scan.duration > 0) framer.#file = { size: scan.size, duration: scan.duration };
        debug('%s: %d bytes, PCR %s..%s s', path, scan.size, scan.first.toFixed(3), scan.last.toFixed(3));
      }
    } catch (err) {
      framer.close();
      throw new DorsvrError('ERR_FILE_OPEN', `cannot read ${path}`, { cause: err });
    }
    return framer;
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
    this.#pending = new Uint8Array(0);
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

  protected async readFrame(): Promise<Frame | null> {
    const want = this.#perFrame * TS_PACKET_SIZE;
    for (let guard = 0; guard < 1_000_000; guard++) {
      if (this.#pending.length >= want || (this.#ended && this.#pending.length >= TS_PACKET_SIZE)) {
        const n = Math.min(this.#perFrame, Math.floor(this.#pending.length / TS_PACKET_SIZE));
        const data = this.#pending.subarray(0, n * TS_PACKET_SIZE);
        this.#pending = this.#pending.subarray(n * TS_PACKET_SIZE);
        const firstIndex = this.#packetIndex;
        let pt = this.#lastPCRPtUs + (firstIndex - this.#lastPCRIndex) * this.#packetUs;
        for (let i = 0; i < n; i++) {
          const off = i * TS_PACKET_SIZE;
          if (this.#pcrPid < 0 || pidOf(data, off) === this.#pcrPid) {
            const pcr = readPCR(data, off);
            if (pcr !== undefined) {
              if (this.#pcrPid < 0) this.#pcrPid = pidOf(data, off);
              this.#notePCR(pcr, firstIndex + i);
              if (i === 0) pt = this.#lastPCRPtUs;
            }
          }
        }
        this.#packetIndex += n;
        if (pt <= this.#lastFramePt) pt = this.#lastFramePt + 1;
        this.#lastFramePt = pt;
        return { data, presentationTime: pt, duration: n * this.#packetUs };
      }
      if (this.#ended) return null;
      const gen = this.#generation;
      const chunk = await this.inputSource.getNextFrame();
      if (gen !== this.#generation) continue; // a seek happened meanwhile: drop pre-seek bytes
      if (chunk === null) {
        this.#ended = true;
        continue;
      }
      this.#append(chunk.data);
    }
    return null;
  }

  /** Add bytes, keeping only whole packets that start with the sync byte (resync otherwise). */
  #append(bytes: Uint8Array): void {
    let buf: Uint8Array;
    if (this.#pending.length === 0) buf = bytes;
    else {
      buf = new Uint8Array(this.#pending.length + bytes.length);
      buf.set(this.#pending, 0);
      buf.set(bytes, this.#pending.length);
    }
    // Fast path: aligned.
    let aligned = true;
    for (let off = 0; off < buf.length; off += TS_PACKET_SIZE) {
      if (buf[off] !== 0x47) {
        aligned = false;
        break;
      }
    }
    if (aligned) {
      this.#pending = buf;
      return;
    }
    const out = new Uint8Array(buf.length);
    let o = 0;
    let i = 0;
    while (i < buf.length) {
      if (buf[i] === 0x47 && (i + TS_PACKET_SIZE >= buf.length || buf[i + TS_PACKET_SIZE] === 0x47)) {
        const end = Math.min(buf.length, i + TS_PACKET_SIZE);
        out.set(buf.subarray(i, end), o);
        o += end - i;
        i = end;
      } else i++;
    }
    this.#pending = out.subarray(0, o);
  }
}
