// dorsvr-server's figures as a script and a person read them: with --json every stdout line is a
// JSON object (listening, session open/close, publish/unpublish, a stats object per --status tick)
// carrying the packets ffmpeg published and played; without it, a status line names the clients,
// bit rates and packets lost while streaming; --metrics-port serves Prometheus text; the new
// options are in --help and their misuse exits 2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { request } from 'node:http';
import { fixture, repoRoot } from '../helpers/paths.js';
import { findPeer } from '../helpers/peers.js';
import { runPeer } from './helpers/ffmpeg.js';

const CLI = join(repoRoot, 'packages/rtspserver/dist/cli.js');
const run = (args: string[]) => runPeer(process.execPath, [CLI, ...args], 20_000);

/** A running dorsvr-server: its stdout lines so far, a wait for a line, and a stop (SIGINT). */
function startCLI(args: string[]): { lines: string[]; stderr: () => string; waitFor: (re: RegExp, ms?: number) => Promise<string>; stop: () => Promise<number | null> } {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let partial = '';
  let stderr = '';
  const waiters = new Set<() => void>();
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    partial += d;
    const parts = partial.split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
    for (const w of waiters) w();
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return {
    lines,
    stderr: () => stderr,
    waitFor: (re, ms = 20_000) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          const hit = lines.find((l) => re.test(l));
          if (hit === undefined) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(hit);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no line matching ${re} in ${ms} ms:\n${lines.join('\n')}\n${stderr}`));
        }, ms);
        waiters.add(check);
        check();
      }),
    stop: async () => {
      child.kill('SIGINT');
      const code = await exited;
      clearTimeout(killer);
      return code;
    },
  };
}

const SOURCE = ['-re', '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=25', '-t', '4'];
const ENCODE = ['-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '25', '-pix_fmt', 'yuv420p'];

function httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('dorsvr-server --json: every stdout line is JSON — listening, session open/close, publish/unpublish and stats ticks carry the packets ffmpeg sent and played', async () => {
  const cli = startCLI([fixture(''), '--port', '0', '--host', '127.0.0.1', '--publish', '--json', '--status', '0.5', '--metrics-port', '0']);
  try {
    const listening = JSON.parse(await cli.waitFor(/"type":"listening"/)) as { port: number; metricsPort: number; urls: string[]; publish: boolean };
    assert.ok(listening.port > 0 && listening.metricsPort > 0);
    assert.equal(listening.publish, true);
    assert.ok(listening.urls.includes(`rtsp://127.0.0.1:${listening.port}/test.264`), listening.urls.join(' '));
    const url = `rtsp://127.0.0.1:${listening.port}/live/cam`;
    const ffmpeg = findPeer('ffmpeg');
    const publisher = runPeer(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-nostdin', ...SOURCE, ...ENCODE, '-f', 'rtsp', '-rtsp_transport', 'udp', url], 30_000);
    await cli.waitFor(/"type":"publish"/);
    const reader = await runPeer(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-nostdin', '-rtsp_transport', 'tcp', '-i', url, '-t', '2', '-c', 'copy', '-f', 'null', '-'], 30_000);
    assert.equal(reader.code, 0, reader.stderr);
    const metrics = await httpGet(listening.metricsPort, '/metrics');
    assert.equal(metrics.status, 200);
    assert.match(metrics.body, /^dorsvr_received_packets_total [1-9]\d*$/m);
    const pub = await publisher;
    assert.equal(pub.code, 0, pub.stderr);
    await cli.waitFor(/"type":"unpublish"/);
    await cli.waitFor(/"type":"session","time":"[^"]+","event":"close".*"reason":"teardown"/);
    await new Promise((r) => setTimeout(r, 1200)); // a stats tick or two after the end
  } finally {
    assert.equal(await cli.stop(), 0, cli.stderr());
  }
  const objects = cli.lines.map((l, i) => {
    try {
      return JSON.parse(l) as Record<string, unknown> & { type: string };
    } catch {
      assert.fail(`stdout line ${i + 1} is not JSON: ${l}`);
    }
  });
  for (const o of objects) {
    assert.equal(typeof o.type, 'string');
    assert.ok(!Number.isNaN(Date.parse(String(o.time))), `no time in ${JSON.stringify(o)}`);
  }
  const opens = objects.filter((o) => o.type === 'session' && o.event === 'open');
  assert.deepEqual(opens.map((o) => o.role).sort(), ['publisher', 'reader']);
  const readerOpen = opens.find((o) => o.role === 'reader')!;
  assert.equal(readerOpen.stream, 'live/cam');
  const readerClose = objects.find((o) => o.type === 'session' && o.event === 'close' && o.id === readerOpen.id) as { packets: number; bytes: number; tracks: Array<{ trackId: string; packets: number }> } | undefined;
  assert.ok(readerClose, 'no close object for the reader');
  assert.ok(readerClose.packets > 20, `the reader's session closed with ${readerClose.packets} packets`);
  assert.equal(readerClose.tracks[0]?.packets, readerClose.packets);
  const unpublish = objects.find((o) => o.type === 'unpublish') as { path: string; packets: number } | undefined;
  assert.equal(unpublish?.path, 'live/cam');
  assert.ok(unpublish.packets > 50, `unpublished with ${unpublish.packets} packets`);
  type Tick = { readers: number; publishers: number; sentBitsPerSecond: number; receivedBitsPerSecond: number; packetsLost: number; readerSessions: Array<{ id: string; packets: number }>; publishedStreams: Array<{ path: string; packets: number; tracks: Array<{ packetsLost: number }> }>; totals: { packetsReceived: number } };
  const ticks = objects.filter((o) => o.type === 'stats') as unknown as Tick[];
  const both = ticks.filter((t) => t.readers === 1 && t.publishers === 1);
  assert.ok(both.length >= 2, `${both.length} stats ticks saw the reader and the publisher`);
  const t = both.at(-1)!;
  assert.equal(t.readerSessions[0]!.id, readerOpen.id);
  assert.ok(t.readerSessions[0]!.packets > 0 && t.readerSessions[0]!.packets <= readerClose.packets);
  assert.equal(t.publishedStreams[0]!.path, 'live/cam');
  assert.equal(t.publishedStreams[0]!.tracks[0]!.packetsLost, 0, 'loopback UDP lost publisher packets');
  assert.ok(t.sentBitsPerSecond > 0 && t.receivedBitsPerSecond > 0);
  assert.equal(typeof t.packetsLost, 'number');
  // A tick after the publisher ended counts its packets in the totals.
  const after = objects.slice(objects.findIndex((o) => o.type === 'unpublish')).filter((o) => o.type === 'stats') as unknown as Tick[];
  assert.ok(after.length >= 1, 'no stats tick after the unpublish');
  assert.equal(after[0]!.totals.packetsReceived, unpublish.packets);
  assert.equal(after[0]!.publishers, 0);
});

test('dorsvr-server: a status line names the clients, bit rates and packets lost while ffmpeg plays', async () => {
  const cli = startCLI([fixture(''), '--port', '0', '--host', '127.0.0.1', '--publish', '--status', '0.5']);
  try {
    const serving = await cli.waitFor(/^dorsvr-server: serving .* on port \d+/);
    const port = Number(/on port (\d+)/.exec(serving)![1]);
    const url = `rtsp://127.0.0.1:${port}/live/cam`;
    const ffmpeg = findPeer('ffmpeg');
    const publisher = runPeer(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-nostdin', ...SOURCE, ...ENCODE, '-f', 'rtsp', '-rtsp_transport', 'tcp', url], 30_000);
    await cli.waitFor(/^publishing rtsp:/);
    const reader = runPeer(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-nostdin', '-rtsp_transport', 'udp', '-i', url, '-c', 'copy', '-f', 'null', '-'], 30_000);
    const line = await cli.waitFor(/^status: 2 connections, 1 reader, 1 publisher, [1-9]\d* kbit\/s sent, [1-9]\d* kbit\/s received, \d+ packets lost \(receiver reports\), 0 lost from publishers$/);
    assert.ok(line);
    await Promise.all([publisher, reader]);
  } finally {
    assert.equal(await cli.stop(), 0, cli.stderr());
  }
});

test('dorsvr-server --help lists --json, --metrics-port and --metrics-host with defaults; their misuse exits 2', async () => {
  const h = await run(['--help']);
  assert.equal(h.code, 0);
  assert.match(h.stdout, /--json\s+JSON lines on stdout.*\(default: off\)/);
  assert.match(h.stdout, /--metrics-port N\s+serve Prometheus metrics.*\(default: off\)/);
  assert.match(h.stdout, /--metrics-host ADDR\s+.*\(default: 127\.0\.0\.1\)/);
  assert.match(h.stdout, /--status SECONDS\s+.*\(default: 10\)/);
  const cases: Array<[string[], RegExp]> = [
    [['--json', '--quiet'], /--json and --quiet exclude each other/],
    [['--metrics-host', '::1'], /--metrics-host needs --metrics-port/],
    [['--metrics-port', 'x'], /--metrics-port: "x" is not a port number/],
    [['--status', '0.01'], /--status: 0.01 is below 0.1 s/],
  ];
  for (const [args, message] of cases) {
    const r = await run([fixture(''), '--port', '0', '--host', '127.0.0.1', ...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code}\n${r.stdout}${r.stderr}`);
    assert.match(r.stderr, message, args.join(' '));
  }
});
