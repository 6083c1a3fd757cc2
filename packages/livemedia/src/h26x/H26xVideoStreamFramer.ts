import createDebug from 'debug';
import { DorsvrError, limitOption } from '@dorsvr/scheduler';
import type { Frame } from '../core/Frame.js';
import { FramedFilter } from '../core/FramedFilter.js';
import { SharedChunk } from '../core/SharedChunk.js';
import type { FramedSource } from '../core/FramedSource.js';
import { ByteStreamFileSource } from '../sources/ByteStreamFileSource.js';
import { ByteStreamMemorySource } from '../sources/ByteStreamMemorySource.js';
import { isSeekableByteStream, type SeekableByteStream } from '../sources/SeekableByteStream.js';
import { FileIndexCache, fileIndexKey } from '../sources/FileIndexCache.js';
import { parameterSetCopy } from '../rtp/parameterSetCopy.js';
import { AnnexBParser, type AnnexBNalSink } from './AnnexBParser.js';
import { SharedNalCopies } from './SharedNalCopies.js';
import { H26xFrameQueue } from './H26xFrameQueue.js';
import { H26xKeyFrameTableBuilder, type H26xKeyFrameEntry, type H26xKeyFrameTable, type H26xTiming } from './H26xKeyFrameTable.js';

const debug = createDebug('dorsvr:livemedia:h26x');

/** Options of {@link H264VideoStreamFramer} and {@link H265VideoStreamFramer}. */
export interface H26xVideoStreamFramerOptions {
  /** Frame rate used when the SPS carries no timing information (default 25). */
  defaultFrameRate?: number;
  /** Largest NAL unit accepted, in bytes (default 16 MiB; anything but a positive integer throws `ERR_H26X_OPTIONS`). */
  maxNalSize?: number;
  /** Largest access unit accepted, in bytes (default 64 MiB; anything but a positive integer throws `ERR_H26X_OPTIONS`). */
  maxAccessUnitSize?: number;
  /**
   * For inputs that cannot be duplicated (live), how many bytes {@link H26xVideoStreamFramer.prepare}
   * may read looking for parameter sets (default 8 MiB; anything but a positive integer throws
   * `ERR_H26X_OPTIONS`). What it reads is still delivered.
   */
  maxPrepareBytes?: number;
}

/** What the framer learns about one NAL unit before deciding where access units begin. */
export interface H26xNalInfo {
  /** Drop this NAL unit (damaged: forbidden_zero_bit set, or unusable type). */
  drop: boolean;
  /** A coded slice (VCL NAL unit). */
  vcl: boolean;
  /** A VCL NAL unit that begins a new picture (first_mb_in_slice = 0 / first_slice_segment_in_pic_flag). */
  firstSliceOfPicture: boolean;
  /** A non-VCL NAL unit that begins a new access unit when it follows a VCL unit (AUD, SPS, PPS, SEI…). */
  startsAccessUnit: boolean;
  /** A slice of a random-access picture (IDR, or H.265 IRAP). */
  key: boolean;
  /** Which parameter set this is, if one. */
  parameterSet: 'vps' | 'sps' | 'pps' | undefined;
}

/** A random-access point found by indexing the stream. */
export interface H26xKeyFrame {
  /** Number of the access unit (0 = first of the stream). */
  accessUnit: number;
  /** Its presentation time, µs. */
  presentationTime: number;
  /** Byte offset of its first NAL unit's start code (`00 00 01`) in the stream. */
  byteOffset: number;
}

/** The result of indexing a whole stream (one pass over a duplicate of the input). */
export interface H26xStreamIndex {
  /** Number of access units (pictures). */
  accessUnitCount: number;
  /** Presentation time just after the last access unit, µs. */
  durationUs: number;
  /** Key access units, in stream order. */
  keyFrames: readonly H26xKeyFrame[];
}

