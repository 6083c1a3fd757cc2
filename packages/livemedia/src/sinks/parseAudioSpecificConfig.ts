import { DorsvrError, isDorsvrError } from '@dorsvr/scheduler';
import { BitReader } from '../h26x/BitReader.js';
import { AAC_SAMPLING_FREQUENCIES } from '../audio/ADTSHeader.js';

/** An MPEG-4 AudioSpecificConfig (ISO 14496-3 §1.6.2.1), the fields a file writer needs. */
export interface AudioSpecificConfig {
  /**
   * Audio object type of the core coder (2 = AAC LC). For explicit SBR/PS signalling (types 5 and
   * 29) this is the underlying type that follows the extension fields.
   */
  audioObjectType: number;
  /** Index into {@link AAC_SAMPLING_FREQUENCIES}, or 15 when the frequency is explicit. */
  samplingFrequencyIndex: number;
  /** Core samples per second. */
  samplingFrequency: number;
  /** Channel configuration (1 = mono, 2 = stereo, … 0 = in the stream). */
  channelConfiguration: number;
  /** Samples per second after SBR, when SBR is signalled explicitly. */
  extensionSamplingFrequency?: number;
}

function readObjectType(b: BitReader): number {
  const t = b.u(5);
  return t === 31 ? 32 + b.u(6) : t;
}

function readFrequency(b: BitReader): [index: number, hz: number] {
  const index = b.u(4);
  if (index === 15) return [15, b.u(24)];
  const hz = AAC_SAMPLING_FREQUENCIES[index];
  if (hz === undefined) throw new DorsvrError('ERR_AUDIO_CONFIG', `reserved sampling frequency index ${index}`);
  return [index, hz];
}

/**
 * Decode an AudioSpecificConfig: bytes, or hex as in the `config=` of an RFC 3640 fmtp. Throws a
 * {@link DorsvrError} `ERR_AUDIO_CONFIG` when it is not hex, is truncated or uses a reserved index.
 */
export function parseAudioSpecificConfig(config: Uint8Array | string): AudioSpecificConfig {
  let bytes: Uint8Array;
  if (typeof config === 'string') {
    const hex = config.trim();
    if (hex.length === 0 || hex.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(hex)) {
      throw new DorsvrError('ERR_AUDIO_CONFIG', `AudioSpecificConfig ${JSON.stringify(config)} is not hex`);
    }
    bytes = new Uint8Array(Buffer.from(hex, 'hex'));
  } else bytes = config;
  const b = new BitReader(bytes, 'AudioSpecificConfig');
  try {
    let audioObjectType = readObjectType(b);
    const [samplingFrequencyIndex, samplingFrequency] = readFrequency(b);
    const channelConfiguration = b.u(4);
    const out: AudioSpecificConfig = { audioObjectType, samplingFrequencyIndex, samplingFrequency, channelConfiguration };
    if (audioObjectType === 5 || audioObjectType === 29) {
      // Explicit SBR (HE-AAC) / PS: the extension rate, then the core coder's own type; the
      // core rate read above is the one an ADTS stream carries.
      const [, ext] = readFrequency(b);
      audioObjectType = readObjectType(b);
      out.audioObjectType = audioObjectType;
      out.extensionSamplingFrequency = ext;
    }
    return out;
  } catch (err) {
    if (isDorsvrError(err, 'ERR_H26X_PARSE')) throw new DorsvrError('ERR_AUDIO_CONFIG', 'AudioSpecificConfig is truncated', { cause: err });
    throw err;
  }
}
