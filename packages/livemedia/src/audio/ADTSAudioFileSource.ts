import type { FileHandle } from 'node:fs/promises';
import createDebug from 'debug';
import { DorsvrError } from '@dorsvr/scheduler';
import { audioSpecificConfigHex, parseADTSHeader } from './ADTSHeader.js';
import {
  AudioFrameFileReader,
  AudioFrameIndexBuilder,
  openIndexedAudioFile,
  scanFileWindows,
  type AudioFrameIndex,
  type AudioFrameScanner,
  type CachedAudioIndex,
} from './AudioFrameIndex.js';
import { AUDIO_FILE_CHUNK_SIZE, IndexedAudioFileSource } from './IndexedAudioFileSource.js';

export { AAC_SAMPLING_FREQUENCIES } from './ADTSHeader.js';

const debug = createDebug('dorsvr:livemedia:audio');

/** What the first ADTS header says of the stream. */
interface ADTSFirst {
  aot: number;
  sfi: number;
  rate: number;
  ch: number;
}

/**
 * An ADTS frame scanner feeding `builder`: frames are the raw data after header and CRC, timed in
 * raw data blocks (1024 samples each). A header whose sampling index differs from the first one's
 * is taken for a false sync inside raw data (skipped byte by byte); a truncated last frame ends it.
 */
function adtsScanner(builder: AudioFrameIndexBuilder, state: { first?: ADTSFirst; skipped: number }): AudioFrameScanner {
  return (win, winStart, fileEnd) => {
    const winEnd = winStart + win.length;
    let off = winStart;
    for (;;) {
      if (off + 7 > fileEnd) return fileEnd;
      if (off + 7 > winEnd) return off; // the header straddles the window: read on from it
      const h = parseADTSHeader(win, off - winStart);
      const first = state.first;
      if (!h || (first !== undefined && h.samplingFrequencyIndex !== first.sfi)) {
        off++;
        state.skipped++;
        continue;
      }
      if (off + h.frameLength > fileEnd) return fileEnd; // truncated last frame
      state.first ??= { aot: h.audioObjectType, sfi: h.samplingFrequencyIndex, rate: h.samplingFrequency, ch: h.channelConfiguration };
      builder.push(off + h.headerLength, h.frameLength - h.headerLength, h.numRawDataBlocks);
      off += h.frameLength;
      if (off >= winEnd) return off;
    }
  };
}

function finishADTS(name: string, builder: AudioFrameIndexBuilder, state: { first?: ADTSFirst; skipped: number }): CachedAudioIndex<ADTSFirst> {
  if (!state.first) throw new DorsvrError('ERR_ADTS_FORMAT', `${name}: no ADTS frame found`);
  if (state.skipped > 0) debug('%s: %d bytes skipped to resync', name, state.skipped);
  const frames = builder.finish();
  debug('%s: %d ADTS frames indexed', name, frames.count);
  return { frames, first: state.first };
}

async function indexADTSFile(path: string, fh: FileHandle, size: number): Promise<CachedAudioIndex<ADTSFirst>> {
  const builder = new AudioFrameIndexBuilder(path, size, true);
  const state: { first?: ADTSFirst; skipped: number } = { skipped: 0 };
  await scanFileWindows(fh, 0, size, adtsScanner(builder, state));
  return finishADTS(path, builder, state);
}

/**
 * live555's ADTSAudioFileSource: AAC in ADTS framing, one frame per ADTS header; frames are the raw
 * AAC access units with the ADTS header (and CRC) stripped, as RFC 3640 wants, each 1024 samples
 * per raw data block. The stream's AudioSpecificConfig (for `mpeg4-generic`'s `config=`) comes from
 * the first header. Bytes between frames that are not a header are skipped (resync on 0xFFF); a
 * truncated last frame ends the stream. Seeks to the frame at or before a time.
 *
 * A file is indexed once per version (path, size, modification time; concurrent first opens share
 * one scan) into typed arrays of about 10 bytes a frame, kept in a bounded cache; each source then
 * reads its frames from disk, 64 KiB of whole frames at a time, in recycled buffers
 * ({@link Frame.owner}): a stream holds about 128 KiB whatever the file's size.
 */
