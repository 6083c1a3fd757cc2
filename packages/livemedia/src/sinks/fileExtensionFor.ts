import type { WAVAudioFormat } from '../audio/WAVAudioFileSource.js';
import { staticPayloadTypeRtpMap } from '../sdp/parseSDP.js';
import { makeADTSHeader } from './makeADTSHeader.js';
import { parseAudioSpecificConfig, type AudioSpecificConfig } from './parseAudioSpecificConfig.js';

/**
 * What an SDP media section says about its stream, as far as a file writer cares: the shape of
 * livemedia's `RTPSourceDescription` (which can be passed as it is).
 */
export interface FileSinkDescription {
  /** The rtpmap encoding name (`H264`, `H265`, `MPEG4-GENERIC`, `MPA`, `L16`, `PCMU`, `MP2T`, …). */
  encodingName: string;
  /** The rtpmap clock rate. */
  clockRate?: number | undefined;
  /** Audio channels from the rtpmap. */
  channels?: number | undefined;
  /** fmtp parameters, names in any case. */
  fmtp?: Readonly<Record<string, string>> | undefined;
  /** The payload type, for static types without an rtpmap (0 PCMU, 8 PCMA, 10/11 L16, 14 MPA, 33 MP2T). */
  payloadType?: number | undefined;
}

/** How a stream is written; internal to the sinks area. */
export type FileSinkPlan =
  | { kind: 'h264'; sprop: string | undefined }
  | { kind: 'h265'; vps: string | undefined; sps: string | undefined; pps: string | undefined }
  | { kind: 'aac'; config: AudioSpecificConfig }
  | { kind: 'wav'; format: WAVAudioFormat; sampleRate: number; channels: number }
  | { kind: 'raw'; extension: '.mp3' | '.ts' | '.bin' };

function param(fmtp: Readonly<Record<string, string>> | undefined, name: string): string | undefined {
  for (const [k, v] of Object.entries(fmtp ?? {})) if (k.toLowerCase() === name) return v;
  return undefined;
}

/** Decide how to write a stream (shared by {@link fileExtensionFor} and `createFileSink`). */
export function planFileSink(desc: FileSinkDescription): FileSinkPlan {
  // A static payload type (RFC 3551) stands for its rtpmap when the SDP gave none.
  const known = desc.payloadType === undefined ? undefined : staticPayloadTypeRtpMap(desc.payloadType);
  let name = desc.encodingName.trim().toUpperCase();
  if (name === '') name = known?.encodingName.toUpperCase() ?? '';
  switch (name) {
    case 'H264':
      return { kind: 'h264', sprop: param(desc.fmtp, 'sprop-parameter-sets') };
    case 'H265':
    case 'HEVC':
      return {
        kind: 'h265',
        vps: param(desc.fmtp, 'sprop-vps'),
        sps: param(desc.fmtp, 'sprop-sps'),
        pps: param(desc.fmtp, 'sprop-pps'),
      };
    case 'MPEG4-GENERIC': {
      const mode = (param(desc.fmtp, 'mode') ?? '').toLowerCase();
      const config = param(desc.fmtp, 'config');
      if (config === undefined || (mode !== '' && !mode.startsWith('aac'))) return { kind: 'raw', extension: '.bin' };
      try {
        const asc = parseAudioSpecificConfig(config);
        makeADTSHeader(asc, 0);
        return { kind: 'aac', config: asc };
      } catch {
        return { kind: 'raw', extension: '.bin' }; // raw AUs are all we can keep of it
      }
    }
    case 'MPA':
      return { kind: 'raw', extension: '.mp3' };
    case 'MP2T':
      return { kind: 'raw', extension: '.ts' };
    case 'L16':
    case 'L24':
    case 'L8':
    case 'PCMU':
    case 'PCMA': {
      const sampleRate = desc.clockRate ?? known?.clockRate ?? 8_000;
      const channels = desc.channels ?? known?.channels ?? 1;
      return { kind: 'wav', format: name, sampleRate, channels };
    }
    default:
      return { kind: 'raw', extension: '.bin' };
  }
}

/**
 * The file extension {@link createFileSink} writes for a stream: `.264`, `.265`, `.aac` (ADTS),
 * `.mp3` (MPEG audio), `.wav` (PCM and G.711), `.ts` (MPEG-2 TS), else `.bin` (raw frames).
 */
export function fileExtensionFor(desc: FileSinkDescription): string {
  const plan = planFileSink(desc);
  switch (plan.kind) {
    case 'h264':
      return '.264';
    case 'h265':
      return '.265';
    case 'aac':
      return '.aac';
    case 'wav':
      return '.wav';
    case 'raw':
      return plan.extension;
  }
}
