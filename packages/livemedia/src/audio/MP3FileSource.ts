import { readFile, stat } from 'node:fs/promises';
import { DorsvrError } from '@dorsvr/scheduler';
import type { Frame } from '../core/Frame.js';
import { FramedSource } from '../core/FramedSource.js';

const MAX_FILE = 512 << 20;
// Bitrates (kbit/s) by [version is MPEG-1][layer 1..3][index].
const BITRATES: Record<string, readonly number[]> = {
  '1-1': [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
  '1-2': [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
  '1-3': [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  '2-1': [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
  '2-2': [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
  '2-3': [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
};
const RATES: Record<number, readonly number[]> = { 3: [44100, 48000, 32000], 2: [22050, 24000, 16000], 0: [11025, 12000, 8000] };

/** One MPEG audio frame header, decoded. */
export interface MPEGAudioFrameHeader {
  /** 1 (MPEG-1), 2 (MPEG-2) or 2.5. */
  version: 1 | 2 | 2.5;
  layer: 1 | 2 | 3;
  bitrateKbps: number;
  sampleRate: number;
  channels: number;
  /** Whole frame size in bytes, header included. */
  frameSize: number;
  samplesPerFrame: number;
}

/** Decodes the 4-byte header at `off`, or undefined when it is not a valid frame header. */
export function parseMPEGAudioHeader(d: Uint8Array, off: number): MPEGAudioFrameHeader | undefined {
  if (off + 4 > d.length || d[off] !== 0xff || (d[off + 1]! & 0xe0) !== 0xe0) return undefined;
  const v = (d[off + 1]! >> 3) & 3;
  const l = (d[off + 1]! >> 1) & 3;
  const bi = d[off + 2]! >> 4;
  const si = (d[off + 2]! >> 2) & 3;
  if (v === 1 || l === 0 || bi === 0 || bi === 15 || si === 3) return undefined;
  const version = v === 3 ? 1 : v === 2 ? 2 : 2.5;
  const layer = (4 - l) as 1 | 2 | 3;
  const bitrateKbps = BITRATES[`${version === 1 ? 1 : 2}-${layer}`]![bi]!;
  const sampleRate = RATES[v]![si]!;
  const padding = (d[off + 2]! >> 1) & 1;
  const channels = d[off + 3]! >> 6 === 3 ? 1 : 2;
  let frameSize: number;
  let samplesPerFrame: number;
  if (layer === 1) {
    frameSize = (Math.floor((12 * bitrateKbps * 1000) / sampleRate) + padding) * 4;
    samplesPerFrame = 384;
  } else {
    const k = layer === 3 && version !== 1 ? 72 : 144;
    frameSize = Math.floor((k * bitrateKbps * 1000) / sampleRate) + padding;
    samplesPerFrame = layer === 3 && version !== 1 ? 576 : 1152;
  }
  return { version, layer, bitrateKbps, sampleRate, channels, frameSize, samplesPerFrame };
}

/**
 * live555's MP3FileSource: MPEG-1/2 audio (layers I–III) one frame per header, sizes from the
 * headers, an ID3v2 tag at the start and an ID3v1 tag at the end skipped, and the Xing/Info
 * frame (silence carrying VBR metadata) left out. Seeks to the frame at or before a time.
 */
export class MP3FileSource extends FramedSource {
  readonly path: string;
  readonly sampleRate: number;
  readonly numChannels: number;
  readonly #data: Buffer;
  readonly #frames: Array<{ off: number; size: number; pt: number; dur: number }>;
  #next = 0;

  private constructor(path: string, data: Buffer, frames: Array<{ off: number; size: number; pt: number; dur: number }>, first: MPEGAudioFrameHeader) {
    super();
    this.path = path;
    this.#data = data;
    this.#frames = frames;
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
    let off = 0;
    if (data.length >= 10 && data.toString('latin1', 0, 3) === 'ID3') {
      const size = ((data[6]! & 0x7f) << 21) | ((data[7]! & 0x7f) << 14) | ((data[8]! & 0x7f) << 7) | (data[9]! & 0x7f);
      off = 10 + size + ((data[5]! & 0x10) !== 0 ? 10 : 0);
    }
    let end = data.length;
    if (end >= 128 && data.toString('latin1', end - 128, end - 125) === 'TAG') end -= 128;
    const frames: Array<{ off: number; size: number; pt: number; dur: number }> = [];
    let first: MPEGAudioFrameHeader | undefined;
    let pt = 0;
    while (off + 4 <= end) {
      const h = parseMPEGAudioHeader(data, off);
      if (!h || off + h.frameSize > end || h.frameSize < 4) {
        off++;
        continue;
      }
      const body = data.toString('latin1', off + 4, Math.min(off + 64, off + h.frameSize));
      const isInfo = frames.length === 0 && (body.includes('Xing') || body.includes('Info'));
      if (!isInfo) {
        first ??= h;
        const dur = (h.samplesPerFrame * 1e6) / h.sampleRate;
        frames.push({ off, size: h.frameSize, pt, dur });
        pt += dur;
      }
      off += h.frameSize;
    }
    if (!first) throw new DorsvrError('ERR_MP3_FORMAT', `${path}: no MPEG audio frame found`);
    return new MP3FileSource(path, data, frames, first);
  }

  override durationSeconds(): number {
    const last = this.#frames.at(-1);
    return last ? (last.pt + last.dur) / 1e6 : 0;
  }

  override seekToNPT(npt: number): number {
    const us = (Number.isFinite(npt) ? Math.max(0, npt) : 0) * 1e6;
    let i = 0;
    while (i < this.#frames.length && this.#frames[i]!.pt + this.#frames[i]!.dur <= us) i++;
    this.#next = i;
    return i < this.#frames.length ? this.#frames[i]!.pt / 1e6 : this.durationSeconds();
  }

  protected async readFrame(): Promise<Frame | null> {
    const f = this.#frames[this.#next];
    if (!f) return null;
    this.#next++;
    return { data: this.#data.subarray(f.off, f.off + f.size), presentationTime: f.pt, duration: f.dur, key: true };
  }
}