/** What {@link H26xVideoStreamFramer.probe} learns of a stream without playing it. */
export interface H26xStreamInfo {
  /** Last VPS/SPS/PPS NAL units seen (bytes without start code), for SDP. */
  vps: Uint8Array | undefined;
  sps: Uint8Array | undefined;
  pps: Uint8Array | undefined;
  /** RFC 6184 `profile-level-id` (H.264 only). */
  profileLevelId: string | undefined;
  width: number | undefined;
  height: number | undefined;
  /** Frame rate in use (SPS timing, else the default). */
  frameRate: number;
  /** Duration in seconds, and the index it came from (undefined for a non-seekable input). */
  durationSeconds: number | undefined;
  index: H26xStreamIndex | undefined;
}

type TimingState = H26xTiming;
type IndexEntry = H26xKeyFrameEntry;

interface BuiltIndex {
  result: H26xStreamIndex;
  table: H26xKeyFrameTable;
}

interface ScanResult {
  index: BuiltIndex;
  vps: Uint8Array | undefined;
  sps: Uint8Array | undefined;
  pps: Uint8Array | undefined;
}

/**
 * Bytes per read when a framer opens a file itself: large enough that the cost of a read system
 * call (or, with `blockingReads: false`, of a thread-pool round trip: tens of µs of CPU, up to a
 * few hundred on a busy VM) is shared by a thousand or more RTP packets (measured: 64 KiB reads
 * cost a third more per packet); small enough that a stream holds about 1 MiB (the chunk in use
 * and the next one) — shared with every other stream reading the same part of the same file.
 */
export const H26X_FILE_CHUNK_SIZE = 512 * 1024;

/**
 * Indexes of files by (framer class, default rate, size, mtime, path): concurrent first requests
 * share one scan; at most 64 files and 16 MiB (28 bytes a key frame), least recently used
 * evicted first.
 */
export const h26xIndexCache = new FileIndexCache<unknown>(
  (v) => {
    const r = v as ScanResult;
    return r.index.table.byteLength + (r.vps?.length ?? 0) + (r.sps?.length ?? 0) + (r.pps?.length ?? 0) + 256;
  },
  64,
  16 << 20,
);
/**
 * Bytes of an input chunk parsed at a time while playing: NAL units are found as they are needed,
 * so the queue holds those of a slice, not of a whole chunk (a low-bitrate file's 512 KiB chunk
 * holds well over a thousand NAL units). A NAL unit across slices is still a view of the chunk.
 */
const PARSE_SLICE = 16 * 1024;
/** More NAL units than any picture can have slices (8K H.264 has 139264 macroblocks). */
const MAX_NALS_PER_ACCESS_UNIT = 1 << 18;

/**
 * The common part of live555's H264/H265VideoStreamFramer: splits an Annex-B byte stream (from a
 * {@link ByteStreamFileSource} or any source of byte chunks) into NAL units and delivers ONE NAL
 * unit per frame, grouped into access units:
 *
 * - `data` is the NAL unit without start code: a view of the input chunk, copied once only when
 *   it straddles two chunks;
 * - every NAL unit of an access unit has the same `presentationTime`; `endOfAccessUnit` is `false`
 *   on all but the last, whose `duration` is the frame duration (the others have 0);
 * - `key` is true on all NAL units of an IDR/IRAP access unit;
 * - presentation times start at 0 and advance by one frame duration per access unit, from the SPS
 *   timing information when present, else `defaultFrameRate` (25).
 *
 * The latest parameter sets seen are kept ({@link sps}, {@link pps}, {@link vps}) for the SDP;
 * {@link prepare} finds them before playing, and (for seekable inputs) indexes the key frames so
 * that {@link seekToNPT} and {@link durationSeconds} work.
 */
