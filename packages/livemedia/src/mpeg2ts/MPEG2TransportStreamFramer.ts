import createDebug from 'debug';
import { DorsvrError } from '@dorsvr/scheduler';
import type { Frame } from '../core/Frame.js';
import { FramedFilter } from '../core/FramedFilter.js';
import { SharedChunk } from '../core/SharedChunk.js';
import type { FramedSource } from '../core/FramedSource.js';
import { ByteStreamFileSource } from '../sources/ByteStreamFileSource.js';

const debug = createDebug('dorsvr:livemedia:mpeg2ts');

/** Bytes of one transport stream packet. */
export const TS_PACKET_SIZE = 188;

/** Packets the framer reads ahead at most to find the next PCR (about 1.5 MB). */
const LOOKAHEAD_PACKETS = 8192;

/** "No stopping packet in the chunk" (a small integer, so that positions stay integers). */
const NO_STOP = 0x3fffffff;

/**
 * A computation that may wait: it yields what a read returned (a promise or the value itself) and
 * is resumed with the value.
 */
type Steps<T> = Generator<unknown, T, unknown>;

/** Runs the rest of `steps` asynchronously, from the promise `pending` it is waiting for. */
async function finishSteps<T>(steps: Steps<T>, pending: Promise<unknown>): Promise<T> {
  let r = steps.next(await pending);
  while (!r.done) r = steps.next(r.value instanceof Promise ? await r.value : r.value);
  return r.value;
}

/** Options of {@link MPEG2TransportStreamFramer}. */
export interface MPEG2TransportStreamFramerOptions {
  /** TS packets per frame (default 7: 1316 bytes, one RTP packet, as live555). */
  packetsPerFrame?: number;
  /** Bitrate assumed before two PCRs have been seen (default 2 Mbit/s). */
  initialBitrate?: number;
}

/** True when the TS packet at `off` (sync byte checked by the caller) carries a PCR. */
function hasPCR(p: Uint8Array, off: number): boolean {
  return (p[off + 3]! & 0x20) !== 0 && p[off + 4]! >= 7 && (p[off + 5]! & 0x10) !== 0;
}

/** The PCR of a TS packet in seconds, or undefined when it carries none. */
export function readPCR(p: Uint8Array, off = 0): number | undefined {
  if (p[off] !== 0x47 || !hasPCR(p, off)) return undefined;
  const base = p[off + 6]! * 2 ** 25 + p[off + 7]! * 2 ** 17 + p[off + 8]! * 2 ** 9 + p[off + 9]! * 2 + (p[off + 10]! >> 7);
  const ext = ((p[off + 10]! & 1) << 8) | p[off + 11]!;
  return base / 90_000 + ext / 27_000_000;
}

/**
 * `u` as a plain Uint8Array view: frames are cut from chunks with subarray, several times cheaper on
 * a Uint8Array than on a Buffer (which constructs a Buffer subclass instance).
 */
