import { readFile, stat } from 'node:fs/promises';
import createDebug from 'debug';
import { DorsvrError } from '@dorsvr/scheduler';
import type { Frame } from '../core/Frame.js';
import { FramedSource } from '../core/FramedSource.js';

const debug = createDebug('dorsvr:livemedia:audio');

const MAX_FILE = 512 << 20;
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

interface MP3FrameEntry {
  off: number;
  size: number;
  pt: number;
  dur: number;
}

/**
 * live555's MP3FileSource: MPEG-1/2/2.5 audio (layers I–III) one frame per header (header
 * included, as RFC 2250 sends it), sizes from the headers, timing from the samples per frame. An
 * ID3v2 tag at the start and an ID3v1 `TAG` at the end are skipped, and a leading Xing/Info/VBRI
 * frame (silence carrying VBR metadata) is left out, as ffmpeg does. Bytes that are not a frame
 * consistent with the first one are skipped (resync); a truncated last frame ends the stream.
 * Seeks to the frame at or before a time.
 */
export class MP3FileSource extends FramedSource {
  /** Path of the file (or `'<memory>'`). */
  readonly path: string;
  /** Samples per second of the first frame. */
  readonly sampleRate: number;
  /** Channels of the first frame. */
  readonly numChannels: number;
  /** Header of the first audio frame. */
  readonly firstHeader: MPEGAudioFrameHeader;
  readonly #data: Uint8Array;
  readonly #frames: MP3FrameEntry[];
  #next = 0;

  private constructor(path: string, data: Uint8Array, frames: MP3FrameEntry[], first: MPEGAudioFrameHeader) {
    super();
    this.path = path;
    this.#data = data;
    this.#frames = frames;
    this.firstHeader = first;
    this.sampleRate = first.sampleRate;
    this.numChannels = first.channels;
  }

  /** Open and index an MPEG audio file (rejects with `ERR_FILE_OPEN` or `ERR_MP3_FORMAT`). */
  static async open(path: string): Promise<MP3FileSource> {
    let data: Buffer;
    try {
      if ((await stat(path)).size > MAX_FILE) throw new Error('file too large');
      data = await readFile(path);
    } catch (cause) {
      throw new DorsvrError('ERR_FILE_OPEN', `cannot open ${path}`, { cause });
    }
    return MP3FileSource.fromBytes(data, path);
  }

  /** Index MPEG audio frames held in memory (throws `ERR_MP3_FORMAT` when there is none). Frames are views of `data`. */
  static fromBytes(data: Uint8Array, name = '<memory>'): MP3FileSource {
    let off = Math.min(id3v2TagSize(data), data.length);
    let end = data.length;
    if (end - off >= 128 && data[end - 128] === 0x54 && data[end - 127] === 0x41 && data[end - 126] === 0x47) end -= 128; // ID3v1 "TAG"
    const frames: MP3FrameEntry[] = [];
    let first: MPEGAudioFrameHeader | undefined;
    let sawInfo = false;
    let pt = 0;
    let skipped = 0;
    while (off + 4 <= end) {
      const h = parseMPEGAudioHeader(data, off);
      const consistent = h && (!first || (h.version === first.version && h.layer === first.layer && h.sampleRate === first.sampleRate));
      if (!h || !consistent || off + h.frameSize > end) {
        if (h && consistent && frames.length > 0) break; // truncated last frame
        off++;
        skipped++;
        continue;
      }
      if (frames.length === 0 && !sawInfo && isMPEGAudioInfoFrame(data, off, h)) {
        sawInfo = true;
      } else {
        first ??= h;
        const dur = (h.samplesPerFrame * 1e6) / h.sampleRate;
        frames.push({ off, size: h.frameSize, pt, dur });
        pt += dur;
      }
      off += h.frameSize;
    }
    if (!first) throw new DorsvrError('ERR_MP3_FORMAT', `${name}: no MPEG audio frame found`);
    if (skipped > 0) debug('%s: %d bytes skipped to resync', name, skipped);
    return new MP3FileSource(name, data, frames, first);
  }

  /** Samples per second (the RTP clock of RFC 2250 MPA is 90 kHz regardless). */
  get samplingFrequency(): number {
    return this.sampleRate;
  }

  /** Number of audio frames (Xing/Info frame not counted). */
  get frameCount(): number {
    return this.#frames.length;
  }

  override durationSeconds(): number {
    const last = this.#frames.at(-1);
    return last ? (last.pt + last.dur) / 1e6 : 0;
  }

  /** Continue with frame number `index` (clamped; past the end gives end of stream). */
  seekToFrame(index: number): void {
    this.#next = Math.max(0, Math.min(this.#frames.length, Math.floor(Number.isFinite(index) ? index : 0)));
  }

  override seekToNPT(npt: number): number {
    const us = (Number.isFinite(npt) ? Math.max(0, npt) : 0) * 1e6;
    let lo = 0;
    let hi = this.#frames.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const f = this.#frames[mid]!;
      if (f.pt + f.dur <= us) lo = mid + 1;
      else hi = mid;
    }
    this.#next = lo;
    return lo < this.#frames.length ? this.#frames[lo]!.pt / 1e6 : this.durationSeconds();
  }

  protected async readFrame(): Promise<Frame | null> {
    const f = this.#frames[this.#next];
    if (!f) return null;
    this.#next++;
    return { data: this.#data.subarray(f.off, f.off + f.size), presentationTime: f.pt, duration: f.dur, key: true };
  }
}
