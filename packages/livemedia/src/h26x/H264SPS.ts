import { DorsvrError } from '@dorsvr/scheduler';
import { BitReader } from './BitReader.js';
import { findEmulationPrevention, removeEmulationPrevention } from './removeEmulationPrevention.js';

/** VUI timing information (H.264 E.1.1 / H.265 E.2.1). */
export interface VideoTimingInfo {
  numUnitsInTick: number;
  timeScale: number;
  /** H.264 `fixed_frame_rate_flag`; H.265 `vui_poc_proportional_to_timing_flag`. */
  fixedFrameRate: boolean;
}

/** What an H.264 sequence parameter set says that streaming needs. */
export interface H264SPS {
  profileIdc: number;
  /** The byte of constraint_set0..5 flags (and reserved bits), as in `profile-level-id`. */
  constraintFlags: number;
  levelIdc: number;
  /** RFC 6184 `profile-level-id`: six hex digits, profile_idc, constraint byte, level_idc. */
  profileLevelId: string;
  spsId: number;
  chromaFormatIdc: number;
  separateColourPlane: boolean;
  bitDepthLuma: number;
  bitDepthChroma: number;
  log2MaxFrameNum: number;
  picOrderCntType: number;
  maxNumRefFrames: number;
  frameMbsOnly: boolean;
  /** Displayed size, cropping applied. */
  width: number;
  height: number;
  /** Frame cropping offsets in luma samples. */
  crop: { left: number; right: number; top: number; bottom: number };
  /** Sample aspect ratio when the VUI gives one. */
  sampleAspectRatio: { width: number; height: number } | undefined;
  timing: VideoTimingInfo | undefined;
  /** Frames per second from the VUI timing: time_scale / (2 · num_units_in_tick); undefined without timing. */
  frameRate: number | undefined;
}

const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

/** Table E-1: sample aspect ratios by aspect_ratio_idc. */
const SAR: ReadonlyArray<readonly [number, number]> = [
  [0, 0], [1, 1], [12, 11], [10, 11], [16, 11], [40, 33], [24, 11], [20, 11], [32, 11],
  [80, 33], [18, 11], [15, 11], [64, 33], [160, 99], [4, 3], [3, 2], [2, 1],
];

/** Reads the aspect-ratio part of a VUI (same syntax in H.264 and H.265). */
export function readAspectRatio(r: BitReader): { width: number; height: number } | undefined {
  if (!r.flag()) return undefined;
  const idc = r.u(8);
  if (idc === 255) return { width: r.u(16), height: r.u(16) };
  const s = SAR[idc];
  return s && s[0] > 0 ? { width: s[0], height: s[1] } : undefined;
}

function skipScalingList(r: BitReader, size: number): void {
  let last = 8;
  let next = 8;
  for (let j = 0; j < size; j++) {
    if (next !== 0) {
      const delta = r.se();
      next = (last + delta + 256) % 256;
    }
    last = next === 0 ? last : next;
  }
}

/**
 * Parses an H.264 SPS NAL unit (header byte included, emulation prevention still in). Throws
 * `DorsvrError` `ERR_H26X_PARSE` on a truncated or malformed SPS.
 */
