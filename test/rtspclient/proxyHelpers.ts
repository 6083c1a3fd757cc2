// Test helpers for the proxy: an origin RTSPServer whose H.264 track waits for a gate before its
// first frame (so that players attached through proxies see the stream from its first frame) and
// counts the back-end sessions (SETUPs) it serves, and a proxy server in front of any URL.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { TaskScheduler } from '@dorsvr/scheduler';
import { FramedSource, H264VideoFileServerMediaSubsession, ServerMediaSession, type Frame, type RTPInterfaceLike } from '@dorsvr/livemedia';
import { RTSPServer } from '@dorsvr/rtspserver';
import { ProxyServerMediaSession, type ProxyServerMediaSessionOptions } from '@dorsvr/rtspclient';
import { findPeer } from '../helpers/peers.js';
import { runPeer } from '../rtspserver/helpers/ffmpeg.js';

/** Hands on its input's frames once `gate` resolved. */
class GatedSource extends FramedSource {
  readonly input: FramedSource;
  readonly #gate: Promise<void>;
  constructor(input: FramedSource, gate: Promise<void>) {
    super();
    this.input = input;
    this.#gate = gate;
  }
  protected async readFrame(): Promise<Frame | null> {
    await this.#gate;
    return this.input.getNextFrame();
  }
  override close(): void {
    this.input.close();
    super.close();
  }
}

/** An origin server of one H.264 file whose frames wait for {@link GatedOrigin.open}. */
export interface GatedOrigin {
  server: RTSPServer;
  url: string;
  /** SETUPs the origin answered (back-end sessions: one track each). */
  readonly setups: number;
  /** Let the frames go. */
  open(): void;
  close(): Promise<void>;
}

export async function gatedOrigin(scheduler: TaskScheduler, file: string, name = 'origin'): Promise<GatedOrigin> {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const safety = setTimeout(release, 20_000);
  let setups = 0;
  class Gated extends H264VideoFileServerMediaSubsession {
    protected override async createNewStreamSource(): Promise<FramedSource> {
      return new GatedSource(await super.createNewStreamSource(), gate);
    }
    // The sink reads the framer's SPS/PPS (the SDP's sprop-parameter-sets).
    protected override createNewRTPSink(rtpInterface: RTPInterfaceLike, payloadType: number, source: FramedSource) {
      return super.createNewRTPSink(rtpInterface, payloadType, source instanceof GatedSource ? source.input : source);
    }
    override getStreamParameters(...args: Parameters<H264VideoFileServerMediaSubsession['getStreamParameters']>) {
      setups++;
      return super.getStreamParameters(...args);
    }
  }
  const server = new RTSPServer({ scheduler, port: 0, host: '127.0.0.1' });
  server.addServerMediaSession(new ServerMediaSession(name).addSubsession(new Gated(file, { scheduler })));
  await server.listen();
  return {
    server,
    url: `rtsp://127.0.0.1:${server.port}/${name}`,
    get setups() {
      return setups;
    },
    open: () => release(),
    close: async () => {
      clearTimeout(safety);
      release();
      await server.close();
    },
  };
}

/** An RTSPServer serving a ProxyServerMediaSession of `backend` as `name`. */
export interface ProxyServer {
  server: RTSPServer;
  proxy: ProxyServerMediaSession;
  url: string;
  close(): Promise<void>;
}

export async function proxyServer(scheduler: TaskScheduler, backend: string, name = 'proxyStream', options: Partial<ProxyServerMediaSessionOptions> = {}): Promise<ProxyServer> {
  const server = new RTSPServer({ scheduler, port: 0, host: '127.0.0.1' });
  const proxy = new ProxyServerMediaSession(name, backend, { scheduler, ...options });
  server.addServerMediaSession(proxy);
  await server.listen();
  return {
    server,
    proxy,
    url: `rtsp://127.0.0.1:${server.port}/${name}`,
    close: async () => {
      proxy.close();
      await server.close();
    },
  };
}

/** Resolves once `cond()` holds, checking every 20 ms; fails after `ms`. */
export async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    assert.ok(Date.now() < end, `timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Frames ffprobe decodes from a recording (the stream was decodable from its first frame). */
export async function decodedFrames(file: string): Promise<number> {
  const r = await runPeer(findPeer('ffprobe'), ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', file]);
  assert.equal(r.code, 0, r.stderr);
  return Number(r.stdout.trim());
}

/** A TCP port free now (bound then released), for a server that must come back on the same port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}
