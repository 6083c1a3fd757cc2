import { H264or5VideoFileSink } from './H264or5VideoFileSink.js';
import type { FileSinkOptions } from './FileSink.js';

/** Options of {@link H265VideoFileSink}: the SDP's `sprop-vps`, `sprop-sps`, `sprop-pps` (base64). */
export interface H265VideoFileSinkOptions extends FileSinkOptions {
  spropVPS?: string;
  spropSPS?: string;
  spropPPS?: string;
}

/**
 * live555's H265VideoFileSink: an H.265 Annex-B `.265` file, VPS, SPS and PPS first (see
 * {@link H264or5VideoFileSink}).
 */
export class H265VideoFileSink extends H264or5VideoFileSink {
  constructor(path: string, options: H265VideoFileSinkOptions = {}) {
    super(path, { ...options, parameterSets: [options.spropVPS, options.spropSPS, options.spropPPS] });
  }
}
