import type { Frame } from '../core/Frame.js';
import { parseSpropParameterSets } from '../sdp/SpropParameterSets.js';
import { FileSink, type FileSinkOptions } from './FileSink.js';

/** Options of {@link H264or5VideoFileSink}. */
export interface H264or5VideoFileSinkOptions extends FileSinkOptions {
  /**
   * Parameter sets written before the first frame: NAL units (without start codes), or SDP
   * `sprop-…` values (comma-separated base64), in order (VPS, SPS, PPS for H.265).
   */
  parameterSets?: ReadonlyArray<Uint8Array | string | undefined>;
}

const START_CODE = Uint8Array.of(0, 0, 0, 1);

/**
 * live555's H264or5VideoFileSink: an Annex-B elementary stream from NAL-unit frames. Each NAL unit
 * is written after a 4-byte start code; the out-of-band parameter sets (from the SDP) go before the
 * first frame so a player can decode from the start, and in-band ones pass through as they come.
 * Frames that already begin with a start code are written as they are.
 */
export class H264or5VideoFileSink extends FileSink {
  /** The out-of-band parameter sets written before the first frame. */
  readonly parameterSets: readonly Uint8Array[];
  #wroteParameterSets = false;

  constructor(path: string, options: H264or5VideoFileSinkOptions = {}) {
    super(path, options);
    const sets: Uint8Array[] = [];
    for (const p of options.parameterSets ?? []) {
      if (p === undefined) continue;
      if (typeof p === 'string') sets.push(...parseSpropParameterSets(p));
      else if (p.length > 0) sets.push(p);
    }
    this.parameterSets = sets;
  }

  protected override writeFrame(frame: Frame): void {
    if (!this.#wroteParameterSets) {
      this.#wroteParameterSets = true;
      for (const nal of this.parameterSets) {
        this.write(START_CODE);
        this.write(nal);
      }
    }
    const d = frame.data;
    if (d.length === 0) return;
    const hasStartCode = d.length >= 3 && d[0] === 0 && d[1] === 0 && (d[2] === 1 || (d[2] === 0 && d[3] === 1));
    if (!hasStartCode) this.write(START_CODE);
    this.write(d);
  }
}
