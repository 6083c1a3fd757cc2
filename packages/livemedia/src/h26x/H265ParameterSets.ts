import { DorsvrError } from '@dorsvr/scheduler';
import { BitReader } from './BitReader.js';
import { readAspectRatio, type VideoTimingInfo } from './H264SPS.js';
import { removeEmulationPrevention } from './removeEmulationPrevention.js';

/** The general part of an H.265 profile_tier_level() (what RFC 7798's SDP parameters carry). */
export interface H265ProfileTierLevel {
  /** `profile-space` (0..3). */
  generalProfileSpace: number;
  /** `tier-flag` (0 Main, 1 High). */
  generalTierFlag: number;
  /** `profile-id` (1 Main, 2 Main 10, …). */
  generalProfileIdc: number;
  /** The 32 general_profile_compatibility_flags as an unsigned number (`profile-compatibility-indicator`). */
  generalProfileCompatibilityFlags: number;
  /** The 48 bits of progressive/interlaced/… constraint flags, 6 bytes (`interop-constraints`). */
  generalConstraintIndicatorFlags: Uint8Array;
  /** `level-id` (30 × level, e.g. 93 for level 3.1). */
  generalLevelIdc: number;
  /** The 12 bytes of the general profile/tier/level, as they appear in the bitstream. */
  bytes: Uint8Array;
}

/** What an H.265 VPS says that streaming needs. */
export interface H265VPS {
  vpsId: number;
  maxSubLayers: number;
  profileTierLevel: H265ProfileTierLevel;
  timing: VideoTimingInfo | undefined;
}

/** What an H.265 SPS says that streaming needs. */
export interface H265SPS {
  vpsId: number;
  spsId: number;
  maxSubLayers: number;
  profileTierLevel: H265ProfileTierLevel;
  chromaFormatIdc: number;
  separateColourPlane: boolean;
  bitDepthLuma: number;
  bitDepthChroma: number;
  /** Displayed size (conformance window applied). */
  width: number;
  height: number;
  /** Conformance-window offsets in luma samples. */
  crop: { left: number; right: number; top: number; bottom: number };
  sampleAspectRatio: { width: number; height: number } | undefined;
  timing: VideoTimingInfo | undefined;
  /** Frames per second from the VUI timing: time_scale / num_units_in_tick; undefined without timing. */
  frameRate: number | undefined;
}

function readProfileTierLevel(r: BitReader, rbsp: Uint8Array, maxSubLayersMinus1: number): H265ProfileTierLevel {
  const startBit = r.position;
  const generalProfileSpace = r.u(2);
  const generalTierFlag = r.u(1);
  const generalProfileIdc = r.u(5);
  const generalProfileCompatibilityFlags = r.u(32);
  const constraint = new Uint8Array(6);
  for (let i = 0; i < 6; i++) constraint[i] = r.u(8);
  const generalLevelIdc = r.u(8);
  // startBit is byte-aligned in both VPS and SPS (after 4 and 2 header bytes).
  const bytes = rbsp.slice(startBit >> 3, (startBit >> 3) + 12);
  const subProfile: boolean[] = [];
  const subLevel: boolean[] = [];
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    subProfile.push(r.flag());
    subLevel.push(r.flag());
  }
  if (maxSubLayersMinus1 > 0) for (let i = maxSubLayersMinus1; i < 8; i++) r.skip(2);
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    if (subProfile[i]) r.skip(88);
    if (subLevel[i]) r.skip(8);
  }
  return {
    generalProfileSpace,
    generalTierFlag,
    generalProfileIdc,
    generalProfileCompatibilityFlags,
    generalConstraintIndicatorFlags: constraint,
    generalLevelIdc,
    bytes,
  };
}

function rbspOf(nal: Uint8Array, type: number, what: string): Uint8Array {
  if (nal.length < 3 || ((nal[0]! >> 1) & 0x3f) !== type) {
    throw new DorsvrError('ERR_H26X_PARSE', `not an H.265 ${what} NAL unit`);
  }
  return removeEmulationPrevention(nal.subarray(2));
}

