import createDebug from 'debug';
import { DorsvrError, limitOption } from '@dorsvr/scheduler';
import type { Frame } from '../core/Frame.js';
import { FramedFilter } from '../core/FramedFilter.js';
import type { AnyFramedSource } from '../core/FramedSource.js';
import { audioSpecificConfigHex, parseADTSHeader, type ADTSHeader } from './ADTSHeader.js';

const debug = createDebug('dorsvr:livemedia:audio');

/** Options of {@link ADTSAudioStreamFramer}. */
export interface ADTSAudioStreamFramerOptions {
  /** Bytes {@link ADTSAudioStreamFramer.prepare} may read looking for the first header (default 1 MiB; anything but a positive integer throws `ERR_SOURCE_OPTIONS`). */
  maxPrepareBytes?: number;
  /** Bytes skipped looking for a sync word before the input is refused as not ADTS (default 64 KiB; anything but a positive integer throws `ERR_SOURCE_OPTIONS`). */
  maxResyncBytes?: number;
}

/**
 * An AAC stream in ADTS framing from any source of byte chunks (a pipe, a socket, an encoder's
 * output cut anywhere): one raw AAC frame out per ADTS frame (the header and CRC stripped, as RFC
 * 3640 carries it), timed by sample count from 0 (1024 samples per raw data block). The stream's
 * `AudioSpecificConfig` (for the SDP's `config=`) is known once the first header was read:
 * {@link prepare} reads up to it. Bytes that are not ADTS are skipped up to the next sync word.
 * ADTSAudioFileSource is the file reader (indexed, seekable); this is its live counterpart.
 */
export class ADTSAudioStreamFramer extends FramedFilter {
  readonly #maxPrepareBytes: number;
  readonly #maxResyncBytes: number;
  #buf: Uint8Array = new Uint8Array(0);
  #first: ADTSHeader | undefined;
  #samples = 0;
  #ended = false;
  #bytesSeen = 0;
  /** Bytes skipped since the last header found. */
  #skipped = 0;
  #preparing: Promise<void> | undefined;

  constructor(inputSource: AnyFramedSource, options: ADTSAudioStreamFramerOptions = {}) {
    super(inputSource);
    this.#maxPrepareBytes = limitOption(options.maxPrepareBytes, 1 << 20, 'maxPrepareBytes', 'ERR_SOURCE_OPTIONS');
    this.#maxResyncBytes = limitOption(options.maxResyncBytes, 64 * 1024, 'maxResyncBytes', 'ERR_SOURCE_OPTIONS');
  }

  /** Sampling rate from the first header (undefined before it). */
  get sampleRate(): number | undefined {
    return this.#first?.samplingFrequency;
  }
  /** Channels from the first header (undefined before it). */
  get numChannels(): number | undefined {
    return this.#first?.channelConfiguration;
  }
  /** The AudioSpecificConfig in hex (RFC 3640 `config=`), from the first header. */
  get configHex(): string | undefined {
    const h = this.#first;
    return h && audioSpecificConfigHex(h.audioObjectType, h.samplingFrequencyIndex, h.channelConfiguration);
  }

  /**
   * Read until the first ADTS header is known (what is read is still delivered). Resolves at end of
   * input too; then {@link configHex} stays undefined. Idempotent.
   */
  prepare(): Promise<void> {
    this.#preparing ??= (async () => {
      const limit = this.#maxPrepareBytes;
      while (this.#first === undefined && !this.#ended && this.#bytesSeen < limit) {
        this.#sync();
        if (this.#first === undefined) await this.#fill();
      }
    })();
    return this.#preparing;
  }

  /** Read one more input chunk into the buffer; false at end of input. */
  async #fill(): Promise<boolean> {
    if (this.#ended) return false;
    const chunk = await this.inputSource.getNextFrame();
    if (chunk === null) {
      this.#ended = true;
      return false;
    }
    this.#bytesSeen += chunk.data.length;
    const b = new Uint8Array(this.#buf.length + chunk.data.length);
    b.set(this.#buf, 0);
    b.set(chunk.data, this.#buf.length);
    chunk.owner?.releaseFrame(chunk); // copied
    this.#buf = b;
    return true;
  }

  /** Drop bytes up to the next header; note the first header. */
  #sync(): ADTSHeader | undefined {
    const buf = this.#buf;
    let off = 0;
    let h: ADTSHeader | undefined;
    while (off + 7 <= buf.length && (h = parseADTSHeader(buf, off)) === undefined) off++;
    if (off > 0) {
      debug('skipped %d bytes that are not ADTS', off);
      this.#buf = buf.subarray(off);
      this.#skipped += off;
      if (this.#skipped > this.#maxResyncBytes) {
        throw new DorsvrError('ERR_ADTS_FORMAT', `${this.#skipped} bytes without an ADTS header: not an ADTS stream`);
      }
    }
    if (h !== undefined) {
      this.#skipped = 0;
      this.#first ??= h;
    }
    return h;
  }

  protected async readFrame(): Promise<Frame | null> {
    for (;;) {
      const h = this.#sync();
      if (h !== undefined && this.#buf.length >= h.frameLength) {
        const data = this.#buf.subarray(h.headerLength, h.frameLength);
        this.#buf = this.#buf.subarray(h.frameLength);
        const rate = h.samplingFrequency;
        const n = 1024 * h.numRawDataBlocks;
        const presentationTime = (this.#samples * 1e6) / rate;
        this.#samples += n;
        return { data, presentationTime, duration: (n * 1e6) / rate, key: true };
      }
      if (!(await this.#fill())) return null;
    }
  }
}