export abstract class H26xVideoStreamFramer extends FramedFilter {
  readonly #options: Required<H26xVideoStreamFramerOptions>;
  readonly #parser: AnnexBParser;
  /** The NAL units found and not delivered yet: those ready, then the access unit being gathered. */
  readonly #queue = new H26xFrameQueue();
  /** The access unit being gathered: its bytes, whether it has a picture, a key picture, its first byte. */
  #auBytes = 0;
  #auHasVCL = false;
  #auKey = false;
  #auOffset = 0;
  /** The recycled chunk the NAL units the parser is about to hand over are views of. */
  #nalChunk: SharedChunk | undefined;
  readonly #nalSink: AnnexBNalSink = { nalUnit: (data, offset, inChunk) => this.#onNal(data, offset, inChunk) };
  /** Recycled chunks the parser still holds bytes of (a NAL unit not complete yet), oldest first. */
  #held: SharedChunk[] = [];
  /** The input chunk being parsed a slice at a time (null: none), its tracker, and how far it is parsed. */
  #current: Frame | null = null;
  #currentUse: SharedChunk | undefined;
  #currentPos = 0;
  #ended = false;
  #bytesSeen = 0;
  #nalsSeen = 0;
  #n = 0;
  #timing: TimingState;
  #vps: Uint8Array | undefined;
  #sps: Uint8Array | undefined;
  #pps: Uint8Array | undefined;
  #index: BuiltIndex | undefined;
  #recording: H26xKeyFrameTableBuilder | undefined;
  #preparing: Promise<void> | undefined;
  #pendingSeek: { npt: number } | { entry: IndexEntry | null } | undefined;
  #fileKey: string | undefined;

  constructor(inputSource: FramedSource, options: H26xVideoStreamFramerOptions = {}) {
    super(inputSource);
    const defaultFrameRate = options.defaultFrameRate ?? 25;
    if (!(defaultFrameRate > 0 && defaultFrameRate <= 1000)) {
      throw new DorsvrError('ERR_H26X_OPTIONS', `defaultFrameRate must be in (0, 1000], got ${defaultFrameRate}`);
    }
    this.#options = {
      defaultFrameRate,
      maxNalSize: limitOption(options.maxNalSize, 16 * 1024 * 1024, 'maxNalSize', 'ERR_H26X_OPTIONS'),
      maxAccessUnitSize: limitOption(options.maxAccessUnitSize, 64 * 1024 * 1024, 'maxAccessUnitSize', 'ERR_H26X_OPTIONS'),
      maxPrepareBytes: limitOption(options.maxPrepareBytes, 8 * 1024 * 1024, 'maxPrepareBytes', 'ERR_H26X_OPTIONS'),
    };
    // NAL units across chunk boundaries of a file: one copy shared by every framer of that file.
    const copies = new SharedNalCopies(() => this.#fileVersion());
    this.#parser = new AnnexBParser({ maxNalSize: this.#options.maxNalSize, copies });
    this.#timing = { pt0: 0, n0: 0, frameDurationUs: 1e6 / defaultFrameRate };
  }

  /** What names the version of the file read (path, inode, size, mtime), once it is open; undefined for other inputs. */
  #fileVersion(): string | undefined {
    if (this.#fileKey !== undefined) return this.#fileKey;
    const input = this.inputSource;
    if (!(input instanceof ByteStreamFileSource) || input.fileSize === undefined) return undefined;
    this.#fileKey = `${input.inode ?? 0}\0${input.fileSize}\0${input.mtimeMs ?? 0}\0${input.path}`;
    return this.#fileKey;
  }

  // ---- codec hooks ----

  /**
   * Classify a NAL unit (pure with respect to the stream: must not store parameter sets). The
   * result is read at once, before the next call, so an implementation may refill one object.
   */
  protected abstract classifyNal(nal: Uint8Array): H26xNalInfo;
  /**
   * Take in a NAL unit once it is placed in its access unit: parse parameter sets, remember slice
   * state. Called for every NAL unit not dropped.
   */
  protected abstract absorbNal(nal: Uint8Array, info: H26xNalInfo): void;
  /** Forget per-picture state (after a seek). */
  protected abstract resetPictureState(): void;
  /** Frame rate the current SPS (or VPS) declares, if any. */
  protected abstract get declaredFrameRate(): number | undefined;
  /** Display width from the SPS, when one was seen. */
  abstract get width(): number | undefined;
  /** Display height from the SPS, when one was seen. */
  abstract get height(): number | undefined;
  /** RFC 6184 `profile-level-id` (H.264); undefined for H.265 (see its `profileTierLevel`). */
  abstract get profileLevelId(): string | undefined;
  /** True once every parameter set the SDP needs was seen. */
  protected abstract get hasParameterSets(): boolean;

