/** Sampling frequencies by ADTS/AudioSpecificConfig index (ISO 14496-3 table 1.18). */
export const AAC_SAMPLING_FREQUENCIES: readonly number[] = [
  96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
];

/** One ADTS frame header (ISO 14496-3 §1.A.2), decoded. */
export interface ADTSHeader {
  /** 0 = MPEG-4, 1 = MPEG-2 (the ID bit). */
  mpegVersion: 2 | 4;
  /** True when a 16-bit CRC follows the fixed 7 header bytes (protection_absent = 0). */
  hasCRC: boolean;
  /** Audio object type: the 2-bit profile field + 1 (2 = AAC LC). */
  audioObjectType: number;
  /** Index into {@link AAC_SAMPLING_FREQUENCIES}. */
  samplingFrequencyIndex: number;
  /** Samples per second. */
  samplingFrequency: number;
  /** Channel configuration (1 = mono, 2 = stereo, … 0 = defined in the stream). */
  channelConfiguration: number;
  /** Whole frame length in bytes, header (and CRC) included. */
  frameLength: number;
  /** Bytes of header before the raw data: 7, or 9 with a CRC. */
  headerLength: number;
  /** adts_buffer_fullness (0x7FF = variable bit rate). */
  bufferFullness: number;
  /** Raw data blocks in the frame (the field + 1); each holds 1024 samples. */
  numRawDataBlocks: number;
}

/**
 * Decode the ADTS header at `off`, or `undefined` when the bytes there are not one (no sync word,
 * layer ≠ 0, reserved sampling index, or a frame length shorter than its header). Never throws.
 */
export function parseADTSHeader(d: Uint8Array, off = 0): ADTSHeader | undefined {
  if (!(off >= 0) || off + 7 > d.length) return undefined;
  const b1 = d[off + 1]!;
  if (d[off] !== 0xff || (b1 & 0xf6) !== 0xf0) return undefined; // sync 0xFFF, layer 00
  const b2 = d[off + 2]!;
  const b3 = d[off + 3]!;
  const sfi = (b2 >> 2) & 0xf;
  const samplingFrequency = AAC_SAMPLING_FREQUENCIES[sfi];
  if (samplingFrequency === undefined) return undefined;
  const hasCRC = (b1 & 1) === 0;
  const headerLength = hasCRC ? 9 : 7;
  const frameLength = ((b3 & 3) << 11) | (d[off + 4]! << 3) | (d[off + 5]! >> 5);
  if (frameLength < headerLength) return undefined;
  return {
    mpegVersion: (b1 & 8) !== 0 ? 2 : 4,
    hasCRC,
    audioObjectType: ((b2 >> 6) & 3) + 1,
    samplingFrequencyIndex: sfi,
    samplingFrequency,
    channelConfiguration: ((b2 & 1) << 2) | (b3 >> 6),
    frameLength,
    headerLength,
    bufferFullness: ((d[off + 5]! & 0x1f) << 6) | (d[off + 6]! >> 2),
    numRawDataBlocks: (d[off + 6]! & 3) + 1,
  };
}

/**
 * The 2-byte AudioSpecificConfig (ISO 14496-3 §1.6.2.1) for an object type, sampling frequency
 * index and channel configuration: what RFC 3640's `config=` carries. Fields are masked to their
 * bit widths (type 1..31, index 0..15, channels 0..15), so nothing here throws.
 */
export function makeAudioSpecificConfig(audioObjectType: number, samplingFrequencyIndex: number, channelConfiguration: number): Uint8Array {
  const v = ((audioObjectType & 0x1f) << 11) | ((samplingFrequencyIndex & 0xf) << 7) | ((channelConfiguration & 0xf) << 3);
  return Uint8Array.of(v >> 8, v & 0xff);
}

/** {@link makeAudioSpecificConfig} as upper-case hex, e.g. `1210` for AAC LC 44.1 kHz stereo. */
export function audioSpecificConfigHex(audioObjectType: number, samplingFrequencyIndex: number, channelConfiguration: number): string {
  return Buffer.from(makeAudioSpecificConfig(audioObjectType, samplingFrequencyIndex, channelConfiguration)).toString('hex').toUpperCase();
}
