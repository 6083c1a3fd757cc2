import { DorsvrError } from '@dorsvr/scheduler';

/** H.265 `nal_unit_type` values (Table 7-1) that framers and packetizers care about. */
export const H265NalUnitType = {
  TrailN: 0,
  TrailR: 1,
  TsaN: 2,
  TsaR: 3,
  StsaN: 4,
  StsaR: 5,
  RadlN: 6,
  RadlR: 7,
  RaslN: 8,
  RaslR: 9,
  BlaWLp: 16,
  BlaWRadl: 17,
  BlaNLp: 18,
  IdrWRadl: 19,
  IdrNLp: 20,
  CraNut: 21,
  VPS: 32,
  SPS: 33,
  PPS: 34,
  AUD: 35,
  EOS: 36,
  EOB: 37,
  FD: 38,
  PrefixSEI: 39,
  SuffixSEI: 40,
  /** RTP aggregation packet and fragmentation unit (RFC 7798), never in a byte stream. */
  AP: 48,
  FU: 49,
  PACI: 50,
} as const;

/** The two-byte H.265 NAL unit header. */
export interface H265NalHeader {
  forbiddenZeroBit: number;
  nalUnitType: number;
  nuhLayerId: number;
  nuhTemporalIdPlus1: number;
}

/** Parses the H.265 NAL unit header (first two bytes). Throws `ERR_H26X_PARSE` when too short. */
export function parseH265NalHeader(nal: Uint8Array): H265NalHeader {
  const b0 = nal[0];
  const b1 = nal[1];
  if (b0 === undefined || b1 === undefined) throw new DorsvrError('ERR_H26X_PARSE', 'H.265 NAL unit shorter than its header');
  return {
    forbiddenZeroBit: b0 >> 7,
    nalUnitType: (b0 >> 1) & 0x3f,
    nuhLayerId: ((b0 & 1) << 5) | (b1 >> 3),
    nuhTemporalIdPlus1: b1 & 7,
  };
}

/** `nal_unit_type` of an H.265 NAL unit, or -1 when empty. */
export function h265NalUnitType(nal: Uint8Array): number {
  const b = nal[0];
  return b === undefined ? -1 : (b >> 1) & 0x3f;
}

/** True for VCL NAL unit types (0–31: coded slice segments). */
export function isH265VCL(type: number): boolean {
  return type >= 0 && type <= 31;
}

/** True for IRAP pictures (BLA, IDR, CRA and reserved IRAP types 16–23): random-access points. */
export function isH265IRAP(type: number): boolean {
  return type >= 16 && type <= 23;
}