  /**
   * Store a parameter set; subclasses call this from {@link absorbNal}. Kept as a small copy so it
   * does not pin a whole input chunk for the life of the stream.
   */
  protected storeParameterSet(kind: 'vps' | 'sps' | 'pps', nal: Uint8Array): void {
    const prev = kind === 'vps' ? this.#vps : kind === 'sps' ? this.#sps : this.#pps;
    const copy = parameterSetCopy(prev, nal);
    if (copy === prev) return; // unchanged: the same object, as absorbNal checks
    if (kind === 'vps') this.#vps = copy;
    else if (kind === 'sps') this.#sps = copy;
    else this.#pps = copy;
  }

  // ---- public state ----

  /** Last VPS NAL unit seen (H.265), without start code. */
  get vps(): Uint8Array | undefined {
    return this.#vps;
  }
  /** Last SPS NAL unit seen, without start code (for `sprop-parameter-sets` / `sprop-sps`). */
  get sps(): Uint8Array | undefined {
    return this.#sps;
  }
  /** Last PPS NAL unit seen, without start code. */
  get pps(): Uint8Array | undefined {
    return this.#pps;
  }
  /** Frames per second in use: the SPS timing info when present and sane, else `defaultFrameRate`. */
  get frameRate(): number {
    const r = this.declaredFrameRate;
    return r !== undefined && r >= 0.01 && r <= 1000 ? r : this.#options.defaultFrameRate;
  }
  /** The key-frame index, once {@link prepare} built it (seekable inputs only). */
  get index(): H26xStreamIndex | undefined {
    return this.#index?.result;
  }

  /**
   * Learn the stream without playing it: for a seekable input (file, memory), one pass over a
   * duplicate of the input builds the key-frame index and duration and finds the parameter sets;
   * for another input, reads ahead (up to `maxPrepareBytes`, keeping what it read for delivery)
   * until the parameter sets are seen. Idempotent; call it before building the SDP.
   */
  prepare(): Promise<void> {
    this.#preparing ??= this.#prepare();
    return this.#preparing;
  }

