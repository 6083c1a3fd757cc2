import { DorsvrError } from '@dorsvr/scheduler';
import { AAC_SAMPLING_FREQUENCIES } from '../audio/ADTSHeader.js';
import type { AudioSpecificConfig } from './parseAudioSpecificConfig.js';

/** The largest raw AU one ADTS frame can carry: 13-bit frame length minus the 7-byte header. */
export const ADTS_MAX_PAYLOAD = 8191 - 7;

/**
 * The 7-byte ADTS header (ISO 14496-3 §1.A.2, no CRC) for one raw AAC access unit of `payloadLength`
 * bytes: MPEG-4 ID, profile = object type − 1, the config's sampling index and channels, buffer
 * fullness 0x7FF (variable rate), one raw data block — what ffmpeg's ADTS muxer writes.
 * Throws `ERR_ADTS_UNREPRESENTABLE` for what ADTS cannot say (object type outside 1..4, an
 * explicit frequency not in the table, more than 7 channels, a payload over
 * {@link ADTS_MAX_PAYLOAD}).
 */
export function makeADTSHeader(config: AudioSpecificConfig, payloadLength: number): Uint8Array {
  const profile = config.audioObjectType - 1;
  if (profile < 0 || profile > 3) {
    throw new DorsvrError('ERR_ADTS_UNREPRESENTABLE', `ADTS cannot carry audio object type ${config.audioObjectType}`);
  }
  let sfi = config.samplingFrequencyIndex;
  if (sfi === 15 || AAC_SAMPLING_FREQUENCIES[sfi] === undefined) sfi = AAC_SAMPLING_FREQUENCIES.indexOf(config.samplingFrequency);
  if (sfi < 0) throw new DorsvrError('ERR_ADTS_UNREPRESENTABLE', `ADTS has no index for ${config.samplingFrequency} Hz`);
  const ch = config.channelConfiguration;
  if (!Number.isInteger(ch) || ch < 0 || ch > 7) {
    throw new DorsvrError('ERR_ADTS_UNREPRESENTABLE', `ADTS cannot carry channel configuration ${ch}`);
  }
  if (!Number.isInteger(payloadLength) || payloadLength < 0 || payloadLength > ADTS_MAX_PAYLOAD) {
    throw new DorsvrError('ERR_ADTS_UNREPRESENTABLE', `an ADTS frame cannot carry ${payloadLength} bytes`);
  }
  const len = payloadLength + 7;
  const fullness = 0x7ff;
  return Uint8Array.of(
    0xff,
    0xf1, // sync, ID 0 (MPEG-4), layer 00, protection_absent 1
    (profile << 6) | (sfi << 2) | ((ch >> 2) & 1),
    ((ch & 3) << 6) | ((len >> 11) & 3),
    (len >> 3) & 0xff,
    ((len & 7) << 5) | ((fullness >> 6) & 0x1f),
    ((fullness & 0x3f) << 2) | 0, // number_of_raw_data_blocks_in_frame − 1 = 0
  );
}