/** Parses an H.265 VPS NAL unit (2-byte header included). Throws `ERR_H26X_PARSE` when malformed. */
export function parseH265VPS(nal: Uint8Array): H265VPS {
  const rbsp = rbspOf(nal, 32, 'VPS');
  const r = new BitReader(rbsp, 'H.265 VPS');
  const vpsId = r.u(4);
  r.skip(2); // base layer internal/available
  r.skip(6); // vps_max_layers_minus1
  const maxSubLayersMinus1 = r.u(3);
  if (maxSubLayersMinus1 > 6) throw new DorsvrError('ERR_H26X_PARSE', 'H.265 VPS: vps_max_sub_layers_minus1 > 6');
  r.skip(1 + 16); // temporal_id_nesting, reserved 0xffff
  const profileTierLevel = readProfileTierLevel(r, rbsp, maxSubLayersMinus1);
  const orderingInfo = r.flag();
  for (let i = orderingInfo ? 0 : maxSubLayersMinus1; i <= maxSubLayersMinus1; i++) {
    r.ue();
    r.ue();
    r.ue();
  }
  const maxLayerId = r.u(6);
  const numLayerSetsMinus1 = r.ueMax(1023, 'vps_num_layer_sets_minus1');
  for (let i = 1; i <= numLayerSetsMinus1; i++) r.skip(maxLayerId + 1);
  let timing: VideoTimingInfo | undefined;
  if (r.flag()) {
    const numUnitsInTick = r.u(32);
    const timeScale = r.u(32);
    timing = { numUnitsInTick, timeScale, fixedFrameRate: r.flag() };
  }
  return { vpsId, maxSubLayers: maxSubLayersMinus1 + 1, profileTierLevel, timing };
}

function skipScalingListData(r: BitReader): void {
  for (let sizeId = 0; sizeId < 4; sizeId++) {
    for (let matrixId = 0; matrixId < 6; matrixId += sizeId === 3 ? 3 : 1) {
      if (!r.flag()) {
        r.ue(); // scaling_list_pred_matrix_id_delta
      } else {
        const coefNum = Math.min(64, 1 << (4 + (sizeId << 1)));
        if (sizeId > 1) r.se();
        for (let i = 0; i < coefNum; i++) r.se();
      }
    }
  }
}

/** Reads st_ref_pic_set(idx); `deltaPocs[i]` holds the delta POCs of each earlier set. */
function readShortTermRefPicSet(r: BitReader, idx: number, deltaPocs: number[][]): number[] {
  if (idx !== 0 && r.flag()) {
    // inter_ref_pic_set_prediction_flag (delta_idx_minus1 only appears in slice headers)
    const sign = r.u1();
    const absDeltaRps = r.ueMax(32767, 'abs_delta_rps_minus1') + 1;
    const deltaRps = sign ? -absDeltaRps : absDeltaRps;
    const ref = deltaPocs[idx - 1] ?? [];
    const out: number[] = [];
    for (let j = 0; j <= ref.length; j++) {
      const used = r.flag();
      const useDelta = used ? true : r.flag();
      if (!useDelta) continue;
      const dPoc = (j < ref.length ? ref[j]! : 0) + deltaRps;
      if (dPoc !== 0) out.push(dPoc);
    }
    if (out.length > 32) throw new DorsvrError('ERR_H26X_PARSE', 'H.265 SPS: too many reference pictures');
    // (7-61)/(7-62) order: negative deltas closest first, then positive deltas closest first.
    return [...out.filter((d) => d < 0).sort((a, b) => b - a), ...out.filter((d) => d > 0).sort((a, b) => a - b)];
  }
  const numNegative = r.ueMax(16, 'num_negative_pics');
  const numPositive = r.ueMax(16, 'num_positive_pics');
  const out: number[] = [];
  let poc = 0;
  for (let i = 0; i < numNegative; i++) {
    poc -= r.ueMax(32767, 'delta_poc_s0_minus1') + 1;
    r.skip(1);
    out.push(poc);
  }
  poc = 0;
  for (let i = 0; i < numPositive; i++) {
    poc += r.ueMax(32767, 'delta_poc_s1_minus1') + 1;
    r.skip(1);
    out.push(poc);
  }
  return out;
}