  async #prepare(): Promise<void> {
    const input = this.inputSource;
    // Whether a file can be indexed (regular file) or only read ahead (pipe) is known once open.
    if (input instanceof ByteStreamFileSource) await input.openFile();
    if (isSeekableByteStream(input)) {
      // Files: reuse the index of an unchanged file (a server opens one framer per client).
      // Concurrent first requests (ten DESCRIBEs at once) wait for the one scan.
      let scanned: ScanResult;
      if (input instanceof ByteStreamFileSource && input.fileSize !== undefined) {
        // Size and mtime of what is open (its fstat): no second system call.
        const key = fileIndexKey(`${this.constructor.name}\0${this.#options.defaultFrameRate}`, input.path, input.fileSize, input.mtimeMs, input.inode);
        // The scan reads a duplicate of its own: a first client leaving does not cut it short for the others.
        scanned = (await h26xIndexCache.get(key, () => this.#scan(input.duplicate()))) as ScanResult;
      } else scanned = await this.#scan(input.duplicate());
      this.#index = scanned.index;
      // Adopt the parameter sets unless playing already saw some.
      for (const kind of ['vps', 'sps', 'pps'] as const) {
        const nal = scanned[kind];
        if (nal && this[kind] === undefined) this.absorbNal(nal, this.classifyNal(nal));
      }
      return;
    }
    if (this.isCurrentlyAwaitingData) {
      throw new DorsvrError('ERR_SOURCE_BUSY', `${this.constructor.name}.prepare(): a read is outstanding`);
    }
    const limit = this.#bytesSeen + this.#options.maxPrepareBytes;
    while (!this.hasParameterSets && !this.#ended && this.#bytesSeen < limit) await this.#pump();
  }

  /** One pass over `source` (closed after): key frames, duration, last parameter sets. */
  async #scan(source: FramedSource): Promise<ScanResult> {
    const Ctor = this.constructor as new (src: FramedSource, o: H26xVideoStreamFramerOptions) => H26xVideoStreamFramer;
    const twin = new Ctor(source, this.#options);
    try {
      twin.#recording = new H26xKeyFrameTableBuilder();
      while (!twin.#ended) {
        const pumping = twin.#pump();
        // A file answers at once (blocking reads): the event loop still gets a turn per chunk, so a
        // server indexing a long file keeps serving its other clients meanwhile.
        await (pumping ?? new Promise<void>((resolve) => setImmediate(resolve)));
      }
      const table = twin.#recording.finish();
      const durationUs = twin.#ptOf(twin.#n);
      const accessUnitCount = twin.#n;
      debug('indexed: %d access units, %d key frames, %d µs', accessUnitCount, table.count, durationUs);
      return {
        index: {
          table,
          result: {
            accessUnitCount,
            durationUs,
            // Objects only for whoever asks: the table itself is typed arrays.
            get keyFrames(): readonly H26xKeyFrame[] {
              return Array.from({ length: table.count }, (_, i) => {
                const { accessUnit, presentationTime, byteOffset } = table.entry(i);
                return { accessUnit, presentationTime, byteOffset };
              });
            },
          },
        },
        vps: twin.#vps,
        sps: twin.#sps,
        pps: twin.#pps,
      };
    } finally {
      twin.close();
    }
  }

  /**
   * Learn a stream's parameter sets, size, frame rate and duration without playing it (the server
   * needs them for the SDP before PLAY). `input` is a file path, bytes, or a seekable byte-stream
   * source (left untouched: a duplicate is read).
   */
  static async probe(
    this: new (input: FramedSource, options?: H26xVideoStreamFramerOptions) => H26xVideoStreamFramer,
    input: string | Uint8Array | (FramedSource & SeekableByteStream),
    options: H26xVideoStreamFramerOptions = {},
  ): Promise<H26xStreamInfo> {
    const src =
      typeof input === 'string'
        ? await ByteStreamFileSource.open(input, { chunkSize: H26X_FILE_CHUNK_SIZE })
        : input instanceof Uint8Array
          ? new ByteStreamMemorySource(input)
          : input.duplicate();
    const framer = new this(src, options);
    try {
      await framer.prepare();
      return {
        vps: framer.vps,
        sps: framer.sps,
        pps: framer.pps,
        profileLevelId: framer.profileLevelId,
        width: framer.width,
        height: framer.height,
        frameRate: framer.frameRate,
        durationSeconds: framer.durationSeconds(),
        index: framer.index,
      };
    } finally {
      framer.close();
    }
  }

  // ---- seeking ----

  /**
   * Seek to the key frame at or before `npt` seconds; returns its time (the presentation times of
   * the frames that follow start there). Null when the input cannot seek. Without an index (no
   * {@link prepare} yet) the index is built at the next read and `npt` itself is returned. Seek
   * between reads: a read already outstanding may still deliver one frame from before the seek.
   */
  override seekToNPT(npt: number): number | null {
    if (!isSeekableByteStream(this.inputSource)) return null;
    const target = Number.isFinite(npt) && npt > 0 ? npt : 0;
    if (!this.#index) {
      this.#pendingSeek = { npt: target };
      return target;
    }
    const entry = this.#findEntry(target);
    if (this.isCurrentlyAwaitingData) this.#pendingSeek = { entry };
    else this.#applySeek(entry);
    return entry ? entry.presentationTime / 1e6 : 0;
  }

  override durationSeconds(): number | undefined {
    return this.#index ? this.#index.result.durationUs / 1e6 : undefined;
  }

  #findEntry(npt: number): IndexEntry | null {
    const table = this.#index?.table;
    if (!table) return null;
    const i = table.findAtOrBefore(npt * 1e6 + 0.5);
    return i < 0 ? null : table.entry(i);
  }

  /** Restart at `entry` (null: the start of the stream). */
  #applySeek(entry: IndexEntry | null): void {
    const input = this.inputSource as FramedSource & SeekableByteStream;
    const offset = entry ? entry.byteOffset : 0;
    input.seekToByte(offset);
    // What was read before the seek is dropped: let go of its chunks.
    this.#queue.clear();
    this.#currentUse?.release();
    this.#current = null;
    this.#currentUse = undefined;
    this.#releaseHeld(true);
    this.#parser.reset(offset);
    this.#resetAccessUnit();
    this.#ended = false;
    this.#n = entry ? entry.accessUnit : 0;
    this.#timing = entry ? { ...entry.timing } : { pt0: 0, n0: 0, frameDurationUs: 1e6 / this.frameRate };
    this.resetPictureState();
    this.#pendingSeek = undefined;
    debug('seek to byte %d, access unit %d', offset, this.#n);
  }

  async #applyPendingSeek(): Promise<void> {
    const pending = this.#pendingSeek;
    if (!pending) return;
    if ('npt' in pending) {
      await this.prepare();
      if (!isSeekableByteStream(this.inputSource)) {
        this.#pendingSeek = undefined; // a pipe after all: nothing to seek
        return;
      }
      this.#applySeek(this.#findEntry(pending.npt));
    } else this.#applySeek(pending.entry);
  }

