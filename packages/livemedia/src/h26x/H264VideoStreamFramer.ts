import createDebug from 'debug';
import { ByteStreamFileSource } from '../sources/ByteStreamFileSource.js';
import { H264NalUnitType as T } from './H264NalUnit.js';
import { parseH264PPSIds, parseH264SliceHeaderStart, parseH264SPS, type H264SliceHeaderStart, type H264SPS } from './H264SPS.js';
import { H26X_FILE_CHUNK_SIZE, H26xVideoStreamFramer, type H26xNalInfo, type H26xVideoStreamFramerOptions } from './H26xVideoStreamFramer.js';

const debug = createDebug('dorsvr:livemedia:h26x');

interface SliceState {
  frameNum: number | undefined;
  ppsId: number;
  idr: boolean;
  refIdcZero: boolean;
  /** False while only the bytes below are known (a first slice is parsed when a later one needs it). */
  parsed: boolean;
  /** The NAL unit's first bytes (header and slice header start), kept for that parse. */
  readonly head: Uint8Array;
  headLength: number;
}

/**
 * Bytes of a first slice's NAL unit kept for the fields compared: the NAL header, then at most 43
 * bits (slice_type ≤ 9, pic_parameter_set_id ≤ 255, colour_plane_id, frame_num ≤ 16 bits after
 * first_mb_in_slice = 0), with room for the emulation-prevention bytes 6 bytes can hold.
 */
const SLICE_HEAD = 12;

function newSliceState(): SliceState {
  return { frameNum: undefined, ppsId: 0, idr: false, refIdcZero: false, parsed: true, head: new Uint8Array(SLICE_HEAD), headLength: 0 };
}

/**
 * live555's H264VideoStreamFramer: an H.264 Annex-B byte stream in, one NAL unit per frame out,
 * with access-unit boundaries (7.4.1.2.3: AUD, SPS, PPS, SEI, types 14–18 after a picture, or a
 * slice that starts a new picture), key frames on IDR access units, and timing from the SPS. See
 * {@link H26xVideoStreamFramer} for the frame contract.
 */