/** Parses an H.265 SPS NAL unit (2-byte header included). Throws `ERR_H26X_PARSE` when malformed. */
export function parseH265SPS(nal: Uint8Array): H265SPS {
  const rbsp = rbspOf(nal, 33, 'SPS');
  const r = new BitReader(rbsp, 'H.265 SPS');
  const vpsId = r.u(4);
  const maxSubLayersMinus1 = r.u(3);
  if (maxSubLayersMinus1 > 6) throw new DorsvrError('ERR_H26X_PARSE', 'H.265 SPS: sps_max_sub_layers_minus1 > 6');
  r.skip(1);
  const profileTierLevel = readProfileTierLevel(r, rbsp, maxSubLayersMinus1);
  const spsId = r.ueMax(15, 'sps_seq_parameter_set_id');
  const chromaFormatIdc = r.ueMax(3, 'chroma_format_idc');
  const separateColourPlane = chromaFormatIdc === 3 ? r.flag() : false;
  const codedWidth = r.ueMax(65535, 'pic_width_in_luma_samples');
  const codedHeight = r.ueMax(65535, 'pic_height_in_luma_samples');
  const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
  const subWidthC = chromaArrayType === 1 || chromaArrayType === 2 ? 2 : 1;
  const subHeightC = chromaArrayType === 1 ? 2 : 1;
  const crop = { left: 0, right: 0, top: 0, bottom: 0 };
  if (r.flag()) {
    crop.left = r.ueMax(65535, 'conf_win_left_offset') * subWidthC;
    crop.right = r.ueMax(65535, 'conf_win_right_offset') * subWidthC;
    crop.top = r.ueMax(65535, 'conf_win_top_offset') * subHeightC;
    crop.bottom = r.ueMax(65535, 'conf_win_bottom_offset') * subHeightC;
  }
  const width = codedWidth - crop.left - crop.right;
  const height = codedHeight - crop.top - crop.bottom;
  if (width <= 0 || height <= 0) throw new DorsvrError('ERR_H26X_PARSE', 'H.265 SPS: empty picture');
  const bitDepthLuma = 8 + r.ueMax(8, 'bit_depth_luma_minus8');
  const bitDepthChroma = 8 + r.ueMax(8, 'bit_depth_chroma_minus8');
  const log2MaxPocLsb = 4 + r.ueMax(12, 'log2_max_pic_order_cnt_lsb_minus4');
  const orderingInfo = r.flag();
  for (let i = orderingInfo ? 0 : maxSubLayersMinus1; i <= maxSubLayersMinus1; i++) {
    r.ue();
    r.ue();
    r.ue();
  }
  for (let i = 0; i < 6; i++) r.ue(); // coding/transform block sizes and hierarchy depths
  if (r.flag() && r.flag()) skipScalingListData(r);
  r.skip(2); // amp_enabled_flag, sample_adaptive_offset_enabled_flag
  if (r.flag()) {
    r.skip(8); // pcm sample bit depths
    r.ue();
    r.ue();
    r.skip(1);
  }
  const numStRps = r.ueMax(64, 'num_short_term_ref_pic_sets');
  const deltaPocs: number[][] = [];
  for (let i = 0; i < numStRps; i++) deltaPocs.push(readShortTermRefPicSet(r, i, deltaPocs));
  if (r.flag()) {
    const numLt = r.ueMax(32, 'num_long_term_ref_pics_sps');
    for (let i = 0; i < numLt; i++) r.skip(log2MaxPocLsb + 1);
  }
  r.skip(2); // sps_temporal_mvp_enabled_flag, strong_intra_smoothing_enabled_flag
  let sampleAspectRatio: H265SPS['sampleAspectRatio'];
  let timing: VideoTimingInfo | undefined;
  if (r.flag()) {
    sampleAspectRatio = readAspectRatio(r);
    if (r.flag()) r.skip(1); // overscan
    if (r.flag()) {
      r.skip(4);
      if (r.flag()) r.skip(24);
    }
    if (r.flag()) {
      r.ue();
      r.ue();
    }
    r.skip(3); // neutral_chroma_indication, field_seq, frame_field_info_present
    if (r.flag()) {
      r.ue();
      r.ue();
      r.ue();
      r.ue(); // default display window
    }
    if (r.flag()) {
      const numUnitsInTick = r.u(32);
      const timeScale = r.u(32);
      timing = { numUnitsInTick, timeScale, fixedFrameRate: r.flag() };
    }
  }
  const frameRate =
    timing && timing.numUnitsInTick > 0 && timing.timeScale > 0 ? timing.timeScale / timing.numUnitsInTick : undefined;
  return {
    vpsId,
    spsId,
    maxSubLayers: maxSubLayersMinus1 + 1,
    profileTierLevel,
    chromaFormatIdc,
    separateColourPlane,
    bitDepthLuma,
    bitDepthChroma,
    width,
    height,
    crop,
    sampleAspectRatio,
    timing,
    frameRate,
  };
}
