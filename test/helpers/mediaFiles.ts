// What a recorded file should equal, computed from the source file with no dorsvr code: Annex-B
// with every start code made 4 bytes, WAV data chunks, MP3 audio frames without tags, and
// ffprobe's packet list.
import { readFileSync } from 'node:fs';
import { findPeer } from './peers.js';
import { runPeer } from '../rtspserver/helpers/ffmpeg.js';

/** The NAL units of an Annex-B stream (start codes of 3 or 4 bytes removed). */
export function annexBNalUnits(file: Uint8Array): Buffer[] {
  const b = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  const starts: Array<[at: number, payload: number]> = [];
  for (let i = 0; i + 2 < b.length; i++) {
    if (b[i] === 0 && b[i + 1] === 0 && b[i + 2] === 1) {
      starts.push([i > 0 && b[i - 1] === 0 ? i - 1 : i, i + 3]);
      i += 2;
    }
  }
  return starts.map(([, p], k) => b.subarray(p, k + 1 < starts.length ? starts[k + 1]![0] : b.length));
}

/** NAL units joined with 4-byte start codes. */
export function annexB4(nals: readonly Uint8Array[]): Buffer {
  return Buffer.concat(nals.flatMap((n) => [Buffer.of(0, 0, 0, 1), Buffer.from(n)]));
}

/** A WAV file's `fmt ` fields and its `data` chunk (any other chunk skipped). */
export function wavParts(path: string): { format: number; channels: number; sampleRate: number; bits: number; data: Buffer } {
  const b = readFileSync(path);
  if (b.toString('latin1', 0, 4) !== 'RIFF' || b.toString('latin1', 8, 12) !== 'WAVE') throw new Error(`${path} is not RIFF/WAVE`);
  let fmt: Buffer | undefined;
  for (let off = 12; off + 8 <= b.length; ) {
    const id = b.toString('latin1', off, off + 4);
    const size = b.readUInt32LE(off + 4);
    const body = b.subarray(off + 8, Math.min(b.length, off + 8 + size));
    if (id === 'fmt ') fmt = body;
    if (id === 'data') {
      if (!fmt) throw new Error(`${path}: data before fmt`);
      return { format: fmt.readUInt16LE(0), channels: fmt.readUInt16LE(2), sampleRate: fmt.readUInt32LE(4), bits: fmt.readUInt16LE(14), data: body };
    }
    off += 8 + size + (size & 1);
  }
  throw new Error(`${path} has no data chunk`);
}

const MP3_BITRATES_V1_L3 = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];
const MP3_RATES_V1 = [44100, 48000, 32000];

/**
 * An MPEG-1 layer III file's audio frames: the ID3v2 tag, the leading Xing/Info frame and an ID3v1
 * tag removed (what an RTP MPA stream carries). Only MPEG-1 layer III, which is what the fixture is.
 */
export function mp3AudioBytes(path: string): Buffer {
  let b = readFileSync(path);
  if (b.toString('latin1', 0, 3) === 'ID3') {
    const size = ((b[6]! & 0x7f) << 21) | ((b[7]! & 0x7f) << 14) | ((b[8]! & 0x7f) << 7) | (b[9]! & 0x7f);
    b = b.subarray(10 + size + ((b[5]! & 0x10) !== 0 ? 10 : 0));
  }
  if (b.length >= 128 && b.toString('latin1', b.length - 128, b.length - 125) === 'TAG') b = b.subarray(0, b.length - 128);
  if (b[0] !== 0xff || (b[1]! & 0xfe) !== 0xfa) throw new Error(`${path}: not MPEG-1 layer III after the tag`);
  const frameLength = Math.floor((144_000 * MP3_BITRATES_V1_L3[b[2]! >> 4]!) / MP3_RATES_V1[(b[2]! >> 2) & 3]!) + ((b[2]! >> 1) & 1);
  const mono = b[3]! >> 6 === 3;
  const sideInfo = mono ? 17 : 32;
  const tag = b.toString('latin1', 4 + sideInfo, 8 + sideInfo);
  return tag === 'Xing' || tag === 'Info' ? b.subarray(frameLength) : b;
}

/** One packet as ffprobe -show_packets sees it. */
export interface ProbePacket {
  size: number;
  duration: number;
}

/** ffprobe -show_packets of a file's first stream: each packet's size and duration (time base ticks). */
export async function probePackets(path: string, streamSelector = '0'): Promise<ProbePacket[]> {
  const r = await runPeer(findPeer('ffprobe'), [
    '-v', 'error', '-select_streams', streamSelector, '-show_entries', 'packet=size,duration', '-of', 'json', path,
  ]);
  if (r.code !== 0) throw new Error(`ffprobe -show_packets ${path} failed: ${r.stderr}`);
  const j = JSON.parse(r.stdout) as { packets?: Array<{ size: string; duration?: number | string }> };
  return (j.packets ?? []).map((p) => ({ size: Number(p.size), duration: Number(p.duration ?? -1) }));
}
