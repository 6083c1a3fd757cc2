// dorsvr-proxy's figures: proxying a stream of our server while ffmpeg plays it, --json prints JSON
// lines only (listening, back-end states, the player's session opening and closing, stats ticks
// with the player's packets and the back-end's), --metrics-port serves Prometheus text, and the
// text mode prints a status line; misuse of the new options exits 2.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { BasicTaskScheduler } from '@dorsvr/scheduler';
import { DynamicRTSPServer } from '@dorsvr/rtspserver';
import { parseProxyArgs } from '@dorsvr/rtspclient';
import { repoRoot } from '../helpers/paths.js';
import { findPeer } from '../helpers/peers.js';
import { tempDir } from '../helpers/tempDir.js';
import { runPeer } from '../rtspserver/helpers/ffmpeg.js';

const CLI = join(repoRoot, 'packages/proxyserver/bin/dorsvr-proxy.js');
const tmp = tempDir();
after(() => tmp.cleanup());

/** Run dorsvr-proxy until `done(lines)` says so (or 40 s), then SIGINT; its stdout lines and exit code. */
function runProxy(args: string[], done: (lines: string[]) => boolean): Promise<{ code: number | null; lines: string[]; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let stderr = '';
    let stopped = false;
    const killer = setTimeout(() => child.kill('SIGKILL'), 40_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (!stopped && done(out.split('\n').slice(0, -1))) {
        stopped = true;
        child.kill('SIGINT');
      }
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ code, lines: out.split('\n').filter((l) => l !== ''), stderr });
    });
  });
}

function httpGet(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path: '/metrics', agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve(body));
    })
      .on('error', reject)
      .end();
  });
}

test('dorsvr-proxy --json and --metrics-port: JSON lines only, with the player and the back-end in the stats ticks; a status line in text mode', async () => {
  const media = join(tmp.dir, 'media');
  mkdirSync(media);
  const gen = await runPeer(findPeer('ffmpeg'), [
    '-hide_banner', '-loglevel', 'error', '-nostdin', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=25', '-t', '4',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-pix_fmt', 'yuv420p', '-f', 'h264', join(media, 'clip.264'),
  ]);
  assert.equal(gen.code, 0, gen.stderr);
  const scheduler = new BasicTaskScheduler();
  const backend = new DynamicRTSPServer({ scheduler, root: media, port: 0, host: '127.0.0.1' });
  await backend.listen();
  try {
    let metrics = '';
    let player: Promise<unknown> | undefined;
    const r = await runProxy(
      [`rtsp://127.0.0.1:${backend.port}/clip.264`, '--port', '0', '--host', '127.0.0.1', '--json', '--status', '0.5', '--metrics-port', '0'],
      (lines) => {
        const listening = lines.find((l) => l.includes('"type":"listening"'));
        if (listening !== undefined && player === undefined) {
          const l = JSON.parse(listening) as { streams: Array<{ url: string }>; metricsPort: number };
          player = runPeer(findPeer('ffmpeg'), ['-hide_banner', '-loglevel', 'error', '-nostdin', '-rtsp_transport', 'tcp', '-i', l.streams[0]!.url, '-t', '2.5', '-c', 'copy', '-f', 'null', '-'], 30_000).then(
            async (p) => {
              assert.equal(p.code, 0, p.stderr);
              metrics = await httpGet(l.metricsPort);
            },
          );
        }
        return metrics !== '' && lines.some((l) => l.includes('"type":"session"') && l.includes('"event":"close"'));
      },
    );
    await player;
    assert.equal(r.code, 0, r.stderr);
    const objects = r.lines.map((l, i) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        assert.fail(`stdout line ${i + 1} is not JSON: ${l}`);
      }
    });
    assert.equal(objects[0]!.type, 'listening');
    assert.ok(objects.some((o) => o.type === 'state' && o.state === 'live' && o.stream === 'proxyStream'), r.lines.join('\n'));
    const close = objects.find((o) => o.type === 'session' && o.event === 'close') as { packets: number } | undefined;
    assert.ok(close && close.packets > 20, JSON.stringify(close));
    const ticks = objects.filter((o) => o.type === 'stats') as Array<{ readers: number; readerSessions: Array<{ packets: number }>; backends: Array<{ name: string; state: string; packetsReceived: number }> }>;
    const playing = ticks.filter((t) => t.readers === 1);
    assert.ok(playing.length >= 2, `${playing.length} stats ticks saw the player`);
    const t = playing.at(-1)!;
    assert.ok(t.readerSessions[0]!.packets > 0);
    assert.equal(t.backends[0]!.name, 'proxyStream');
    assert.equal(t.backends[0]!.state, 'live');
    assert.ok(t.backends[0]!.packetsReceived >= t.readerSessions[0]!.packets - 4);
    // Scraped after the player left: the counters keep what its session sent.
    assert.match(metrics, /^dorsvr_reader_sessions_total 1$/m);
    assert.equal(Number(/^dorsvr_sent_packets_total (\d+)$/m.exec(metrics)?.[1]), close.packets);
    assert.ok(objects.some((o) => o.type === 'stopping'));

    // Text mode: a status line while the player plays.
    let textPlayer: Promise<unknown> | undefined;
    const text = await runProxy([`rtsp://127.0.0.1:${backend.port}/clip.264`, '--port', '0', '--host', '127.0.0.1', '--status', '0.5'], (lines) => {
      const url = lines.map((l) => /^proxyStream: (rtsp:\S+)/.exec(l)?.[1]).find((u) => u !== undefined);
      if (url !== undefined && textPlayer === undefined) {
        textPlayer = runPeer(findPeer('ffmpeg'), ['-hide_banner', '-loglevel', 'error', '-nostdin', '-rtsp_transport', 'tcp', '-i', url, '-t', '2.5', '-c', 'copy', '-f', 'null', '-'], 30_000);
      }
      return lines.some((l) => /^status: 1 player, [1-9]\d* kbit\/s sent, \d+ packets lost \(receiver reports\); proxyStream: live, [1-9]\d* kbit\/s in, 0 lost$/.test(l));
    });
    await textPlayer;
    assert.equal(text.code, 0, `${text.lines.join('\n')}\n${text.stderr}`);
  } finally {
    await backend.close();
    scheduler.close();
  }
});

test('parseProxyArgs: --status, --quiet/--json and --metrics-port/--metrics-host, and their misuse', () => {
  const a = parseProxyArgs(['rtsp://x/', '--status', '2.5', '--json', '--metrics-port', '9464', '--metrics-host', '::1']);
  assert.ok(typeof a === 'object');
  assert.deepEqual([a.statusSeconds, a.status, a.metricsPort, a.metricsHost], [2.5, 'json', 9464, '::1']);
  const d = parseProxyArgs(['rtsp://x/']);
  assert.ok(typeof d === 'object');
  assert.deepEqual([d.statusSeconds, d.status, d.metricsPort, d.metricsHost], [10, 'text', undefined, '127.0.0.1']);
  assert.match(String(parseProxyArgs(['rtsp://x/', '--json', '-q'])), /exclude each other/);
  assert.match(String(parseProxyArgs(['rtsp://x/', '--status', 'soon'])), /not a number of seconds/);
  assert.match(String(parseProxyArgs(['rtsp://x/', '--status', '0.01'])), /below 0\.1 s/);
  assert.match(String(parseProxyArgs(['rtsp://x/', '--metrics-port', '99999'])), /--metrics-port: bad port/);
  assert.match(String(parseProxyArgs(['rtsp://x/', '--metrics-host', '::1'])), /--metrics-host needs --metrics-port/);
});
