// The server benchmark's load generator: N RTSP players on loopback, built on this project's RTSP
// codec (serializeRTSPRequest + RTSPParser), cheap enough to share the machine with the server.
// Each session: DESCRIBE, SETUP (UDP client_port: an even RTP port and the RTCP port above it, both bound; or TCP interleaved), PLAY, D seconds of RTP
// counted (packets, bytes, sequence gaps, RTP-time span vs wall-clock span), TEARDOWN.
// Sessions are set up `batch` at a time. Every wait is bounded; the generator stops by itself.
import { createSocket, type Socket as UDPSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { RTSPParser, serializeRTSPRequest, type RTSPResponse } from '@dorsvr/livemedia';

export interface LoadOptions {
  port: number;
  /** Stream name (file path under the server's root). */
  path: string;
  sessions: number;
  transport: 'udp' | 'tcp';
  /** Seconds each session plays once all are set up. */
  seconds: number;
  /** Sessions set up concurrently (default 50). */
  batch?: number;
  /** RTP clock rate of the stream (90000 for video and MPEG-TS). */
  clockRate?: number;
  /** Measured windows of `seconds` each (default 1). */
  windows?: number;
  /** Seconds of play before the first window, not measured (default 3). */
  warmupSeconds?: number;
  /** Seconds of play after a resume before the next window, not measured (default 0.5). */
  settleSeconds?: number;
  /**
   * When given, runs after each window i with every session PAUSEd (e.g. the floor, measured while
   * the server has nothing to send); PLAY without a Range resumes them before the next window.
   */
  between?: (i: number, window: WindowStats, allPaused: boolean) => Promise<void>;
  /** Called once every session is set up and playing, before the first settle. */
  onPlaying?: () => void;
  /** Called when window i starts (every session plays) and when it ends. */
  onWindowStart?: (i: number) => void;
  onWindowEnd?: (i: number) => void;
}

/** What all sessions received during one measured window. */
export interface WindowStats {
  /** Sessions playing. */
  sessions: number;
  /** False when a session's PLAY (resume) before this window failed: the window is not what it should be. */
  valid: boolean;
  packets: number;
  bytes: number;
  /** RTP timestamps seen change (frames, or MPEG-TS packet groups) summed over sessions. */
  frames: number;
  /**
   * Per session playing: when (performance.now(), ms) its first bursts of the window arrived (a new
   * RTP timestamp; up to 16) — their phase, so that the floor can send with the same alignment.
   */
  burstTimes: number[][];
  seconds: number;
  /** The generator's own CPU during the window, µs. */
  generatorCpuUs: number;
}

export interface SessionStats {
  ok: boolean;
  error?: string;
  packets: number;
  bytes: number;
  lost: number;
  /** Packets that arrived after a later sequence number (un-counted from `lost` again). */
  late: number;
  /** Packets of another SSRC than the session's first (not counted at all: someone else's stream). */
  foreign: number;
  frames: number;
  /** RTP-time span / wall-clock span of what arrived during the measured windows (1 = real time). */
  realTime: number;
  /** DESCRIBE sent → first RTP packet, ms. */
  setupMs: number;
}

export interface LoadResult {
  sessions: SessionStats[];
  windows: WindowStats[];
  /** Packets received by all sessions during the measured windows. */
  windowPackets: number;
  windowSeconds: number;
  /** The generator's own CPU during the windows, µs. */
  generatorCpuUs: number;
}

const TIMEOUT_MS = 15_000;

/** Sessions come from 127.0.1.x so that the server's per-address limits (100) are not what is measured. */
function localAddressFor(i: number): string {
  return `127.0.1.${1 + Math.floor(i / 90)}`;
}

class Player {
  readonly stats: SessionStats = { ok: false, packets: 0, bytes: 0, lost: 0, late: 0, foreign: 0, frames: 0, realTime: 0, setupMs: 0 };
  #ssrc = -1;
  #sock!: Socket;
  #udp: UDPSocket | undefined;
  /** The RTCP port (RTP port + 1), held so that no other session takes it as its RTP port. */
  #rtcp: UDPSocket | undefined;
  readonly #parser = new RTSPParser({ maxBodySize: 1 << 16 });
  #cseq = 0;
  #pending: { resolve: (r: RTSPResponse) => void; reject: (e: Error) => void } | undefined;
  #session = '';
  #lastSeq = -1;
  #counting = false;
  /** Arrival times of the window's first bursts (new RTP timestamps), at most 16. */
  readonly burstTimes: number[] = [];
  #firstTs = 0;
  #lastTs = 0;
  #firstAt = 0;
  #lastAt = 0;
  /** RTP seconds and wall seconds summed over the windows ended. */
  #rtpSum = 0;
  #wallSum = 0;
  #base = '';
  #windowStart = false;
  #tStart = 0;
  #firstPacket: (() => void) | undefined;
  #closed = false;
  #stopping = false;

  constructor(
    readonly index: number,
    readonly o: LoadOptions,
  ) {}

  async start(): Promise<void> {
    const local = localAddressFor(this.index);
    const url = `rtsp://127.0.0.1:${this.o.port}/${this.o.path}`;
    this.#sock = connect({ host: '127.0.0.1', port: this.o.port, localAddress: local });
    this.#sock.setNoDelay(true);
    this.#sock.on('data', (d: Buffer) => this.#onData(d));
    this.#sock.on('error', (e) => this.#fail(e));
    this.#sock.on('close', () => this.#fail(new Error('connection closed')));
    await new Promise<void>((resolve, reject) => {
      this.#sock.once('connect', resolve);
      this.#sock.once('error', reject);
    });
    this.#tStart = performance.now();
    const desc = await this.#request('DESCRIBE', url, { Accept: 'application/sdp' });
    const sdp = Buffer.from(desc.body).toString('latin1');
    const control = /a=control:(\S+)/.exec(sdp.slice(sdp.indexOf('m=')))?.[1] ?? '';
    const base = desc.headers.get('Content-Base') ?? `${url}/`;
    this.#base = base;
    const trackURL = control.startsWith('rtsp://') ? control : control === '*' || control === '' ? base : base + control;
    let transport: string;
    if (this.o.transport === 'udp') {
      const { rtp: udp, rtcp } = await bindPortPair(local);
      this.#udp = udp;
      this.#rtcp = rtcp;
      udp.on('message', (m) => this.#onRTP(m));
      rtcp.on('message', () => {});
      // Room for a key frame's burst while the generator waits for the CPU (capped by rmem_max).
      try {
        udp.setRecvBufferSize(1 << 20);
      } catch {
        // the default then
      }
      const p = udp.address().port;
      transport = `RTP/AVP;unicast;client_port=${p}-${p + 1}`;
    } else transport = 'RTP/AVP/TCP;unicast;interleaved=0-1';
    const setup = await this.#request('SETUP', trackURL, { Transport: transport });
    this.#session = (setup.headers.get('Session') ?? '').split(';')[0]!;
    const first = new Promise<void>((resolve) => (this.#firstPacket = resolve));
    await this.#request('PLAY', base, { Session: this.#session, Range: 'npt=0.000-' });
    await withTimeout(first, TIMEOUT_MS, 'no RTP');
    this.stats.setupMs = performance.now() - this.#tStart;
    this.stats.ok = true;
  }

  /** A measured window starts: counts from here on (added to those of earlier windows). */
  beginWindow(): void {
    this.#windowStart = true;
    this.#counting = false;
    this.burstTimes.length = 0;
  }

  endWindow(): void {
    if (this.#counting) {
      this.#wallSum += (this.#lastAt - this.#firstAt) / 1000;
      this.#rtpSum += ((this.#lastTs - this.#firstTs) >>> 0) / (this.o.clockRate ?? 90000);
    }
    this.stats.realTime = this.#wallSum > 0 ? this.#rtpSum / this.#wallSum : 0;
    this.#windowStart = false;
  }

  /** PAUSE (between windows) and PLAY without a Range (resume where it paused). */
  async pause(): Promise<void> {
    await this.#request('PAUSE', this.#base, { Session: this.#session });
  }

  async resume(): Promise<void> {
    await this.#request('PLAY', this.#base, { Session: this.#session });
  }

  async stop(): Promise<void> {
    if (this.#closed) return;
    this.#stopping = true;
    try {
      if (this.#session) await withTimeout(this.#request('TEARDOWN', `rtsp://127.0.0.1:${this.o.port}/${this.o.path}`, { Session: this.#session }), 3000, 'TEARDOWN');
    } catch {
      // counted as ok: the window is over
    }
    this.close();
  }

  close(): void {
    this.#closed = true;
    this.#sock?.destroy();
    this.#udp?.close();
    this.#udp = undefined;
    this.#rtcp?.close();
    this.#rtcp = undefined;
  }

  #fail(e: Error): void {
    if (!this.#closed && !this.stats.ok) this.stats.error ??= e.message;
    // Cut while playing (e.g. dropped as a slow TCP reader): it shows as a session behind real time.
    else if (!this.#closed && !this.#stopping) this.stats.error ??= `while playing: ${e.message}`;
    this.#pending?.reject(e);
    this.#pending = undefined;
  }

  #request(method: string, uri: string, headers: Record<string, string>): Promise<RTSPResponse> {
    const cseq = ++this.#cseq;
    const p = new Promise<RTSPResponse>((resolve, reject) => (this.#pending = { resolve, reject }));
    this.#sock.write(serializeRTSPRequest({ method, uri, headers: { CSeq: String(cseq), ...headers } }));
    return withTimeout(p, TIMEOUT_MS, method).catch((e: Error) => {
      if (process.env.BENCH_TRACE) console.log(`TRACE session ${this.index} ${method} cseq ${cseq} local ${this.#sock.localAddress}:${this.#sock.localPort} failed at ${new Date().toISOString()}: ${e.message}`);
      throw e;
    }).then((r) => {
      if (r.status !== 200) throw new Error(`${method}: ${r.status} ${r.reason}`);
      return r;
    });
  }

  #onData(d: Buffer): void {
    for (const item of this.#parser.push(d)) {
      if (item.type === 'interleaved') {
        if (item.channel === 0) this.#onRTP(item.payload);
      } else if (item.type === 'response') {
        const p = this.#pending;
        this.#pending = undefined;
        p?.resolve(item);
      }
    }
  }

  #onRTP(m: Uint8Array): void {
    if (m.length < 12) return;
    const seq = (m[2]! << 8) | m[3]!;
    const ts = ((m[4]! << 24) | (m[5]! << 16) | (m[6]! << 8) | m[7]!) >>> 0;
    const ssrc = ((m[8]! << 24) | (m[9]! << 16) | (m[10]! << 8) | m[11]!) >>> 0;
    if (this.#ssrc < 0) this.#ssrc = ssrc;
    else if (ssrc !== this.#ssrc) {
      if (this.#windowStart) this.stats.foreign++;
      return;
    }
    const now = performance.now();
    if (this.#firstPacket) {
      this.#firstPacket();
      this.#firstPacket = undefined;
    }
    if (!this.#windowStart) {
      this.#lastSeq = seq;
      return;
    }
    const s = this.stats;
    s.packets++;
    s.bytes += m.length;
    if (this.#lastSeq >= 0) {
      const gap = (seq - this.#lastSeq - 1) & 0xffff;
      if (gap >= 0x8000) {
        // Behind the highest seen: a reordered (or duplicated) packet the gap before it counted as lost.
        s.late++;
        if (s.lost > 0) s.lost--;
        return;
      }
      s.lost += gap;
    }
    this.#lastSeq = seq;
    if (ts !== this.#lastTs || !this.#counting) {
      s.frames++;
      if (this.burstTimes.length < 16) this.burstTimes.push(now);
    }
    if (!this.#counting) {
      this.#counting = true;
      this.#firstTs = ts;
      this.#firstAt = now;
    }
    this.#lastTs = ts;
    this.#lastAt = now;
  }
}

/** A UDP socket bound to `port` on `address` (0: any free port), or undefined when that port is taken. */
function bindUDP(address: string, port: number): Promise<UDPSocket | undefined> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => {
      s.close();
      resolve(undefined);
    });
    s.bind(port, address, () => {
      s.removeAllListeners('error');
      s.on('error', () => {});
      resolve(s);
    });
  });
}

/**
 * An even RTP port and the odd RTCP port above it, both bound, as an RTP receiver does (RFC 3550
 * §11). Holding the RTCP port matters: the server sends its sender reports there, and a port left
 * free may be another session's RTP port — whose player then sees packets of a foreign SSRC (the
 * bench saw 2–6 per UDP row for dorsvr, and the SR rate of live555 made hundreds). Bounded attempts.
 */
async function bindPortPair(address: string): Promise<{ rtp: UDPSocket; rtcp: UDPSocket }> {
  for (let attempt = 0; attempt < 64; attempt++) {
    const a = await bindUDP(address, 0);
    if (!a) continue;
    const p = a.address().port;
    const other = p % 2 === 0 ? p + 1 : p - 1;
    const b = other > 0 && other < 65536 ? await bindUDP(address, other) : undefined;
    if (b) return p % 2 === 0 ? { rtp: a, rtcp: b } : { rtp: b, rtcp: a };
    a.close();
  }
  throw new Error(`no free RTP/RTCP port pair on ${address} in 64 attempts`);
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise<T>((_, reject) => (t = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms))),
  ]);
}

function cpuUs(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/** Runs N sessions against the server; resolves when all are torn down. */
export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const batch = o.batch ?? 50;
  const windows = Math.max(1, Math.floor(o.windows ?? 1));
  const players = Array.from({ length: o.sessions }, (_, i) => new Player(i, o));
  for (let i = 0; i < players.length; i += batch) {
    await Promise.all(players.slice(i, i + batch).map((p) => p.start().catch((e: Error) => (p.stats.error ??= e.message))));
  }
  const live = players.filter((p) => p.stats.ok);
  o.onPlaying?.();
  const sum = (f: (s: SessionStats) => number): number => live.reduce((a, p) => a + f(p.stats), 0);
  const sleep = (s: number): Promise<void> => new Promise((r) => setTimeout(r, s * 1000));
  const result: WindowStats[] = [];
  try {
    /** Sessions whose PAUSE or PLAY failed; each says why in its error. */
    const failed = (e: Error, p: Player, what: string): number => {
      p.stats.error ??= e.message.startsWith(what) ? e.message : `${what}: ${e.message}`;
      return 1;
    };
    const count = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
    let valid = true;
    for (let w = 0; w < windows; w++) {
      if (w > 0 && o.between) {
        valid = count(await Promise.all(live.map((p) => p.resume().then(() => 0, (e: Error) => failed(e, p, 'PLAY (resume)'))))) === 0;
      }
      await sleep(w === 0 ? (o.warmupSeconds ?? 3) : (o.settleSeconds ?? 0.5));
      const before = { packets: sum((s) => s.packets), bytes: sum((s) => s.bytes), frames: sum((s) => s.frames) };
      o.onWindowStart?.(w);
      for (const p of live) p.beginWindow();
      const cpu0 = cpuUs();
      const t0 = performance.now();
      await sleep(o.seconds);
      const generatorCpuUs = cpuUs() - cpu0;
      o.onWindowEnd?.(w);
      const seconds = (performance.now() - t0) / 1000;
      for (const p of live) p.endWindow();
      const stats: WindowStats = {
        sessions: live.length,
        valid,
        packets: sum((s) => s.packets) - before.packets,
        bytes: sum((s) => s.bytes) - before.bytes,
        frames: sum((s) => s.frames) - before.frames,
        burstTimes: live.map((p) => [...p.burstTimes]),
        seconds,
        generatorCpuUs,
      };
      result.push(stats);
      if (o.between) {
        // Every session paused while `between` runs; a session whose PAUSE fails says so.
        const notPaused = count(await Promise.all(live.map((p) => p.pause().then(() => 0, (e: Error) => failed(e, p, 'PAUSE')))));
        await o.between(w, stats, notPaused === 0);
      }
    }
  } finally {
    await Promise.all(players.map((p) => p.stop()));
  }
  return {
    sessions: players.map((p) => p.stats),
    windows: result,
    windowPackets: result.reduce((a, w) => a + w.packets, 0),
    windowSeconds: result.reduce((a, w) => a + w.seconds, 0),
    generatorCpuUs: result.reduce((a, w) => a + w.generatorCpuUs, 0),
  };
}
