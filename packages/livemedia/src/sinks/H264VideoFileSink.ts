import { H264or5VideoFileSink } from './H264or5VideoFileSink.js';
import type { FileSinkOptions } from './FileSink.js';

/** Options of {@link H264VideoFileSink}. */
export interface H264VideoFileSinkOptions extends FileSinkOptions {
  /** The SDP's `sprop-parameter-sets` (base64 SPS,PPS), written before the first frame. */
  spropParameterSets?: string;
}

/** live555's H264VideoFileSink: an H.264 Annex-B `.264` file (see {@link H264or5VideoFileSink}). */
export class H264VideoFileSink extends H264or5VideoFileSink {
  constructor(path: string, options: H264VideoFileSinkOptions = {}) {
    super(path, { ...options, parameterSets: [options.spropParameterSets] });
  }
}