export function parseH264SPS(nal: Uint8Array): H264SPS {
  if (nal.length < 4 || (nal[0]! & 0x1f) !== 7) {
    throw new DorsvrError('ERR_H26X_PARSE', 'not an H.264 SPS NAL unit');
  }
  const rbsp = removeEmulationPrevention(nal.subarray(1));
  const r = new BitReader(rbsp, 'H.264 SPS');
  const profileIdc = r.u(8);
  const constraintFlags = r.u(8);
  const levelIdc = r.u(8);
  const spsId = r.ueMax(31, 'seq_parameter_set_id');
  let chromaFormatIdc = 1;
  let separateColourPlane = false;
  let bitDepthLuma = 8;
  let bitDepthChroma = 8;
  if (HIGH_PROFILES.has(profileIdc)) {
    chromaFormatIdc = r.ueMax(3, 'chroma_format_idc');
    if (chromaFormatIdc === 3) separateColourPlane = r.flag();
    bitDepthLuma = 8 + r.ueMax(6, 'bit_depth_luma_minus8');
    bitDepthChroma = 8 + r.ueMax(6, 'bit_depth_chroma_minus8');
    r.skip(1); // qpprime_y_zero_transform_bypass_flag
    if (r.flag()) {
      const lists = chromaFormatIdc !== 3 ? 8 : 12;
      for (let i = 0; i < lists; i++) if (r.flag()) skipScalingList(r, i < 6 ? 16 : 64);
    }
  }
  const log2MaxFrameNum = 4 + r.ueMax(12, 'log2_max_frame_num_minus4');
  const picOrderCntType = r.ueMax(2, 'pic_order_cnt_type');
  if (picOrderCntType === 0) {
    r.ueMax(12, 'log2_max_pic_order_cnt_lsb_minus4');
  } else if (picOrderCntType === 1) {
    r.skip(1);
    r.se();
    r.se();
    const n = r.ueMax(255, 'num_ref_frames_in_pic_order_cnt_cycle');
    for (let i = 0; i < n; i++) r.se();
  }
  const maxNumRefFrames = r.ueMax(255, 'max_num_ref_frames');
  r.skip(1); // gaps_in_frame_num_value_allowed_flag
  const widthMbs = r.ueMax(16383, 'pic_width_in_mbs_minus1') + 1;
  const heightMapUnits = r.ueMax(16383, 'pic_height_in_map_units_minus1') + 1;
  const frameMbsOnly = r.flag();
  if (!frameMbsOnly) r.skip(1); // mb_adaptive_frame_field_flag
  r.skip(1); // direct_8x8_inference_flag
  const crop = { left: 0, right: 0, top: 0, bottom: 0 };
  const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
  const subWidthC = chromaArrayType === 1 || chromaArrayType === 2 ? 2 : 1;
  const subHeightC = chromaArrayType === 1 ? 2 : 1;
  const cropUnitX = chromaArrayType === 0 ? 1 : subWidthC;
  const cropUnitY = (chromaArrayType === 0 ? 1 : subHeightC) * (frameMbsOnly ? 1 : 2);
  if (r.flag()) {
    crop.left = r.ueMax(65535, 'frame_crop_left_offset') * cropUnitX;
    crop.right = r.ueMax(65535, 'frame_crop_right_offset') * cropUnitX;
    crop.top = r.ueMax(65535, 'frame_crop_top_offset') * cropUnitY;
    crop.bottom = r.ueMax(65535, 'frame_crop_bottom_offset') * cropUnitY;
  }
  const codedWidth = widthMbs * 16;
  const codedHeight = heightMapUnits * 16 * (frameMbsOnly ? 1 : 2);
  const width = codedWidth - crop.left - crop.right;
  const height = codedHeight - crop.top - crop.bottom;
  if (width <= 0 || height <= 0) throw new DorsvrError('ERR_H26X_PARSE', 'H.264 SPS: cropping exceeds the picture');
  let sampleAspectRatio: H264SPS['sampleAspectRatio'];
  let timing: VideoTimingInfo | undefined;
  if (r.flag()) {
    // vui_parameters()
    sampleAspectRatio = readAspectRatio(r);
    if (r.flag()) r.skip(1); // overscan
    if (r.flag()) {
      r.skip(4); // video_format, video_full_range_flag
      if (r.flag()) r.skip(24); // colour description
    }
    if (r.flag()) {
      r.ue();
      r.ue(); // chroma sample locations
    }
    if (r.flag()) {
      const numUnitsInTick = r.u(32);
      const timeScale = r.u(32);
      timing = { numUnitsInTick, timeScale, fixedFrameRate: r.flag() };
    }
  }
  const frameRate =
    timing && timing.numUnitsInTick > 0 && timing.timeScale > 0
      ? timing.timeScale / (2 * timing.numUnitsInTick)
      : undefined;
  const hex = (v: number) => v.toString(16).padStart(2, '0');
  return {
    profileIdc,
    constraintFlags,
    levelIdc,
    profileLevelId: hex(profileIdc) + hex(constraintFlags) + hex(levelIdc),
    spsId,
    chromaFormatIdc,
    separateColourPlane,
    bitDepthLuma,
    bitDepthChroma,
    log2MaxFrameNum,
    picOrderCntType,
    maxNumRefFrames,
    frameMbsOnly,
    width,
    height,
    crop,
    sampleAspectRatio,
    timing,
    frameRate,
  };
}

