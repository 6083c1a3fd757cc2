import { DorsvrError } from '@dorsvr/scheduler';

/** H.264 `nal_unit_type` values (Table 7-1) that framers and packetizers care about. */
export const H264NalUnitType = {
  NonIDRSlice: 1,
  SlicePartitionA: 2,
  SlicePartitionB: 3,
  SlicePartitionC: 4,
  IDRSlice: 5,
  SEI: 6,
  SPS: 7,
  PPS: 8,
  AUD: 9,
  EndOfSequence: 10,
  EndOfStream: 11,
  FillerData: 12,
  SPSExtension: 13,
  PrefixNal: 14,
  SubsetSPS: 15,
  AuxiliarySlice: 19,
  SliceExtension: 20,
  /** RTP aggregation/fragmentation types (RFC 6184), never in a byte stream. */
  STAPA: 24,
  STAPB: 25,
  MTAP16: 26,
  MTAP24: 27,
  FUA: 28,
  FUB: 29,
} as const;

/** The one-byte H.264 NAL unit header. */
export interface H264NalHeader {
  /** Must be 0; 1 marks a damaged NAL unit. */
  forbiddenZeroBit: number;
  /** 0 = not used for reference (disposable). */
  nalRefIdc: number;
  nalUnitType: number;
}

/** Parses the H.264 NAL unit header (first byte). Throws `ERR_H26X_PARSE` on an empty NAL unit. */
export function parseH264NalHeader(nal: Uint8Array): H264NalHeader {
  const b = nal[0];
  if (b === undefined) throw new DorsvrError('ERR_H26X_PARSE', 'H.264 NAL unit is empty');
  return { forbiddenZeroBit: b >> 7, nalRefIdc: (b >> 5) & 3, nalUnitType: b & 0x1f };
}

/** `nal_unit_type` of an H.264 NAL unit (first byte & 0x1f), or -1 when empty. */
export function h264NalUnitType(nal: Uint8Array): number {
  const b = nal[0];
  return b === undefined ? -1 : b & 0x1f;
}

/** True for coded-slice NAL units (types 1–5) — the VCL units of a primary picture. */
export function isH264VCL(type: number): boolean {
  return type >= 1 && type <= 5;
}
