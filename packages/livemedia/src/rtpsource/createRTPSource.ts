import { DorsvrError } from '@dorsvr/scheduler';
import { H264VideoRTPSource } from './H264VideoRTPSource.js';
import { H265VideoRTPSource } from './H265VideoRTPSource.js';
import { MPEG1or2AudioRTPSource } from './MPEG1or2AudioRTPSource.js';
import { MPEG4GenericRTPSource } from './MPEG4GenericRTPSource.js';
import type { RTPSource, RTPSourceOptions } from './RTPSource.js';
import { SimpleRTPSource } from './SimpleRTPSource.js';

/** What an SDP media section says about its stream (from `a=rtpmap` and `a=fmtp`). */
export interface RTPSourceDescription extends RTPSourceOptions {
  /** The rtpmap encoding name (`H264`, `H265`, `MPEG4-GENERIC`, `MPA`, `L16`, `PCMU`, `MP2T`, …). */
  encodingName: string;
  /** The rtpmap clock rate; also becomes `timestampFrequency` unless that is given. */
  clockRate?: number;
  /** Audio channels from the rtpmap. */
  channels?: number;
  /** fmtp parameters, names in any case (`sizelength`, `indexlength`, …). */
  fmtp?: Readonly<Record<string, string>>;
}

function intParam(fmtp: Readonly<Record<string, string>>, name: string): number | undefined {
  for (const [k, v] of Object.entries(fmtp)) {
    if (k.toLowerCase() === name) {
      const n = Number.parseInt(v, 10);
      return Number.isFinite(n) && n >= 0 && n <= 64 * 1024 ? n : undefined;
    }
  }
  return undefined;
}

/**
 * The depacketizer for an SDP media section, as live555's MediaSubsession picks one: H264/H265,
 * MPEG4-GENERIC (RFC 3640 parameters from fmtp), MPA, and L16/L8/PCMU/PCMA/MP2T. Static payload
 * types 0 (PCMU), 8 (PCMA), 10/11 (L16), 14 (MPA) and 33 (MP2T) work without an rtpmap name.
 * Throws `ERR_RTP_UNSUPPORTED_CODEC` for anything else.
 */
export function createRTPSource(desc: RTPSourceDescription): RTPSource {
  let name = desc.encodingName.toUpperCase();
  if (name === '') {
    const byPT: Record<number, string> = { 0: 'PCMU', 8: 'PCMA', 10: 'L16', 11: 'L16', 14: 'MPA', 33: 'MP2T' };
    name = (desc.payloadType !== undefined ? byPT[desc.payloadType] : undefined) ?? '';
  }
  const options: RTPSourceOptions = { ...desc, timestampFrequency: desc.timestampFrequency ?? desc.clockRate };
  const hz = options.timestampFrequency;
  if (hz !== undefined && !(Number.isFinite(hz) && hz > 0)) {
    // A peer's `H264/0`: every presentation time would be NaN.
    throw new DorsvrError('ERR_RTP_UNSUPPORTED_CODEC', `clock rate ${String(hz)} is not a positive number`);
  }
  const fmtp = desc.fmtp ?? {};
  switch (name) {
    case 'H264':
      return new H264VideoRTPSource(options);
    case 'H265':
    case 'HEVC':
      return new H265VideoRTPSource(options);
    case 'MPEG4-GENERIC': {
      const opts = {
        ...options,
        sizeLength: intParam(fmtp, 'sizelength') ?? 0,
        indexLength: intParam(fmtp, 'indexlength') ?? 0,
        indexDeltaLength: intParam(fmtp, 'indexdeltalength') ?? 0,
        ctsDeltaLength: intParam(fmtp, 'ctsdeltalength') ?? 0,
        dtsDeltaLength: intParam(fmtp, 'dtsdeltalength') ?? 0,
        randomAccessIndication: intParam(fmtp, 'randomaccessindication') === 1,
        streamStateIndication: intParam(fmtp, 'streamstateindication') ?? 0,
        constantDuration: intParam(fmtp, 'constantduration') ?? 1024,
      };
      if (opts.sizeLength > 32 || opts.indexLength > 32 || opts.indexDeltaLength > 32) {
        throw new DorsvrError('ERR_RTP_UNSUPPORTED_CODEC', 'mpeg4-generic AU header fields wider than 32 bits');
      }
      return new MPEG4GenericRTPSource(opts);
    }
    case 'MPA':
      return new MPEG1or2AudioRTPSource(options);
    case 'L16':
    case 'L8':
    case 'PCMU':
    case 'PCMA':
    case 'MP2T':
      return new SimpleRTPSource({
        ...options,
        encodingName: name,
        channels: desc.channels ?? (desc.payloadType === 10 ? 2 : 1),
        timestampFrequency: options.timestampFrequency ?? (desc.payloadType === 10 || desc.payloadType === 11 ? 44_100 : undefined),
      });
    default:
      throw new DorsvrError('ERR_RTP_UNSUPPORTED_CODEC', `no depacketizer for ${JSON.stringify(desc.encodingName)}`);
  }
}
