import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { findPeer } from '../../helpers/peers.js';

const run = promisify(execFile);

/** One access unit as ffprobe's raw H.264/H.265 demuxer + parser sees it. */
export interface ProbedPacket {
  pos: number;
  size: number;
  key: boolean;
  /** Presentation time in µs: the sum of the durations of the packets before it (raw streams carry no pts). */
  timeUs: number;
  durationUs: number;
}

export interface ProbedStream {
  width: number;
  height: number;
  profile: string;
  level: number;
  frameRate: number;
  packets: ProbedPacket[];
}

/** Runs the real ffprobe on `file` and returns its view of the stream and of every packet. */
export async function ffprobeStream(file: string): Promise<ProbedStream> {
  const ffprobe = findPeer('ffprobe');
  const { stdout } = await run(
    ffprobe,
    [
      '-v', 'error',
      '-show_packets',
      '-show_entries', 'packet=pos,size,flags,duration:stream=width,height,profile,level,r_frame_rate,time_base',
      '-of', 'json',
      file,
    ],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  const j = JSON.parse(stdout) as {
    streams: { width: number; height: number; profile: string; level: number; r_frame_rate: string; time_base: string }[];
    packets: { pos: string; size: string; flags: string; duration: number }[];
  };
  const s = j.streams[0]!;
  const [tbNum, tbDen] = s.time_base.split('/').map(Number) as [number, number];
  const [frNum, frDen] = s.r_frame_rate.split('/').map(Number) as [number, number];
  let ticks = 0;
  const packets = j.packets.map((p) => {
    const timeUs = (ticks * tbNum * 1e6) / tbDen;
    ticks += p.duration;
    return {
      pos: Number(p.pos),
      size: Number(p.size),
      key: p.flags.startsWith('K'),
      timeUs,
      durationUs: (p.duration * tbNum * 1e6) / tbDen,
    };
  });
  return { width: s.width, height: s.height, profile: s.profile, level: s.level, frameRate: frNum / frDen, packets };
}

/**
 * Annex-B bytes with every start code shortened to `00 00 01` and trailing zero bytes dropped (NAL
 * payloads never hold `00 00 00`…`00 00 02` and never end in `00`).
 */
export function normalizeStartCodes(buf: Uint8Array): number[] {
  const out: number[] = [];
  let zeros = 0;
  for (const b of buf) {
    if (b === 0) {
      zeros++;
      continue;
    }
    if (b === 1 && zeros >= 2) out.push(0, 0);
    else for (let i = 0; i < zeros; i++) out.push(0);
    zeros = 0;
    out.push(b);
  }
  // Trailing zeros belong to the next start code (ffmpeg's H.265 parser leaves the first zero of a
  // 4-byte start code at the end of the previous packet).
  return out;
}