/** The start of an H.264 PPS: its id and the SPS it refers to. */
export interface H264PPSIds {
  ppsId: number;
  spsId: number;
}

/** Parses the ids at the start of an H.264 PPS NAL unit. Throws `ERR_H26X_PARSE` when malformed. */
export function parseH264PPSIds(nal: Uint8Array): H264PPSIds {
  if (nal.length < 2 || (nal[0]! & 0x1f) !== 8) throw new DorsvrError('ERR_H26X_PARSE', 'not an H.264 PPS NAL unit');
  const r = new BitReader(removeEmulationPrevention(nal.subarray(1), 16), 'H.264 PPS');
  return { ppsId: r.ueMax(255, 'pic_parameter_set_id'), spsId: r.ueMax(31, 'seq_parameter_set_id') };
}

/** The first fields of an H.264 slice header: enough to find where a new picture starts. */
export interface H264SliceHeaderStart {
  firstMbInSlice: number;
  sliceType: number;
  ppsId: number;
  /** `frame_num`, when the SPS (its `log2_max_frame_num`) was given. */
  frameNum: number | undefined;
}

/**
 * Parses the start of a coded-slice NAL unit (types 1 and 5). `sps` (of the slice's PPS) lets it
 * read `frame_num` too; given as a function of the `pic_parameter_set_id` just read, it is looked
 * up in the same pass. The fields go into `out` when given (a framer reuses one object per NAL
 * unit), else into a new object. Throws `ERR_H26X_PARSE` when truncated.
 */
export function parseH264SliceHeaderStart(
  nal: Uint8Array,
  sps?: H264SPS | ((ppsId: number) => H264SPS | undefined),
  out?: H264SliceHeaderStart,
): H264SliceHeaderStart {
  const o = out ?? { firstMbInSlice: 0, sliceType: 0, ppsId: 0, frameNum: undefined };
  // 32 bytes hold these fields. The framer parses every slice, so they are read in place first, by
  // one reused reader (no view, no copy): right whenever no emulation-prevention byte was among the
  // bytes read. Otherwise (or if that read failed) the RBSP decides.
  const end = Math.min(33, nal.length);
  try {
    const bits = readSliceHeaderStart(sliceReader.reset(nal, 1, end), sps, o);
    if (findEmulationPrevention(nal, 1, 1 + Math.ceil(bits / 8)) < 0) return o;
  } catch {
    // the general read below throws the error, if it is one
  }
  readSliceHeaderStart(new BitReader(removeEmulationPrevention(nal.subarray(1, end)), 'H.264 slice header'), sps, o);
  return o;
}

/** The reader of {@link parseH264SliceHeaderStart}'s in-place read (parsing is synchronous). */
const sliceReader = new BitReader(new Uint8Array(0), 'H.264 slice header');

/** Reads the slice header start from `r` into `o`; returns the bits read. */
function readSliceHeaderStart(r: BitReader, sps: H264SPS | ((ppsId: number) => H264SPS | undefined) | undefined, o: H264SliceHeaderStart): number {
  o.firstMbInSlice = r.ueMax(139264, 'first_mb_in_slice');
  o.sliceType = r.ueMax(9, 'slice_type');
  o.ppsId = r.ueMax(255, 'pic_parameter_set_id');
  const info = typeof sps === 'function' ? sps(o.ppsId) : sps;
  o.frameNum = undefined;
  if (info) {
    if (info.separateColourPlane) r.skip(2);
    o.frameNum = r.u(info.log2MaxFrameNum);
  }
  return r.position;
}