export class H264VideoStreamFramer extends H26xVideoStreamFramer {
  #spsInfo: H264SPS | undefined;
  readonly #spsById = new Map<number, H264SPS>();
  readonly #spsIdOfPps = new Map<number, number>();
  /** The last slice placed in an access unit, and the one just classified (two objects, swapped). */
  #last: SliceState = newSliceState();
  #hasLast = false;
  #candidate: SliceState = newSliceState();
  #hasCandidate = false;
  readonly #header: H264SliceHeaderStart = { firstMbInSlice: 0, sliceType: 0, ppsId: 0, frameNum: undefined };
  readonly #lastHeader: H264SliceHeaderStart = { firstMbInSlice: 0, sliceType: 0, ppsId: 0, frameNum: undefined };
  readonly #info: H26xNalInfo = {
    drop: false,
    vcl: false,
    firstSliceOfPicture: false,
    startsAccessUnit: false,
    key: false,
    parameterSet: undefined,
  };
  /** The SPS a slice's PPS refers to (else the last one seen), for the slice header parser. */
  readonly #spsOfPps = (ppsId: number): H264SPS | undefined => {
    // Slices of a stream nearly always name the same PPS: the answer is kept until a parameter set
    // changes.
    if (ppsId === this.#cachedPpsId) return this.#cachedSps;
    const spsId = this.#spsIdOfPps.get(ppsId);
    const sps = (spsId !== undefined ? this.#spsById.get(spsId) : undefined) ?? this.#spsInfo;
    this.#cachedPpsId = ppsId;
    this.#cachedSps = sps;
    return sps;
  };
  #cachedPpsId = -1;
  #cachedSps: H264SPS | undefined;

  /** Open an H.264 file, index it and learn its parameter sets (rejects `ERR_FILE_OPEN`…). */
  static async open(path: string, options: H26xVideoStreamFramerOptions = {}): Promise<H264VideoStreamFramer> {
    const framer = new H264VideoStreamFramer(await ByteStreamFileSource.open(path, { chunkSize: H26X_FILE_CHUNK_SIZE }), options);
    try {
      await framer.prepare();
    } catch (err) {
      framer.close();
      throw err;
    }
    return framer;
  }

  /** The last SPS seen, parsed. */
  get spsInfo(): H264SPS | undefined {
    return this.#spsInfo;
  }
  get width(): number | undefined {
    return this.#spsInfo?.width;
  }
  get height(): number | undefined {
    return this.#spsInfo?.height;
  }
  get profileLevelId(): string | undefined {
    return this.#spsInfo?.profileLevelId;
  }
  protected get declaredFrameRate(): number | undefined {
    return this.#spsInfo?.frameRate;
  }
  protected get hasParameterSets(): boolean {
    return this.sps !== undefined && this.pps !== undefined;
  }

  protected classifyNal(nal: Uint8Array): H26xNalInfo {
    const b = nal[0]!;
    const type = b & 0x1f;
    // One object per framer, refilled per NAL unit: the base class reads it at once.
    const info = this.#info;
    info.drop = (b & 0x80) !== 0 || type === 0 || (type >= 24 && type <= 29);
    info.vcl = type >= T.NonIDRSlice && type <= T.IDRSlice;
    info.firstSliceOfPicture = false;
    info.startsAccessUnit =
      type === T.AUD || type === T.SPS || type === T.PPS || type === T.SEI || (type >= 14 && type <= 18);
    info.key = type === T.IDRSlice;
    info.parameterSet = type === T.SPS ? 'sps' : type === T.PPS ? 'pps' : undefined;
    this.#hasCandidate = false;
    const slice = type === T.NonIDRSlice || type === T.IDRSlice || type === T.SlicePartitionA;
    if (slice && nal.length >= 2 && (nal[1]! & 0x80) !== 0) {
      // first_mb_in_slice is 0 (its ue(v) code is the single bit 1): a new picture, whatever the
      // rest says. The rest matters only if a later slice of a picture does not start at
      // macroblock 0, so it is parsed then, from a copy of these bytes (most streams never need it).
      info.firstSliceOfPicture = true;
      const cur = this.#candidate;
      const n = nal.length < SLICE_HEAD ? nal.length : SLICE_HEAD;
      const head = cur.head;
      for (let i = 0; i < n; i++) head[i] = nal[i]!;
      cur.headLength = n;
      cur.parsed = false;
      cur.idr = type === T.IDRSlice;
      cur.refIdcZero = (b & 0x60) === 0;
      this.#hasCandidate = true;
    } else if (slice) {
      try {
        const h = parseH264SliceHeaderStart(nal, this.#spsOfPps, this.#header);
        const cur = this.#candidate;
        cur.frameNum = h.frameNum;
        cur.ppsId = h.ppsId;
        cur.idr = type === T.IDRSlice;
        cur.refIdcZero = (b & 0x60) === 0;
        cur.parsed = true;
        const prev = this.#hasLast && this.#parseLast() ? this.#last : undefined;
        info.firstSliceOfPicture =
          h.firstMbInSlice === 0 ||
          (prev !== undefined &&
            (prev.ppsId !== cur.ppsId ||
              prev.idr !== cur.idr ||
              prev.refIdcZero !== cur.refIdcZero ||
              (prev.frameNum !== undefined && cur.frameNum !== undefined && prev.frameNum !== cur.frameNum)));
        this.#hasCandidate = true;
      } catch (err) {
        debug('unparsable slice header: %s', (err as Error).message);
      }
    }
    return info;
  }

  /** Parse the last slice's header if only its bytes were kept; false when they do not parse. */
  #parseLast(): boolean {
    const last = this.#last;
    if (last.parsed) return true;
    try {
      const h = parseH264SliceHeaderStart(last.head.subarray(0, last.headLength), this.#spsOfPps, this.#lastHeader);
      last.frameNum = h.frameNum;
      last.ppsId = h.ppsId;
      last.parsed = true;
      return true;
    } catch (err) {
      debug('unparsable slice header: %s', (err as Error).message);
      this.#hasLast = false;
      return false;
    }
  }

  protected absorbNal(nal: Uint8Array, info: H26xNalInfo): void {
    if (info.vcl) {
      if (this.#hasCandidate) {
        // The candidate becomes the last slice; the old last object is reused as the next candidate.
        const last = this.#last;
        this.#last = this.#candidate;
        this.#candidate = last;
        this.#hasLast = true;
        this.#hasCandidate = false;
      }
      return;
    }
    // A parameter set identical to the last one (stored as the same object) was parsed already:
    // streams repeat them before every key frame.
    if (info.parameterSet === 'sps') {
      const before = this.sps;
      this.storeParameterSet('sps', nal);
      if (before !== undefined && this.sps === before) return;
      try {
        const sps = parseH264SPS(nal);
        this.#spsInfo = sps;
        this.#spsById.set(sps.spsId, sps);
        this.#cachedPpsId = -1;
      } catch (err) {
        debug('unparsable SPS: %s', (err as Error).message);
      }
    } else if (info.parameterSet === 'pps') {
      const before = this.pps;
      this.storeParameterSet('pps', nal);
      if (before !== undefined && this.pps === before) return;
      try {
        const ids = parseH264PPSIds(nal);
        this.#spsIdOfPps.set(ids.ppsId, ids.spsId);
        this.#cachedPpsId = -1;
      } catch (err) {
        debug('unparsable PPS: %s', (err as Error).message);
      }
    }
  }

  protected resetPictureState(): void {
    this.#hasLast = false;
    this.#hasCandidate = false;
  }
}