export class ADTSAudioFileSource extends IndexedAudioFileSource {
  /** Samples per second (same as {@link samplingFrequency}). */
  readonly sampleRate: number;
  /** Channel configuration of the first header (1 mono, 2 stereo, …). */
  readonly numChannels: number;
  /** Audio object type (2 = AAC LC). */
  readonly profile: number;
  /** AudioSpecificConfig as upper-case hex, e.g. `1210`: `config=` of the mpeg4-generic fmtp. */
  readonly configHex: string;

  private constructor(path: string, frames: AudioFrameIndex, from: Uint8Array | AudioFrameFileReader, first: ADTSFirst) {
    super(path, frames, from);
    this.profile = first.aot;
    this.sampleRate = first.rate;
    this.numChannels = first.ch;
    this.configHex = audioSpecificConfigHex(first.aot, first.sfi, first.ch);
  }

  /**
   * Open an ADTS file and get its frame index (cached; built on first use). Rejects with
   * `ERR_FILE_OPEN`, `ERR_ADTS_FORMAT` (no frame), `ERR_FILE_TOO_LARGE` (more frames than an
   * index takes).
   */
  static async open(path: string): Promise<ADTSAudioFileSource> {
    const { fh, index } = await openIndexedAudioFile('adts', path, (own, size) => indexADTSFile(path, own, size));
    return new ADTSAudioFileSource(path, index.frames, new AudioFrameFileReader(fh, path, index.frames, AUDIO_FILE_CHUNK_SIZE), index.first);
  }

  /** Index ADTS frames held in memory (throws `ERR_ADTS_FORMAT` when there is none). Frames are views of `data`. */
  static fromBytes(data: Uint8Array, name = '<memory>'): ADTSAudioFileSource {
    const builder = new AudioFrameIndexBuilder(name, data.length, true);
    const state: { first?: ADTSFirst; skipped: number } = { skipped: 0 };
    adtsScanner(builder, state)(data, 0, data.length);
    const { frames, first } = finishADTS(name, builder, state);
    return new ADTSAudioFileSource(name, frames, data, first);
  }

  /** Samples per second (RFC 3640's RTP clock rate). */
  get samplingFrequency(): number {
    return this.sampleRate;
  }

  /** Microseconds per 1024-sample frame. */
  get frameDurationUs(): number {
    return (1024 * 1e6) / this.sampleRate;
  }

  /** Raw data blocks (1024 samples each) before frame `i` (`i` itself when every frame has one). */
  #blockOf(i: number): number {
    const units = this.frames.units;
    return units.length === 0 ? i : units[i]!;
  }

  protected presentationTimeOf(i: number): number {
    return (this.#blockOf(i) * 1024 * 1e6) / this.sampleRate;
  }

  protected durationOf(i: number): number {
    return ((this.#blockOf(i + 1) - this.#blockOf(i)) * 1024 * 1e6) / this.sampleRate;
  }

  override seekToNPT(npt: number): number {
    const want = ((Number.isFinite(npt) ? Math.max(0, npt) : 0) * this.sampleRate) / 1024; // in blocks
    const n = this.frames.count;
    // Last frame starting at or before `want` (frames are in sample order).
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.#blockOf(mid) <= want) lo = mid + 1;
      else hi = mid;
    }
    const i = Math.max(0, lo - 1);
    if (n === 0 || want >= this.#blockOf(i + 1)) {
      this.seekToFrame(n);
      return this.durationSeconds();
    }
    this.seekToFrame(i);
    return (this.#blockOf(i) * 1024) / this.sampleRate;
  }
}
