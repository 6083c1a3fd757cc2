import type { FileHandle } from 'node:fs/promises';
import createDebug from 'debug';
import { DorsvrError } from '@dorsvr/scheduler';
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

const debug = createDebug('dorsvr:livemedia:audio');

// Bitrates (kbit/s) by "<1 for MPEG-1, 2 for MPEG-2/2.5>-<layer>" and the 4-bit index.
const BITRATES: Record<string, readonly number[]> = {
  '1-1': [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
  '1-2': [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
  '1-3': [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  '2-1': [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
  '2-2': [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
  '2-3': [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
};
// Sample rates by the 2-bit version field (3 = MPEG-1, 2 = MPEG-2, 0 = MPEG-2.5).
const RATES: Record<number, readonly number[]> = { 3: [44100, 48000, 32000], 2: [22050, 24000, 16000], 0: [11025, 12000, 8000] };

/** Channel mode of an MPEG audio frame. */
export type MPEGAudioChannelMode = 'stereo' | 'joint-stereo' | 'dual-channel' | 'mono';
const MODES: readonly MPEGAudioChannelMode[] = ['stereo', 'joint-stereo', 'dual-channel', 'mono'];

/** One MPEG-1/2/2.5 audio frame header (ISO 11172-3 / 13818-3), decoded. */
export interface MPEGAudioFrameHeader {
  /** 1 (MPEG-1), 2 (MPEG-2) or 2.5. */
  version: 1 | 2 | 2.5;
  layer: 1 | 2 | 3;
  /** True when a 16-bit CRC follows the header (protection bit 0). */
  hasCRC: boolean;
  bitrateKbps: number;
  sampleRate: number;
  /** 1 when the frame has a padding slot (4 bytes in layer I, 1 byte otherwise). */
  padding: 0 | 1;
  channelMode: MPEGAudioChannelMode;
  channels: number;
  /** Whole frame size in bytes, header included. */
  frameSize: number;
  samplesPerFrame: number;
}

/**
 * Decode the 4-byte header at `off`, or `undefined` when it is not a valid frame header (no sync,
 * reserved version/layer/rate, free-format or bad bitrate index). Never throws.
 */
export function parseMPEGAudioHeader(d: Uint8Array, off = 0): MPEGAudioFrameHeader | undefined {
  if (!(off >= 0) || off + 4 > d.length || d[off] !== 0xff || (d[off + 1]! & 0xe0) !== 0xe0) return undefined;
  const v = (d[off + 1]! >> 3) & 3;
  const l = (d[off + 1]! >> 1) & 3;
  const bi = d[off + 2]! >> 4;
  const si = (d[off + 2]! >> 2) & 3;
  if (v === 1 || l === 0 || bi === 0 || bi === 15 || si === 3) return undefined;
  const version = v === 3 ? 1 : v === 2 ? 2 : 2.5;
  const layer = (4 - l) as 1 | 2 | 3;
  const bitrateKbps = BITRATES[`${version === 1 ? 1 : 2}-${layer}`]![bi]!;
  const sampleRate = RATES[v]![si]!;
  const padding = ((d[off + 2]! >> 1) & 1) as 0 | 1;
  const channelMode = MODES[d[off + 3]! >> 6]!;
  let frameSize: number;
  let samplesPerFrame: number;
  if (layer === 1) {
    frameSize = (Math.floor((12 * bitrateKbps * 1000) / sampleRate) + padding) * 4;
    samplesPerFrame = 384;
  } else {
    const lsf = layer === 3 && version !== 1; // MPEG-2/2.5 layer III: half the granules
    frameSize = Math.floor(((lsf ? 72 : 144) * bitrateKbps * 1000) / sampleRate) + padding;
    samplesPerFrame = lsf ? 576 : 1152;
  }
  return {
    version,
    layer,
    hasCRC: (d[off + 1]! & 1) === 0,
    bitrateKbps,
    sampleRate,
    padding,
    channelMode,
    channels: channelMode === 'mono' ? 1 : 2,
    frameSize,
    samplesPerFrame,
  };
}

/**
 * True when the frame at `off` (with header `h`) is a Xing/Info or VBRI metadata frame: silence
 * that encoders put first to describe the file, not audio to be sent.
 */
export function isMPEGAudioInfoFrame(d: Uint8Array, off: number, h: MPEGAudioFrameHeader): boolean {
  if (h.layer !== 3) return false;
  const side = h.version === 1 ? (h.channels === 1 ? 17 : 32) : h.channels === 1 ? 9 : 17;
  const at = (o: number, tag: string): boolean =>
    o + 4 <= off + h.frameSize && o + 4 <= d.length && String.fromCharCode(d[o]!, d[o + 1]!, d[o + 2]!, d[o + 3]!) === tag;
  const x = off + 4 + (h.hasCRC ? 2 : 0) + side;
  return at(x, 'Xing') || at(x, 'Info') || at(off + 36, 'VBRI');
}

/** Bytes of the ID3v2 tag at the start of `d` (header, body and footer), 0 when there is none. */
export function id3v2TagSize(d: Uint8Array): number {
  if (d.length < 10 || d[0] !== 0x49 || d[1] !== 0x44 || d[2] !== 0x33) return 0; // "ID3"
  if (d[3] === 0xff || d[4] === 0xff || (d[6]! | d[7]! | d[8]! | d[9]!) & 0x80) return 0; // not a valid tag header
  const size = ((d[6]! & 0x7f) << 21) | ((d[7]! & 0x7f) << 14) | ((d[8]! & 0x7f) << 7) | (d[9]! & 0x7f);
  return 10 + size + ((d[5]! & 0x10) !== 0 ? 10 : 0);
}

/** What the scan of an MPEG audio file learns besides the frames. */
interface MP3ScanState {
  first?: MPEGAudioFrameHeader;
  sawInfo: boolean;
  skipped: number;
  done: boolean;
}

/** Bytes after a frame's start that the Xing/Info/VBRI test may read. */
const INFO_LOOKAHEAD = 64;

/**
 * An MPEG audio frame scanner feeding `builder` (frames with their headers, as RFC 2250 sends
 * them): a leading Xing/Info/VBRI frame is left out; bytes that are not a frame consistent with
 * the first one are skipped; a truncated last frame ends it.
 */
function mp3Scanner(builder: AudioFrameIndexBuilder, state: MP3ScanState): AudioFrameScanner {
  return (win, winStart, fileEnd) => {
    const winEnd = winStart + win.length;
    let off = winStart;
    for (;;) {
      if (state.done || off + 4 > fileEnd) return fileEnd;
      if (off + INFO_LOOKAHEAD > winEnd && winEnd < fileEnd) return off; // read on from here
      const h = parseMPEGAudioHeader(win, off - winStart);
      const first = state.first;
      const consistent = h && (!first || (h.version === first.version && h.layer === first.layer && h.sampleRate === first.sampleRate));
      if (!h || !consistent || off + h.frameSize > fileEnd) {
        if (h && consistent && builder.count > 0) {
          state.done = true; // truncated last frame
          return fileEnd;
        }
        off++;
        state.skipped++;
        continue;
      }
      if (builder.count === 0 && !state.sawInfo && isMPEGAudioInfoFrame(win, off - winStart, h)) {
        state.sawInfo = true;
      } else {
        state.first ??= h;
        builder.push(off, h.frameSize);
      }
      off += h.frameSize;
      if (off >= winEnd) return off;
    }
  };
}

/** Where an MPEG audio file's frames may be: after an ID3v2 tag, before an ID3v1 one. */
function mp3Bounds(head: Uint8Array, tail: Uint8Array, size: number): { start: number; end: number } {
  const start = Math.min(id3v2TagSize(head), size);
  let end = size;
  if (end - start >= 128 && tail.length >= 128) {
    const t = tail.length - 128;
    if (tail[t] === 0x54 && tail[t + 1] === 0x41 && tail[t + 2] === 0x47) end -= 128; // ID3v1 "TAG"
  }
  return { start, end };
}

function finishMP3(name: string, builder: AudioFrameIndexBuilder, state: MP3ScanState): CachedAudioIndex<MPEGAudioFrameHeader> {
  if (!state.first) throw new DorsvrError('ERR_MP3_FORMAT', `${name}: no MPEG audio frame found`);
  if (state.skipped > 0) debug('%s: %d bytes skipped to resync', name, state.skipped);
  const frames = builder.finish();
  debug('%s: %d MPEG audio frames indexed', name, frames.count);
  return { frames, first: state.first };
}

async function indexMP3File(path: string, fh: FileHandle, size: number): Promise<CachedAudioIndex<MPEGAudioFrameHeader>> {
  const head = Buffer.alloc(10);
  const tail = Buffer.alloc(128);
  const h = await fh.read(head, 0, 10, 0);
  const t = await fh.read(tail, 0, Math.min(128, size), Math.max(0, size - 128));
  const { start, end } = mp3Bounds(head.subarray(0, h.bytesRead), tail.subarray(0, t.bytesRead), size);
  const builder = new AudioFrameIndexBuilder(path, end, false);
  const state: MP3ScanState = { sawInfo: false, skipped: 0, done: false };
  await scanFileWindows(fh, start, end, mp3Scanner(builder, state));
  return finishMP3(path, builder, state);
}

/**
 * live555's MP3FileSource: MPEG-1/2/2.5 audio (layers I–III) one frame per header (header
 * included, as RFC 2250 sends it), sizes from the headers, timing from the samples per frame. An
 * ID3v2 tag at the start and an ID3v1 `TAG` at the end are skipped, and a leading Xing/Info/VBRI
 * frame (silence carrying VBR metadata) is left out, as ffmpeg does. Bytes that are not a frame
 * consistent with the first one are skipped (resync); a truncated last frame ends the stream.
 * Seeks to the frame at or before a time.
 *
 * A file is indexed once per version (path, size, modification time; concurrent first opens share
 * one scan) into typed arrays of about 6 bytes a frame, kept in a bounded cache; each source then
 * reads its frames from disk, 64 KiB of whole frames at a time, in recycled buffers
 * ({@link Frame.owner}): a stream holds about 128 KiB whatever the file's size.
 */
export class MP3FileSource extends IndexedAudioFileSource {
  /** Samples per second of the first frame. */
  readonly sampleRate: number;
  /** Channels of the first frame. */
  readonly numChannels: number;
  /** Header of the first audio frame. */
  readonly firstHeader: MPEGAudioFrameHeader;
  /** Every frame lasts as long (same version, layer and rate as the first), µs. */
  readonly #frameDurationUs: number;

  private constructor(path: string, frames: AudioFrameIndex, from: Uint8Array | AudioFrameFileReader, first: MPEGAudioFrameHeader) {
    super(path, frames, from);
    this.firstHeader = first;
    this.sampleRate = first.sampleRate;
    this.numChannels = first.channels;
    this.#frameDurationUs = (first.samplesPerFrame * 1e6) / first.sampleRate;
  }

  /**
   * Open an MPEG audio file and get its frame index (cached; built on first use). Rejects with
   * `ERR_FILE_OPEN`, `ERR_MP3_FORMAT` (no frame), `ERR_FILE_TOO_LARGE` (more frames than an
   * index takes).
   */
  static async open(path: string): Promise<MP3FileSource> {
    const { fh, index } = await openIndexedAudioFile('mp3', path, (own, size) => indexMP3File(path, own, size));
    return new MP3FileSource(path, index.frames, new AudioFrameFileReader(fh, path, index.frames, AUDIO_FILE_CHUNK_SIZE), index.first);
  }

  /** Index MPEG audio frames held in memory (throws `ERR_MP3_FORMAT` when there is none). Frames are views of `data`. */
  static fromBytes(data: Uint8Array, name = '<memory>'): MP3FileSource {
    const { start, end } = mp3Bounds(data, data, data.length);
    const builder = new AudioFrameIndexBuilder(name, end, false);
    const state: MP3ScanState = { sawInfo: false, skipped: 0, done: false };
    if (start < end) mp3Scanner(builder, state)(data.subarray(start, end), start, end);
    const { frames, first } = finishMP3(name, builder, state);
    return new MP3FileSource(name, frames, data, first);
  }

  /** Samples per second (the RTP clock of RFC 2250 MPA is 90 kHz regardless). */
  get samplingFrequency(): number {
    return this.sampleRate;
  }

  protected presentationTimeOf(i: number): number {
    return i * this.#frameDurationUs;
  }

  protected durationOf(): number {
    return this.#frameDurationUs;
  }

  override seekToNPT(npt: number): number {
    const us = (Number.isFinite(npt) ? Math.max(0, npt) : 0) * 1e6;
    // The first frame that ends after `us`.
    const i = Math.min(this.frames.count, Math.max(0, Math.floor(us / this.#frameDurationUs + 1e-9)));
    this.seekToFrame(i);
    return i < this.frames.count ? this.presentationTimeOf(i) / 1e6 : this.durationSeconds();
  }
}