function plain(u: Uint8Array): Uint8Array {
  return u.constructor === Uint8Array ? u : new Uint8Array(u.buffer, u.byteOffset, u.length);
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

interface PCRScan {
  first: number;
  last: number;
  pid: number;
  size: number;
  duration: number;
}

/**
 * Scans of files by (size, mtime, path), oldest evicted first: a server opens one framer per client
 * of the same file, and the scan is most of what opening costs.
 */
const scanCache = new Map<string, PCRScan | undefined>();
const SCAN_CACHE_SIZE = 64;

/**
 * First and last PCR (of the first PID carrying one) found in the head and tail of a file: reads
 * only as much of each end as it takes to find one (growing windows, at most 4 MiB per end), so
 * opening a long file stays cheap.
 */
async function scanPCRs(
  readAt: (position: number, length: number) => Promise<Uint8Array>,
  size: number,
): Promise<PCRScan | undefined> {
  {
    const maxSpan = Math.min(size, 4 << 20);
    let first: number | undefined;
    let firstOff = 0;
    let pid = -1;
    for (let span = Math.min(maxSpan, 64 << 10); first === undefined; span = Math.min(maxSpan, span * 4)) {
      const head = await readAt(0, span);
      const bytesRead = head.length;
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
      const tail = await readAt(tailStart, span);
      const bytesRead = tail.length;
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
  }
}

/**
 * live555's MPEG2TransportStreamFramer: turns a byte stream of 188-byte TS packets into frames of
 * `packetsPerFrame` whole packets (resynchronising on the 0x47 sync byte: a sync byte whose
 * successor 188 bytes on is not one is skipped), timed by the stream's PCRs so that a 2 Mbit/s file
 * is sent at 2 Mbit/s: each packet's time is interpolated between the last PCR and the next one
 * when that is already in the buffered input, else extrapolated at the rate the last two PCRs
 * imply (before two PCRs: the file's average rate when opened with {@link open}, else
 * `initialBitrate`). A frame's duration runs to the time of the packet after it. A frame is a view of the input chunk when it lies within one chunk; only
 * frames that straddle two chunks are copied. With a file ({@link open}) it also knows the
 * duration (the whole file at the first-to-last PCR rate) and seeks by byte position (an estimate:
 * npt × average rate, aligned to 188; live555 uses an index file instead).
 */
export class MPEG2TransportStreamFramer extends FramedFilter {
  readonly #perFrame: number;
  /** Current input chunk and the read position in it. */
  #chunk: Uint8Array = new Uint8Array(0);
  #pos = 0;
  /** Users of `#chunk`'s memory, when its source recycles it (frames cut from it are views). */
  #chunkUse: SharedChunk | undefined;
  /** Chunks the framer has moved past, let go of once the frame being assembled is complete. */
  #retired: SharedChunk[] = [];
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
  /** The next PCR after the last one, once looked for (cached per last PCR). */
  #aheadFrom = -1;
  #ahead: { index: number; pt: number } | null = null;
  /**
   * What {@link #firstStop} learnt of `#stopChunk`, scanning from `#stopFrom` on its packet grid:
   * the first stopping packet is at `#stopAt` (NO_STOP: none up to the chunk's end). The grid is
   * that of the read position, which only the general path moves by other than whole packets: it
   * forgets this (`#stopChunk = null`) when it does.
   */
  #stopChunk: Uint8Array | null = null;
  #stopFrom = 0;
  #stopAt = -1;
  /** `buffer` and `byteOffset` of `#chunk`, read once per chunk (the getters are slow builtins). */
  #chunkBuffer: ArrayBufferLike = this.#chunk.buffer;
  #chunkOffset = 0;
  /** Positions of the stopping packets within the frame being cut. */
  readonly #stops = new Int32Array(64);
  /** Packets of the read-ahead already searched for the next PCR. */
  #scanFrom = 0;
  /** Chunks read ahead of `#chunk` (looking for the next PCR), and their users. */
  #queue: Uint8Array[] = [];
  #queueUses: (SharedChunk | undefined)[] = [];
  readonly #scratch = new Uint8Array(12);
  /** The input has ended (chunks may still be queued). */
  #inputDone = false;
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
    // About 0.5 MiB per read (whole 7-packet frames), for the reason given at H26X_FILE_CHUNK_SIZE.
    const src = await ByteStreamFileSource.open(path, { chunkSize: 1316 * 384 });
    const framer = new MPEG2TransportStreamFramer(src, options);
    try {
      const size = src.fileSize;
      const key = size === undefined ? undefined : `${size}\0${src.mtimeMs}\0${path}`;
      let scan: PCRScan | undefined;
      if (key !== undefined && scanCache.has(key)) scan = scanCache.get(key);
      else if (size !== undefined) {
        // On the descriptor the source already holds: no second open.
        scan = await scanPCRs((position, length) => src.readAt(position, length), size);
        scanCache.set(key!, scan);
        if (scanCache.size > SCAN_CACHE_SIZE) scanCache.delete(scanCache.keys().next().value!);
      }
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
    this.#retireChunk();
    for (const use of this.#queueUses) if (use) this.#retired.push(use);
    this.#setChunk(new Uint8Array(0), undefined);
    this.#queue = [];
    this.#queueUses = [];
    this.#pos = 0;
    this.#carry = null;
    this.#carryLen = 0;
    this.#inputDone = false;
    this.#lastPCR = undefined;
    this.#aheadFrom = -1;
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
   * Bytes of the stream from the read position on (the current chunk's rest, then the read-ahead),
   * `skip` bytes in, into `out` (a packet's first bytes: a byte loop, no view made per call).
   */
  #copyAhead(skip: number, out: Uint8Array): boolean {
    let need = out.length;
    let o = 0;
    let seg: Uint8Array = this.#chunk;
    let from = this.#pos;
    for (let q = -1; ; ) {
      const len = Math.max(0, seg.length - from);
      if (skip >= len) skip -= len;
      else {
        const n = Math.min(need, len - skip);
        for (let i = 0, p = from + skip; i < n; i++) out[o + i] = seg[p + i]!;
        o += n;
        need -= n;
        skip = 0;
        if (need === 0) return true;
      }
      q++;
      const next = this.#queue[q];
      if (next === undefined) return false;
      seg = next;
      from = 0;
    }
  }

  /**
   * The next PCR of the PCR PID after the read position (packet index and presentation time),
   * reading ahead as far as it takes (at most {@link LOOKAHEAD_PACKETS} packets), so packets between
   * two PCRs are timed by interpolation between them, not at the rate of the previous interval (a
   * bursty file would otherwise run ahead and then stall). Depends only on the bytes, never on how
   * the input is chunked. `baseIndex` is the index of the packet at the read position. Sets
   * `#ahead` and returns true when the current chunk settles it; false when the search has to
   * go on beyond it ({@link #nextPCRBeyond}).
   */
  #nextPCRInChunk(baseIndex: number): boolean {
    if (this.#lastPCR === undefined || this.#pcrPid < 0 || this.#aheadFrom === this.#lastPCRIndex) return true;
    this.#ahead = null;
    // Packets wholly inside the current chunk, read in place: usually the next PCR is among them.
    const c = this.#chunk;
    const from = this.#pos;
    const stop = this.#firstStop(from);
    if (stop !== NO_STOP) {
      const k = (stop - from) / TS_PACKET_SIZE;
      // A stop in sync is a PCR of the PCR PID; out of sync, the search ends without one.
      if (k < LOOKAHEAD_PACKETS && c[stop] === 0x47) this.#considerPCR(readPCR(c, stop)!, baseIndex + k);
      return this.#settleAhead();
    }
    const k = Math.max(0, Math.floor((c.length - from) / TS_PACKET_SIZE));
    if (k >= LOOKAHEAD_PACKETS) return this.#settleAhead();
    this.#scanFrom = k;
    return false;
  }

  /** The rest of {@link #nextPCRInChunk}'s search, from packet #scanFrom on, reading more input as needed. */
  *#nextPCRBeyond(baseIndex: number): Steps<void> {
    const gen = this.#generation;
    const head = this.#scratch;
    for (let k = this.#scanFrom; k < LOOKAHEAD_PACKETS; k++) {
      while (!this.#copyAhead(k * TS_PACKET_SIZE, head)) {
        if (this.#inputDone) break;
        const chunk = (yield this.inputSource.pullFrame()) as Frame | null;
        if (gen !== this.#generation) return;
        if (chunk === null) this.#inputDone = true;
        else if (chunk.data.length > 0) {
          this.#queue.push(plain(chunk.data));
          this.#queueUses.push(SharedChunk.from(chunk));
        }
      }
      if (!this.#copyAhead(k * TS_PACKET_SIZE, head) || head[0] !== 0x47) break;
      if (pidOf(head, 0) !== this.#pcrPid) continue;
      const pcr = readPCR(head, 0);
      if (pcr === undefined) continue;
      this.#considerPCR(pcr, baseIndex + k);
      break;
    }
    this.#settleAhead();
  }

  /** The next PCR found (at packet `index`), kept unless it is a discontinuity. */
  #considerPCR(pcr: number, index: number): void {
    const d = pcr - this.#lastPCR!;
    if (d > 0 && d <= 10 && index > this.#lastPCRIndex) this.#ahead = { index, pt: this.#lastPCRPtUs + d * 1e6 };
  }

  #settleAhead(): true {
    this.#aheadFrom = this.#lastPCRIndex;
    return true;
  }

  /** True when {@link #timeAt} can answer without reading ahead. */
  #timeKnown(index: number): boolean {
    return index <= this.#lastPCRIndex || this.#lastPCR === undefined || this.#pcrPid < 0 || this.#aheadFrom === this.#lastPCRIndex;
  }

  /** Presentation time of packet `index` (at or after the last PCR's packet), once {@link #timeKnown}. */
  #timeAt(index: number): number {
    const next = index > this.#lastPCRIndex && this.#aheadFrom === this.#lastPCRIndex ? this.#ahead : null;
    if (next && index <= next.index) {
      return this.#lastPCRPtUs + ((index - this.#lastPCRIndex) * (next.pt - this.#lastPCRPtUs)) / (next.index - this.#lastPCRIndex);
    }
    // Past a file's last PCR (all input read, no PCR ahead) the last interval's rate can be far
    // off: a tail of sparse packets then ran past the announced duration, and players clip what
    // lies beyond the PLAY Range (GStreamer lost the last audio frames). The tail goes at the
    // file's average rate instead, which ends it within that duration.
    const per = this.#inputDone && this.#file ? (TS_PACKET_SIZE * this.#file.duration * 1e6) / this.#file.size : this.#packetUs;
    return this.#lastPCRPtUs + (index - this.#lastPCRIndex) * per;
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
        this.#stopChunk = null; // off the packet grid #firstStop scanned
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
        this.#stopChunk = null; // off the packet grid #firstStop scanned
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

  /** Make `c` the current chunk (the previous one retired already). */
  #setChunk(c: Uint8Array, use: SharedChunk | undefined): void {
    this.#chunk = c;
    this.#chunkBuffer = c.buffer;
    this.#chunkOffset = c.byteOffset;
    this.#chunkUse = use;
  }

  /** The framer no longer reads `#chunk` itself (moving on, or seeking): retired. */
  #retireChunk(): void {
    if (this.#chunkUse !== undefined) this.#retired.push(this.#chunkUse);
    this.#chunkUse = undefined;
  }

  /** Let go of the chunks moved past: the frame just assembled no longer copies from them. */
  #releaseRetired(): void {
    const r = this.#retired;
    if (r.length === 0) return;
    this.#retired = [];
    for (const use of r) use.release();
  }

  protected readFrame(): Frame | null | Promise<Frame | null> {
    const fast = this.#frameInChunk();
    if (fast !== undefined) return fast;
    // Otherwise the general steps, run synchronously up to the first one that has to wait for
    // input, and only from there on asynchronously.
    const steps = this.#frameSteps();
    for (let r = steps.next(); ; ) {
      if (r.done) return r.value;
      const v = r.value;
      if (v instanceof Promise) return finishSteps(steps, v);
      r = steps.next(v);
    }
  }

  /**
   * The common case of {@link #frameSteps}, without a generator: the frame's packets lie in the
   * current chunk, in sync, back to back, and any search for the next PCR it may need ends inside
   * the chunk (a packet that stops it lies after the frame). The same steps, in the same order;
   * undefined (nothing changed) when the case does not apply.
   */
  #frameInChunk(): Frame | undefined {
    if (this.#carry !== null || this.#pcrPid < 0) return undefined;
    const c = this.#chunk;
    const start = this.#pos;
    const per = this.#perFrame;
    const end = start + per * TS_PACKET_SIZE;
    if (end > c.length) return undefined;
    if (end < c.length && c[end] !== 0x47) return undefined; // #takePacket would skip the last one
    // The frame's stopping packets (PCRs: one out of sync leaves the fast path) and the first one
    // after it, which must exist in the chunk so that any search for the next PCR ends there. The
    // scan behind #firstStop looks at each packet once; the frame's other packets need no look.
    const stops = this.#stops;
    let count = 0;
    let s = this.#firstStop(start);
    while (s < end) {
      if (c[s] !== 0x47) return undefined;
      stops[count++] = s;
      s = this.#firstStop(s + TS_PACKET_SIZE);
    }
    if (s === NO_STOP) return undefined;
    const after = s;
    const index = this.#packetIndex;
    let k = 0;
    if (count > 0 && stops[0] === start) {
      this.#notePCR(readPCR(c, start)!, index);
      k = 1;
    }
    this.#pos = start + TS_PACKET_SIZE;
    if (!this.#timeKnown(index)) {
      this.#primeStop(start + TS_PACKET_SIZE, k < count ? stops[k]! : after);
      this.#nextPCRInChunk(index + 1);
    }
    let pt = this.#timeAt(index);
    for (; k < count; k++) this.#notePCR(readPCR(c, stops[k]!)!, index + (stops[k]! - start) / TS_PACKET_SIZE);
    this.#primeStop(end, after);
    this.#pos = end;
    this.#packetIndex = index + per;
    if (pt <= this.#lastFramePt) pt = this.#lastFramePt + 1;
    if (!this.#timeKnown(this.#packetIndex)) this.#nextPCRInChunk(this.#packetIndex);
    const endPt = this.#timeAt(this.#packetIndex);
    this.#lastFramePt = pt;
    return {
      data: new Uint8Array(this.#chunkBuffer, this.#chunkOffset + start, end - start),
      presentationTime: pt,
      duration: Math.max(0, endPt - pt),
      owner: this.#chunkUse?.cut(),
    };
  }

  /**
   * The first packet at or after byte `from` of the current chunk (on the 188-byte grid from
   * `from`) that stops a search for the next PCR: one out of sync, or one with a PCR on the PCR PID;
   * NO_STOP when there is none among the chunk's whole packets. Scans go forward and are
   * remembered, so each packet of a chunk is looked at about once.
   */
  /** Tell #firstStop what the caller knows: from `from` on, `at` is the first stopping packet. */
  #primeStop(from: number, at: number): void {
    this.#stopChunk = this.#chunk;
    this.#stopFrom = from;
    this.#stopAt = at;
  }

  #firstStop(from: number): number {
    const c = this.#chunk;
    if (this.#stopChunk === c && from >= this.#stopFrom && this.#stopAt >= from) {
      return this.#stopAt; // nothing stops in [#stopFrom, #stopAt)
    }
    this.#stopChunk = c;
    this.#stopFrom = from;
    const pidHi = this.#pcrPid >> 8;
    const pidLo = this.#pcrPid & 0xff;
    const last = c.length - TS_PACKET_SIZE;
    for (let p = from; p <= last; p += TS_PACKET_SIZE) {
      if (c[p] !== 0x47 || (c[p + 2] === pidLo && (c[p + 1]! & 0x1f) === pidHi && hasPCR(c, p))) return (this.#stopAt = p);
    }
    return (this.#stopAt = NO_STOP);
  }

  /**
   * Assembling one frame, written as a generator whose every possible wait is a `yield` of what a
   * read returned (a promise, or a chunk already at hand), resumed with the value.
   */
  *#frameSteps(): Steps<Frame | null> {
    try {
      return yield* this.#assembleFrame();
    } finally {
      this.#releaseRetired();
    }
  }

  *#assembleFrame(): Steps<Frame | null> {
    this.#stopChunk = null; // this path may move off the packet grid: what #firstStop knew is void
    const per = this.#perFrame;
    let n = 0;
    let view: Uint8Array = this.#chunk;
    let viewStart = 0;
    let viewUse: SharedChunk | undefined;
    let out: Uint8Array | null = null;
    let pt = 0;
    for (let guard = 0; guard < 10_000_000 && n < per; guard++) {
      if (!this.#takePacket()) {
        const queued = this.#queue.shift();
        if (queued !== undefined) {
          this.#retireChunk();
          this.#setChunk(queued, this.#queueUses.shift());
          this.#pos = 0;
          continue;
        }
        if (this.#inputDone) {
          if (this.#carry !== null) debug('truncated last packet (%d bytes) dropped', this.#carryLen);
          this.#carry = null;
          this.#carryLen = 0;
          break;
        }
        const gen = this.#generation;
        const chunk = (yield this.inputSource.pullFrame()) as Frame | null;
        if (gen !== this.#generation) {
          n = 0; // a seek happened meanwhile: drop the pre-seek bytes and packets
          out = null;
          continue;
        }
        if (chunk === null) this.#inputDone = true;
        else {
          this.#retireChunk();
          this.#setChunk(plain(chunk.data), SharedChunk.from(chunk));
          this.#pos = 0;
        }
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
        if (!this.#timeKnown(index) && !this.#nextPCRInChunk(index + 1)) {
          const gen = this.#generation;
          yield* this.#nextPCRBeyond(index + 1);
          if (gen !== this.#generation) {
            n = 0; // seeked while reading ahead
            continue;
          }
        }
        pt = this.#timeAt(index);
        view = buf;
        viewStart = off;
        viewUse = buf === this.#chunk ? this.#chunkUse : undefined;
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
    if (pt <= this.#lastFramePt) pt = this.#lastFramePt + 1;
    if (!this.#timeKnown(this.#packetIndex) && !this.#nextPCRInChunk(this.#packetIndex)) {
      const gen = this.#generation;
      yield* this.#nextPCRBeyond(this.#packetIndex);
      if (gen !== this.#generation) return yield* this.#assembleFrame(); // seeked while reading ahead
    }
    const end = this.#timeAt(this.#packetIndex);
    const data = out !== null ? out.subarray(0, n * TS_PACKET_SIZE) : view.subarray(viewStart, viewStart + n * TS_PACKET_SIZE);
    this.#lastFramePt = pt;
    return { data, presentationTime: pt, duration: Math.max(0, end - pt), owner: out === null ? viewUse?.cut() : undefined };
  }
}
