// Starts GStreamer's RTSP server (test/helpers/gst-rtsp-server.py, python3-gi +
// gir1.2-gst-rtsp-server-1.0) for interop tests, waits until it listens, and stops it after.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { findPeer } from './peers.js';
import { repoRoot } from './paths.js';

/** A running GStreamer RTSP server. */
export interface GstRtspServer {
  /** Its TCP port on 127.0.0.1. */
  readonly port: number;
  /** `rtsp://127.0.0.1:<port>/<path>` (path without leading slash; `rtsps://` with `tls`). */
  url(path: string): string;
  /** What it wrote to stderr so far (for failure messages). */
  stderr(): string;
  /**
   * Resolves once it printed `UNPREPARED <path>` `count` times in all (a record mount's media was
   * shut down after EOS: what it wrote is complete); rejects after `timeoutMs`.
   */
  waitUnprepared(path: string, count?: number, timeoutMs?: number): Promise<void>;
  /** Kills it and waits for it to exit. Idempotent. */
  stop(): Promise<void>;
}

/** Options of {@link startGstRtspServer}. */
export interface GstRtspServerOptions {
  /** Mount path (e.g. `/video`) → gst-launch description with payloaders named pay0, pay1, …. */
  mounts: Record<string, string>;
  /**
   * Record mounts (publishers ANNOUNCE/RECORD to them): path → gst-launch description with
   * depayloaders named depay0, depay1, … (e.g. `( rtph264depay name=depay0 ! … ! filesink … )`).
   */
  records?: Record<string, string>;
  /** Require Digest authentication with this user. */
  digest?: { username: string; password: string };
  /** Play mounts shared and multicast-only, groups and ports from this pool (TTL 1). */
  multicast?: { groups: [string, string]; ports: [number, number] };
  /** Run it inside this network namespace (`ip netns exec`; needs root). */
  netns?: string;
  /** Address to listen on (default 127.0.0.1; also the host of {@link GstRtspServer.url}). */
  host?: string;
  /** Serve RTSPS with this certificate and key (PEM files): every connection is TLS. */
  tls?: { certFile: string; keyFile: string };
  /** Give up when it does not listen within this time (default 15000 ms). */
  startTimeoutMs?: number;
}

/**
 * Starts GStreamer's RTSP server on 127.0.0.1 serving `mounts`. Throws a clear error when python3
 * with GStreamer's bindings is missing or the server does not come up.
 */
export async function startGstRtspServer(options: GstRtspServerOptions): Promise<GstRtspServer> {
  const python = findPeer('python3');
  const args = [join(repoRoot, 'test', 'helpers', 'gst-rtsp-server.py')];
  for (const [path, launch] of Object.entries(options.mounts)) args.push('--mount', `${path}=${launch}`);
  for (const [path, launch] of Object.entries(options.records ?? {})) args.push('--record', `${path}=${launch}`);
  if (options.digest) args.push('--digest', `${options.digest.username}:${options.digest.password}`);
  if (options.tls) args.push('--tls-cert', options.tls.certFile, '--tls-key', options.tls.keyFile);
  if (options.host !== undefined) args.push('--host', options.host);
  if (options.multicast) args.push('--multicast', `${options.multicast.groups.join('-')}:${options.multicast.ports.join('-')}`);
  // `ip netns exec` execs python in the namespace: the child is python itself.
  const child: ChildProcess =
    options.netns === undefined
      ? spawn(python, args, { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn('ip', ['netns', 'exec', options.netns, python, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (stderr.length > 100_000) stderr = stderr.slice(-50_000);
  });
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  const stop = async (): Promise<void> => {
    if (!exited) child.kill('SIGKILL');
    await exit;
  };
  let out = '';
  const waiters = new Set<() => void>();
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    for (const w of [...waiters]) w();
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error('it did not listen in time')), options.startTimeoutMs ?? 15_000);
    function fail(err: Error): void {
      clearTimeout(timer);
      void stop();
      reject(new Error(`GStreamer RTSP server (${python} ${args.join(' ')}) failed: ${err.message}\n${stderr}`));
    }
    const onEarlyExit = (code: number | null, signal: NodeJS.Signals | null): void => fail(new Error(`exited early (code ${code}, signal ${signal})`));
    child.once('error', fail);
    child.once('exit', onEarlyExit);
    const listening = (): void => {
      const m = /LISTENING (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        child.off('exit', onEarlyExit);
        waiters.delete(listening);
        resolve(Number(m[1]));
      }
    };
    waiters.add(listening);
  });
  return {
    port,
    url: (path) => `${options.tls ? 'rtsps' : 'rtsp'}://${options.host ?? '127.0.0.1'}:${port}/${path.replace(/^\//, '')}`,
    stderr: () => stderr,
    waitUnprepared: (path, count = 1, timeoutMs = 10_000) =>
      new Promise<void>((resolve, reject) => {
        const line = `UNPREPARED ${path}\n`;
        const check = (): void => {
          if (out.split(line).length - 1 >= count) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve();
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`GStreamer did not shut ${path}'s media down within ${timeoutMs} ms\n${stderr.slice(-2000)}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
    stop,
  };
}
