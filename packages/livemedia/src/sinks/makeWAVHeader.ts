import { DorsvrError } from '@dorsvr/scheduler';
import type { WAVAudioFormat } from '../audio/WAVAudioFileSource.js';

/** What a WAV header says. */
export interface WAVHeaderFields {
  /** Sample format: L16/L24 become 16/24-bit PCM, L8 8-bit PCM, PCMU/PCMA G.711 (tags 7 and 6). */
  format: WAVAudioFormat;
  /** Samples per second per channel. */
  sampleRate: number;
  /** Interleaved channels. */
  channels: number;
  /** Bytes of sample data (the `data` chunk's size, without its pad byte). */
  dataBytes: number;
}

/** Bits per sample in the file for each format. */
export function wavBitsPerSample(format: WAVAudioFormat): number {
  return format === 'L16' ? 16 : format === 'L24' ? 24 : 8;
}

/**
 * The RIFF/WAVE header up to the `data` chunk's payload. PCM (L16, L24, L8) gets the 16-byte
 * `fmt ` chunk (44-byte header); G.711 (PCMU tag 7, PCMA tag 6) the 18-byte one with `cbSize` 0
 * and a `fact` chunk holding the sample count (58 bytes), as the WAVE spec asks of non-PCM formats.
 * The RIFF size counts the data's pad byte when `dataBytes` is odd. Sizes beyond 32 bits are
 * clamped to 0xFFFFFFFF (players read such files to their end).
 */
export function makeWAVHeader(h: WAVHeaderFields): Uint8Array {
  if (!Number.isInteger(h.sampleRate) || h.sampleRate <= 0 || h.sampleRate > 0xffffffff) {
    throw new DorsvrError('ERR_WAV_FORMAT', `bad WAV sample rate ${h.sampleRate}`);
  }
  if (!Number.isInteger(h.channels) || h.channels < 1 || h.channels > 0xffff) {
    throw new DorsvrError('ERR_WAV_FORMAT', `bad WAV channel count ${h.channels}`);
  }
  const g711 = h.format === 'PCMU' || h.format === 'PCMA';
  const bits = wavBitsPerSample(h.format);
  const blockAlign = (bits / 8) * h.channels;
  const headerLength = g711 ? 58 : 44;
  const clamp = (n: number): number => Math.min(0xffffffff, Math.max(0, Math.floor(n)));
  const data = clamp(h.dataBytes);
  const out = Buffer.alloc(headerLength);
  let o = 0;
  const tag = (s: string): void => {
    out.write(s, o, 'latin1');
    o += 4;
  };
  const u32 = (v: number): void => {
    out.writeUInt32LE(clamp(v), o);
    o += 4;
  };
  const u16 = (v: number): void => {
    out.writeUInt16LE(v, o);
    o += 2;
  };
  tag('RIFF');
  u32(headerLength - 8 + data + (data & 1));
  tag('WAVE');
  tag('fmt ');
  u32(g711 ? 18 : 16);
  u16(h.format === 'PCMU' ? 7 : h.format === 'PCMA' ? 6 : 1);
  u16(h.channels);
  u32(h.sampleRate);
  u32(h.sampleRate * blockAlign);
  u16(blockAlign);
  u16(bits);
  if (g711) {
    u16(0); // cbSize
    tag('fact');
    u32(4);
    u32(Math.floor(data / blockAlign));
  }
  tag('data');
  u32(data);
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}