  // ---- reading ----

  protected readFrame(): Frame | null | Promise<Frame | null> {
    // The NAL units of a chunk are parsed a slice at a time, as they are needed: every read but
    // the one that needs the next chunk is answered synchronously.
    if (this.#pendingSeek === undefined) {
      for (;;) {
        if (this.#queue.readyCount > 0) return this.#queue.take();
        if (this.#current === null) break;
        this.#feedSlice();
      }
    }
    return this.#readFrameAsync();
  }

  async #readFrameAsync(): Promise<Frame | null> {
    for (;;) {
      if (this.#pendingSeek) await this.#applyPendingSeek();
      if (this.#queue.readyCount > 0) return this.#queue.take();
      if (this.#ended || this.closed) return null;
      const pumping = this.#pump();
      if (pumping !== undefined) await pumping;
    }
  }

  /**
   * Parse the next slice of the current chunk, or read the next input chunk and parse (a slice
   * of) it: turn what that completes into frames (synchronously if the input can).
   */
  #pump(): void | Promise<void> {
    if (this.#current !== null) {
      this.#feedSlice();
      return;
    }
    const chunk = this.inputSource.pullFrame();
    if (chunk instanceof Promise) return chunk.then(this.#onChunk);
    this.#onChunk(chunk);
  }

  /** Parse the current chunk's next slice (all the rest of it when indexing); let go of the chunk after its last. */
  #feedSlice(): void {
    const data = this.#current!.data;
    const start = this.#currentPos;
    const end = this.#recording !== undefined || data.length - start <= PARSE_SLICE ? data.length : start + PARSE_SLICE;
    this.#nalChunk = this.#currentUse;
    this.#parser.pushSliceTo(data, start, end, this.#nalSink);
    this.#nalChunk = undefined;
    this.#currentPos = end;
    this.#releaseHeld(false);
    if (end === data.length) {
      const use = this.#currentUse;
      this.#current = null;
      this.#currentUse = undefined;
      if (use !== undefined) {
        if (this.#parser.retains(data)) this.#held.push(use);
        else use.release();
      }
    }
  }

  readonly #onChunk = (chunk: Frame | null): void => {
    if (this.#pendingSeek) {
      if (chunk !== null) chunk.owner?.releaseFrame(chunk);
      return; // stale: the seek restarts the input
    }
    if (chunk === null) {
      // The last NAL unit, when it is a view, is one of the last chunk the parser held.
      this.#nalChunk = this.#held[this.#held.length - 1];
      this.#parser.endTo(this.#nalSink);
      this.#nalChunk = undefined;
      this.#releaseHeld(true);
      this.#completeAccessUnit();
      this.#ended = true;
      if (this.#nalsSeen === 0 && this.#bytesSeen > 0) {
        throw new DorsvrError(
          'ERR_H26X_NO_NAL_UNITS',
          `${this.constructor.name}: ${this.#bytesSeen} bytes without any Annex-B start code (not an H.264/H.265 byte stream)`,
        );
      }
      return;
    }
    this.#bytesSeen += chunk.data.length;
    if (chunk.data.length === 0) {
      chunk.owner?.releaseFrame(chunk);
      return;
    }
    this.#current = chunk;
    this.#currentUse = SharedChunk.from(chunk);
    this.#currentPos = 0;
    this.#feedSlice();
  };

  /** Let go of the chunks the parser no longer holds bytes of (all of them with `all`). */
  #releaseHeld(all: boolean): void {
    const held = this.#held;
    if (held.length === 0) return;
    let keep = 0;
    for (const use of held) {
      if (!all && this.#parser.retains(use.chunk.data)) held[keep++] = use;
      else use.release();
    }
    held.length = keep;
  }

  /** Place one NAL unit (`inChunk`: a view of the chunk being parsed, `#nalChunk`). */
  #onNal(data: Uint8Array, offset: number, inChunk: boolean): void {
    const info = this.classifyNal(data);
    if (info.drop) {
      debug('dropping NAL unit at byte %d (header %d)', offset, data[0]);
      return;
    }
    this.#nalsSeen++;
    if (this.#auHasVCL && (info.startsAccessUnit || (info.vcl && info.firstSliceOfPicture))) this.#completeAccessUnit();
    if (this.#queue.pendingCount === 0) this.#auOffset = offset;
    this.#queue.push(data, inChunk ? this.#nalChunk?.cut() : undefined);
    this.#auBytes += data.length;
    if (this.#auBytes > this.#options.maxAccessUnitSize || this.#queue.pendingCount > MAX_NALS_PER_ACCESS_UNIT) {
      throw new DorsvrError(
        'ERR_H26X_AU_TOO_LARGE',
        `access unit at byte ${this.#auOffset} exceeds ${this.#options.maxAccessUnitSize} bytes or ${MAX_NALS_PER_ACCESS_UNIT} NAL units`,
      );
    }
    if (info.vcl) this.#auHasVCL = true;
    if (info.key) this.#auKey = true;
    this.absorbNal(data, info);
  }

  #ptOf(n: number): number {
    const t = this.#timing;
    return t.pt0 + Math.round((n - t.n0) * t.frameDurationUs);
  }

  #resetAccessUnit(): void {
    this.#auBytes = 0;
    this.#auHasVCL = false;
    this.#auKey = false;
  }

  /** Time the access unit gathered and make its frames ready (or, indexing, record a key frame). */
  #completeAccessUnit(): void {
    if (this.#queue.pendingCount === 0) return;
    const hasVCL = this.#auHasVCL;
    const key = this.#auKey;
    this.#resetAccessUnit();
    const n = this.#n;
    const frameDurationUs = 1e6 / this.frameRate;
    if (hasVCL && frameDurationUs !== this.#timing.frameDurationUs) {
      this.#timing = { pt0: this.#ptOf(n), n0: n, frameDurationUs };
    }
    const pt = this.#ptOf(n);
    // A trailing access unit without a picture (e.g. end-of-stream NAL units) takes no time.
    const duration = hasVCL ? this.#ptOf(n + 1) - pt : 0;
    if (hasVCL) this.#n++;
    if (this.#recording) {
      // Indexing only: nothing is delivered.
      this.#queue.dropPending();
      if (key && hasVCL) {
        this.#recording.push(n, pt, Math.max(0, this.#auOffset - 3), this.#timing);
      }
      return;
    }
    this.#queue.completeAccessUnit(pt, duration, key);
  }
}
