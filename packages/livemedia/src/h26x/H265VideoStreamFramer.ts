import createDebug from 'debug';
import { ByteStreamFileSource } from '../sources/ByteStreamFileSource.js';
import { isH265IRAP, H265NalUnitType as T } from './H265NalUnit.js';
import { parseH265SPS, parseH265VPS, type H265ProfileTierLevel, type H265SPS, type H265VPS } from './H265ParameterSets.js';
import { H26X_FILE_CHUNK_SIZE, H26xVideoStreamFramer, type H26xNalInfo, type H26xVideoStreamFramerOptions } from './H26xVideoStreamFramer.js';

const debug = createDebug('dorsvr:livemedia:h26x');

/**
 * live555's H265VideoStreamFramer: an H.265 Annex-B byte stream in, one NAL unit per frame out,
 * with access-unit boundaries (7.4.2.4.4: AUD, VPS, SPS, PPS, prefix SEI, types 41–44 and 48–55
 * after a picture, or a slice segment with first_slice_segment_in_pic_flag), key frames on IRAP
 * access units, and timing from the SPS (else VPS) VUI. See {@link H26xVideoStreamFramer}.
 */
export class H265VideoStreamFramer extends H26xVideoStreamFramer {
  #vpsInfo: H265VPS | undefined;
  #spsInfo: H265SPS | undefined;

  /** Open an H.265 file, index it and learn its parameter sets (rejects `ERR_FILE_OPEN`…). */
  static async open(path: string, options: H26xVideoStreamFramerOptions = {}): Promise<H265VideoStreamFramer> {
    const framer = new H265VideoStreamFramer(await ByteStreamFileSource.open(path, { chunkSize: H26X_FILE_CHUNK_SIZE }), options);
    try {
      await framer.prepare();
    } catch (err) {
      framer.close();
      throw err;
    }
    return framer;
  }

  /** The last VPS seen, parsed. */
  get vpsInfo(): H265VPS | undefined {
    return this.#vpsInfo;
  }
  /** The last SPS seen, parsed. */
  get spsInfo(): H265SPS | undefined {
    return this.#spsInfo;
  }
  /** General profile/tier/level (RFC 7798 `profile-id`, `tier-flag`, `level-id`, …), from the SPS else VPS. */
  get profileTierLevel(): H265ProfileTierLevel | undefined {
    return this.#spsInfo?.profileTierLevel ?? this.#vpsInfo?.profileTierLevel;
  }
  get width(): number | undefined {
    return this.#spsInfo?.width;
  }
  get height(): number | undefined {
    return this.#spsInfo?.height;
  }
  /** Undefined: H.265 has no `profile-level-id`; see {@link profileTierLevel}. */
  get profileLevelId(): string | undefined {
    return undefined;
  }
  protected get declaredFrameRate(): number | undefined {
    if (this.#spsInfo?.frameRate !== undefined) return this.#spsInfo.frameRate;
    const t = this.#vpsInfo?.timing;
    return t && t.numUnitsInTick > 0 && t.timeScale > 0 ? t.timeScale / t.numUnitsInTick : undefined;
  }
  protected get hasParameterSets(): boolean {
    return this.vps !== undefined && this.sps !== undefined && this.pps !== undefined;
  }

  protected classifyNal(nal: Uint8Array): H26xNalInfo {
    const b = nal[0]!;
    const type = (b >> 1) & 0x3f;
    const vcl = type <= 31;
    return {
      drop: (b & 0x80) !== 0 || nal.length < 2 || type === T.AP || type === T.FU || type === T.PACI,
      vcl,
      // first_slice_segment_in_pic_flag: the first bit after the 2-byte header.
      firstSliceOfPicture: vcl && nal.length > 2 && (nal[2]! & 0x80) !== 0,
      startsAccessUnit:
        type === T.AUD ||
        type === T.VPS ||
        type === T.SPS ||
        type === T.PPS ||
        type === T.PrefixSEI ||
        (type >= 41 && type <= 44) ||
        (type >= 48 && type <= 55),
      key: isH265IRAP(type),
      parameterSet: type === T.VPS ? 'vps' : type === T.SPS ? 'sps' : type === T.PPS ? 'pps' : undefined,
    };
  }

  protected absorbNal(nal: Uint8Array, info: H26xNalInfo): void {
    const kind = info.parameterSet;
    if (kind === undefined) return;
    this.storeParameterSet(kind, nal);
    try {
      if (kind === 'vps') this.#vpsInfo = parseH265VPS(nal);
      else if (kind === 'sps') this.#spsInfo = parseH265SPS(nal);
    } catch (err) {
      debug('unparsable %s: %s', kind, (err as Error).message);
    }
  }

  protected resetPictureState(): void {}
}
