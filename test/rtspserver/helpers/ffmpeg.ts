import { spawn, type ChildProcess } from 'node:child_process';
import { findPeer } from '../../helpers/peers.js';

/** Output of a finished peer process. */
export interface PeerResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Run a peer program to completion, killing it after `timeoutMs` (the result says so);
 * `onStdout` sees the output so far each time more arrives (to signal the child mid-run); `cwd`
 * is the child's working directory (default: ours). The promise carries the `child` (to signal it
 * on some other event).
 */
export function runPeer(
  file: string,
  args: readonly string[],
  timeoutMs = 30_000,
  onStdout?: (all: string, child: ChildProcess) => void,
  cwd?: string,
): Promise<PeerResult> & { child: ChildProcess } {
  const child = spawn(file, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const result = new Promise<PeerResult>((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      onStdout?.(stdout, child);
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (stderr.length > 200_000) stderr = stderr.slice(-100_000);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return Object.assign(result, { child });
}

/** What ffprobe says of a file's first stream. */
export interface ProbeResult {
  codec: string;
  width?: number;
  height?: number;
  sampleRate?: number;
  channels?: number;
  /** Frames (video) or packets (audio) counted by decoding/reading the whole stream. */
  frames: number;
  /** Duration of the stream in seconds, when ffprobe knows it. */
  duration?: number;
}

/** ffprobe a file: codec of stream 0, its geometry or rate, and its packet count. */
export async function probe(file: string, streamSelector = '0'): Promise<ProbeResult> {
  const r = await runPeer(findPeer('ffprobe'), [
    '-v', 'error',
    '-count_packets',
    '-select_streams', streamSelector,
    '-show_entries', 'stream=codec_name,width,height,sample_rate,channels,nb_read_packets:format=duration',
    '-of', 'json',
    file,
  ]);
  if (r.code !== 0) throw new Error(`ffprobe ${file} failed: ${r.stderr}`);
  const j = JSON.parse(r.stdout) as { streams?: Array<Record<string, string | number>>; format?: { duration?: string } };
  const s = j.streams?.[0];
  if (!s) throw new Error(`ffprobe found no stream in ${file}: ${r.stdout}`);
  const out: ProbeResult = { codec: String(s.codec_name), frames: Number(s.nb_read_packets ?? 0) };
  if (s.width !== undefined) out.width = Number(s.width);
  if (s.height !== undefined) out.height = Number(s.height);
  if (s.sample_rate !== undefined) out.sampleRate = Number(s.sample_rate);
  if (s.channels !== undefined) out.channels = Number(s.channels);
  if (j.format?.duration !== undefined) out.duration = Number(j.format.duration);
  return out;
}

/**
 * Play `url` with ffmpeg over `transport` and stream-copy it into `outFile` (container picked by
 * the extension). Resolves with ffmpeg's result; the caller checks the file with {@link probe}.
 */
export function ffmpegCopy(
  url: string,
  transport: 'udp' | 'tcp' | 'http' | 'https',
  outFile: string,
  extraInput: readonly string[] = [],
  timeoutMs = 30_000,
  extraOutput: readonly string[] = [],
): Promise<PeerResult> {
  return runPeer(
    findPeer('ffmpeg'),
    [
      '-hide_banner', '-loglevel', 'warning', '-nostdin', '-y',
      '-rtsp_transport', transport,
      ...extraInput,
      '-i', url,
      ...extraOutput,
      '-c', 'copy',
      outFile,
    ],
    timeoutMs,
  );
}
