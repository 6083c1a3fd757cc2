import createDebug from 'debug';
import type { Frame } from '../core/Frame.js';
import { FileSink, type FileSinkOptions } from './FileSink.js';
import { ADTS_MAX_PAYLOAD, makeADTSHeader } from './makeADTSHeader.js';
import { parseAudioSpecificConfig, type AudioSpecificConfig } from './parseAudioSpecificConfig.js';

const debug = createDebug('dorsvr:livemedia:sinks');

/** Options of {@link ADTSAudioFileSink}. */
export interface ADTSAudioFileSinkOptions extends FileSinkOptions {
  /** The stream's AudioSpecificConfig: bytes, hex as in the SDP fmtp `config=`, or decoded. */
  config: Uint8Array | string | AudioSpecificConfig;
}

/**
 * An `.aac` file from raw AAC access units (what an RFC 3640 `mpeg4-generic` source delivers): each
 * frame gets a 7-byte ADTS header built from the AudioSpecificConfig (see {@link makeADTSHeader}).
 * The constructor throws `ERR_AUDIO_CONFIG` / `ERR_ADTS_UNREPRESENTABLE` when the config cannot
 * be written as ADTS. An access unit too large for ADTS is dropped and counted in
 * {@link framesSkipped}.
 */
export class ADTSAudioFileSink extends FileSink {
  /** The decoded config. */
  readonly config: AudioSpecificConfig;
  /** Frames dropped because ADTS cannot carry them (over 8184 bytes). */
  framesSkipped = 0;

  constructor(path: string, options: ADTSAudioFileSinkOptions) {
    super(path, options);
    const c = options.config;
    this.config = typeof c === 'string' || c instanceof Uint8Array ? parseAudioSpecificConfig(c) : { ...c };
    makeADTSHeader(this.config, 0); // fail now, not at the first frame, if ADTS cannot say it
  }

  protected override writeFrame(frame: Frame): void {
    if (frame.data.length > ADTS_MAX_PAYLOAD) {
      this.framesSkipped++;
      debug('%s: %d-byte AU does not fit an ADTS frame, dropped', this.path, frame.data.length);
      return;
    }
    this.write(makeADTSHeader(this.config, frame.data.length));
    this.write(frame.data);
  }
}
