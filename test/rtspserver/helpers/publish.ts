import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { BasicTaskScheduler } from '@dorsvr/scheduler';
import { RTSPServer, type RTSPRequestContext, type RTSPResponse, type RTSPServerOptions } from '@dorsvr/rtspserver';
import { findPeer } from '../../helpers/peers.js';
import { runPeer, type PeerResult } from './ffmpeg.js';
import { GST_RTP_TIMESTAMPS } from './gstreamer.js';

/**
 * A publishing server whose RECORD answer waits (at most 10 s) until `readers` readers play the
 * path: ffmpeg sends its first packet as soon as RECORD is answered, and a reader that came a
 * moment later rightly starts at the next key frame; gated, the first readers see every frame.
 * It shows the overridable handlers too (live555's handleCmd_*).
 */
export class GatedPublishServer extends RTSPServer {
  readers = 0;
  #plays = 0;
  #release: (() => void) | undefined;

  constructor(options: RTSPServerOptions) {
    super(options);
    this.on('play', () => {
      this.#plays++;
      // The PLAY answer is still on its way: give the reader a moment to be ready to receive
      // (GStreamer over UDP drops what comes before it has its answer).
      if (this.#plays >= this.readers) setTimeout(() => this.#release?.(), 300);
    });
  }

  protected override async handleRecord(ctx: RTSPRequestContext): Promise<RTSPResponse> {
    const res = await super.handleRecord(ctx);
    if (res.status === 200 && this.readers > 0) {
      await new Promise<void>((resolve) => {
        if (this.#plays >= this.readers) {
          setTimeout(resolve, 300);
          return;
        }
        const timer = setTimeout(resolve, 10_000);
        this.#release = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return res;
  }
}

/** A started publishing server on 127.0.0.1 (free port), closed with its scheduler by `close`. */
export async function startPublishServer(
  options: Partial<RTSPServerOptions> = {},
  readers = 0,
): Promise<{ server: GatedPublishServer; base: string; close: () => Promise<void> }> {
  const scheduler = new BasicTaskScheduler();
  const server = new GatedPublishServer({ scheduler, port: 0, host: '127.0.0.1', publish: { waitForPublisherSeconds: 20 }, ...options });
  server.readers = readers;
  await server.listen();
  return {
    server,
    base: `rtsp://127.0.0.1:${server.port}`,
    close: async () => {
      await server.close();
      scheduler.close();
    },
  };
}

/** ffmpeg publishing `input` to `url` in real time (`-re`) over `transport`; `codec` are the output options. */
export function ffmpegPublish(
  input: string,
  url: string,
  transport: 'udp' | 'tcp',
  codec: readonly string[] = ['-c', 'copy'],
  inputOptions: readonly string[] = [],
  timeoutMs = 30_000,
): Promise<PeerResult> {
  return runPeer(
    findPeer('ffmpeg'),
    ['-hide_banner', '-loglevel', 'warning', '-nostdin', '-re', ...inputOptions, '-i', input, ...codec, '-f', 'rtsp', '-rtsp_transport', transport, url],
    timeoutMs,
  );
}

/** One packet as ffprobe lists it. */
export interface ProbedPacket {
  stream: number;
  /** Presentation time in the stream's time base; undefined when ffprobe says N/A. */
  pts: number | undefined;
  /** Bytes of the frame. */
  size: number;
  key: boolean;
}

/** ffprobe's packet list of a file or URL (`args` go before the input, e.g. `-rtsp_transport tcp`). */
export async function probePackets(input: string, args: readonly string[] = [], timeoutMs = 30_000): Promise<{ packets: ProbedPacket[]; result: PeerResult }> {
  const r = await runPeer(
    findPeer('ffprobe'),
    ['-v', 'error', ...args, '-show_entries', 'packet=stream_index,pts,size,flags', '-of', 'csv=p=0', input],
    timeoutMs,
  );
  return { packets: parsePackets(r.stdout), result: r };
}

/** ffprobe's `-show_entries packet=stream_index,pts,size,flags -of csv=p=0` output, parsed. */
function parsePackets(stdout: string): ProbedPacket[] {
  const packets: ProbedPacket[] = [];
  for (const line of stdout.split('\n')) {
    const [s, pts, size, flags] = line.trim().split(',');
    if (s === undefined || size === undefined || flags === undefined) continue;
    packets.push({ stream: Number(s), pts: pts === 'N/A' ? undefined : Number(pts), size: Number(size), key: flags.startsWith('K') });
  }
  return packets;
}

/** The packets of one stream. */
export function ofStream(packets: readonly ProbedPacket[], stream: number): ProbedPacket[] {
  return packets.filter((p) => p.stream === stream);
}

/**
 * `got` is `want` whole and in order: as many packets, the first a key frame (for video), and
 * presentation times strictly increasing after the first (ffmpeg leaves the first packet of an RTP
 * stream without a timestamp, and a stream copy then writes it with the second one's).
 */
export function assertWholeInOrder(got: readonly ProbedPacket[], want: number, what: string, video: boolean): void {
  assert.equal(got.length, want, `${what}: ${got.length} packets received, ${want} sent`);
  if (video) assert.ok(got[0]?.key, `${what}: the first frame is not a key frame`);
  assertInOrder(got, what);
}

/** Presentation times strictly increase (from the second packet on, see {@link assertWholeInOrder}). */
export function assertInOrder(got: readonly ProbedPacket[], what: string): void {
  let last = -Infinity;
  for (const [i, p] of got.entries()) {
    if (i === 0 || p.pts === undefined) continue;
    assert.ok(p.pts > last, `${what}: packet ${i} has pts ${p.pts} after ${last} (out of order or repeated)`);
    last = p.pts;
  }
}

/** What a direct receiver of a publish got, per stream, in the two forms the readers write. */
export interface PublishedReference {
  /** Stream-copied to Matroska by ffmpeg (the form of the ffmpeg reader's copy). */
  copied: ProbedPacket[][];
  /** Listed by ffprobe as it depacketized them (the form of the ffprobe reader's list). */
  probed: ProbedPacket[][];
}

/**
 * The frames ffmpeg sends when it publishes `input` with these options, as ffmpeg and ffprobe
 * themselves receive them (one-shot `-rtsp_flags listen` receivers over TCP, no server between):
 * the reference a reader through our server is compared with. (ffmpeg's RTP muxer does not send
 * everything its encoder made: an AAC priming frame, audio before the video starts.)
 */
export async function publishedReference(input: string, codec: readonly string[], outFile: string, inputOptions: readonly string[] = []): Promise<PublishedReference> {
  const copiedRun = await receiveOnePublish(input, codec, inputOptions, (url) => [
    findPeer('ffmpeg'),
    ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', '-rtsp_flags', 'listen', '-rtsp_transport', 'tcp', '-i', url, '-map', '0', '-c', 'copy', outFile],
  ]);
  assert.equal(copiedRun.code, 0, `reference receiver (ffmpeg): ${copiedRun.stderr}`);
  const probedRun = await receiveOnePublish(input, codec, inputOptions, (url) => [
    findPeer('ffprobe'),
    ['-v', 'error', '-rtsp_flags', 'listen', '-rtsp_transport', 'tcp', '-show_entries', 'packet=stream_index,pts,size,flags', '-of', 'csv=p=0', url],
  ]);
  assert.equal(probedRun.code, 0, `reference receiver (ffprobe): ${probedRun.stderr}`);
  return { copied: byStream((await probePackets(outFile)).packets), probed: byStream(parsePackets(probedRun.stdout)) };
}

async function receiveOnePublish(
  input: string,
  codec: readonly string[],
  inputOptions: readonly string[],
  receiver: (url: string) => [string, string[]],
): Promise<PeerResult> {
  const port = await freePort();
  const url = `rtsp://127.0.0.1:${port}/reference`;
  const [file, args] = receiver(url);
  const received = runPeer(file, args, 30_000);
  // The receiver must listen before the publisher connects: retry the publish a few times.
  for (let i = 0; i < 20; i++) {
    await new Promise((r) => setTimeout(r, 150));
    const pub = await runPeer(findPeer('ffmpeg'), ['-hide_banner', '-loglevel', 'error', '-nostdin', ...inputOptions, '-i', input, ...codec, '-f', 'rtsp', '-rtsp_transport', 'tcp', url], 30_000);
    if (!/Connection refused/i.test(pub.stderr)) break;
  }
  return received;
}

function byStream(packets: readonly ProbedPacket[]): ProbedPacket[][] {
  const out: ProbedPacket[][] = [];
  for (const p of packets) (out[p.stream] ??= []).push(p);
  return out;
}

/**
 * `got` are the frames of `want` (the reference's, or its last ones for a reader that joined
 * late), each the same size in the same order: a lost, repeated or reordered frame shows. For
 * video the first is a key frame, whole: the relay starts a reader with the parameter sets and
 * what the publisher put before the key frame in its access unit (x264's SEI in the fixtures'
 * first access unit), so the first frame is as large as the publisher's too.
 */
export function assertSameFrames(got: readonly ProbedPacket[], want: readonly ProbedPacket[], what: string, video: boolean): void {
  assert.equal(got.length, want.length, `${what}: ${got.length} frames received, ${want.length} sent`);
  if (video) assert.ok(got[0]?.key, `${what}: the first frame is not a key frame`);
  const i = got.findIndex((p, k) => p.size !== want[k]!.size);
  assert.equal(i, -1, `${what}: frame ${i} is ${got[i]?.size} bytes, the publisher's frame ${i} was ${want[i]?.size} (lost, repeated or out of order)`);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** gst-launch-1.0 -e rtspsrc … ! chain ! filesink, killed past `boundMs`. */
export function gstRead(
  url: string,
  transport: 'udp' | 'tcp',
  chain: readonly string[],
  outFile: string,
  boundMs = 20_000,
  drops: ReadonlyArray<readonly string[]> = [],
): Promise<PeerResult> {
  const args = ['-e', 'rtspsrc', 'name=src', `location=${url}`, `protocols=${transport}`, ...GST_RTP_TIMESTAMPS];
  // Each branch is linked to the rtspsrc pad whose caps its first element takes (gst-launch's
  // delayed linking): the written track, then each other track into a fakesink.
  args.push('src.', '!', 'queue');
  for (const el of chain) args.push('!', el);
  args.push('!', 'filesink', `location=${outFile}`);
  for (const drop of drops) {
    args.push('src.', '!', 'queue');
    for (const el of drop) args.push('!', el);
    args.push('!', 'fakesink');
  }
  return runPeer(findPeer('gst-launch-1.0'), args, boundMs);
}

/** Open file descriptors of this process (Linux), to check nothing leaked. */
export function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

/** Wait until `pred()` holds, polling every 20 ms, at most `ms` (then fail with `what`). */
export async function waitUntil(pred: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
