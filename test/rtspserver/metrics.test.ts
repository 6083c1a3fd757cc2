// The Prometheus endpoint as a scraper and a hostile client meet it: over loopback, while ffmpeg
// plays a file over UDP, /metrics is valid text exposition format (parsed line by line: HELP and
// TYPE before each family's samples, counters ending _total, escaped labels) carrying the
// player's packets and its RTCP receiver reports; and it refuses what it should (other paths and
// methods, an oversized head, a slow head, more connections than its cap), with its options
// checked at construction.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { request } from 'node:http';
import { join } from 'node:path';
import { BasicTaskScheduler, isDorsvrError } from '@dorsvr/scheduler';
import {
  DynamicRTSPServer,
  RTSPServer,
  MetricsHTTPListener,
  resolveMetricsOptions,
  formatPrometheusMetrics,
  escapePrometheusLabelValue,
  type RTSPServerStats,
} from '@dorsvr/rtspserver';
import { findPeer } from '../helpers/peers.js';
import { tempDir } from '../helpers/tempDir.js';
import { runPeer } from './helpers/ffmpeg.js';

const tmp = tempDir();
after(() => tmp.cleanup());

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * Parse Prometheus text format 0.0.4 strictly: every sample belongs to the family whose HELP and
 * TYPE came just before it, counters end `_total`, label values are quoted with only `\\`, `\"`,
 * `\n` escapes. Throws on anything else.
 */
function parseExposition(text: string): { samples: Sample[]; types: Map<string, string> } {
  assert.ok(text.endsWith('\n'), 'the exposition ends with a line feed');
  const types = new Map<string, string>();
  const helped = new Set<string>();
  const samples: Sample[] = [];
  let family: string | undefined;
  const lines = text.slice(0, -1).split('\n');
  for (const [i, line] of lines.entries()) {
    const where = `line ${i + 1}: ${JSON.stringify(line)}`;
    let m = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (m) {
      assert.ok(!helped.has(m[1]!), `${where}: a second HELP`);
      helped.add(m[1]!);
      family = m[1]!;
      continue;
    }
    m = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (m) {
      assert.equal(m[1], family, `${where}: TYPE for another family than the HELP before it`);
      assert.ok(!types.has(m[1]!), `${where}: a second TYPE`);
      types.set(m[1]!, m[2]!);
      if (m[2] === 'counter') assert.match(m[1]!, /_total$/, `${where}: a counter not named _total`);
      continue;
    }
    assert.ok(!line.startsWith('#'), `${where}: a comment that is neither HELP nor TYPE`);
    m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `${where}: not a sample line`);
    const [, name, labelText, valueText] = m;
    assert.equal(name, family, `${where}: a sample outside its family's block`);
    assert.ok(types.has(name!), `${where}: a sample before its TYPE`);
    const value = valueText === '+Inf' ? Infinity : valueText === '-Inf' ? -Infinity : Number(valueText);
    assert.ok(valueText === 'NaN' || !Number.isNaN(value), `${where}: value ${valueText}`);
    const labels: Record<string, string> = {};
    if (labelText !== undefined) {
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/y;
      let at = 0;
      while (at < labelText.length) {
        re.lastIndex = at;
        const l = re.exec(labelText);
        assert.ok(l, `${where}: bad label at ${at}`);
        labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
        at = re.lastIndex;
      }
    }
    samples.push({ name: name!, labels, value });
  }
  return { samples, types };
}

function httpGet(port: number, path: string, method = 'GET'): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('timed out')));
    req.end();
  });
}

/** Open a raw TCP connection; resolves once connected, with a promise of its closing. */
function rawConnect(port: number): Promise<{ socket: Socket; closed: Promise<string> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (data += d));
    const closed = new Promise<string>((r) => socket.on('close', () => r(data)));
    socket.once('connect', () => resolve({ socket, closed }));
    socket.once('error', reject);
  });
}

test('metrics: while ffmpeg plays over UDP, /metrics parses line by line and carries its packets and its receiver reports', async () => {
  const dir = tmp.dir;
  // A few seconds of a noisy picture at ~3 Mbit/s: ffmpeg sends a receiver report per ~280 kB.
  const file = join(dir, 'noise.264');
  const gen = await runPeer(findPeer('ffmpeg'), [
    '-hide_banner', '-loglevel', 'error', '-nostdin', '-y',
    '-f', 'lavfi', '-i', 'testsrc2=size=480x270:rate=25,noise=alls=80:allf=t+u', '-t', '5',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-b:v', '3M', '-maxrate', '3M', '-bufsize', '1M', '-pix_fmt', 'yuv420p', '-f', 'h264', file,
  ]);
  assert.equal(gen.code, 0, gen.stderr);
  const scheduler = new BasicTaskScheduler();
  const server = new DynamicRTSPServer({ scheduler, root: dir, port: 0, host: '127.0.0.1', metrics: { port: 0 } });
  try {
    await server.listen();
    const port = server.metricsPort;
    assert.ok(port > 0);
    // Before anyone plays: the server-wide families, no per-reader samples.
    const idle = parseExposition((await httpGet(port, '/metrics')).body);
    assert.equal(idle.samples.find((s) => s.name === 'dorsvr_readers')?.value, 0);
    assert.equal(idle.types.get('dorsvr_sent_packets_total'), 'counter');
    assert.ok(!idle.samples.some((s) => s.name === 'dorsvr_reader_sent_packets_total'));

    const player = runPeer(findPeer('ffmpeg'), ['-hide_banner', '-loglevel', 'error', '-nostdin', '-rtsp_transport', 'udp', '-i', `rtsp://127.0.0.1:${server.port}/noise.264`, '-c', 'copy', '-f', 'null', '-'], 30_000);
    const scrapes: Array<ReturnType<typeof parseExposition>> = [];
    let playing = true;
    void player.finally(() => (playing = false));
    while (playing && scrapes.length < 40) {
      await new Promise((r) => setTimeout(r, 250));
      const res = await httpGet(port, '/metrics');
      assert.equal(res.status, 200);
      assert.equal(res.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
      scrapes.push(parseExposition(res.body));
    }
    const r = await player;
    assert.equal(r.code, 0, r.stderr);
    const withReader = scrapes.filter((s) => s.samples.some((x) => x.name === 'dorsvr_readers' && x.value === 1));
    assert.ok(withReader.length >= 5, `${withReader.length} scrapes saw the reader`);
    const last = withReader.at(-1)!;
    const one = (name: string): Sample => {
      const s = last.samples.filter((x) => x.name === name);
      assert.equal(s.length, 1, `${name}: ${s.length} samples`);
      return s[0]!;
    };
    const packets = one('dorsvr_reader_sent_packets_total');
    assert.equal(packets.labels.stream, 'noise.264');
    assert.equal(packets.labels.track, 'track1');
    assert.equal(packets.labels.remote, '127.0.0.1');
    assert.match(packets.labels.session!, /^[0-9A-F]{16}$/);
    assert.ok(packets.value > 500, `${packets.value} packets`);
    // Mid-play, the bit rate is the file's (~3 Mbit/s); at the end of the file it falls to 0.
    const mid = withReader[Math.floor(withReader.length / 2)]!.samples.find((x) => x.name === 'dorsvr_reader_bits_per_second')!.value;
    assert.ok(mid > 1_000_000 && mid < 10_000_000, `bit rate mid-play ${mid}`);
    assert.ok(one('dorsvr_reader_receiver_reports_total').value >= 2, 'receiver reports');
    assert.ok(one('dorsvr_reader_packets_lost').value >= 0, 'packets lost');
    assert.ok(one('dorsvr_reader_jitter_seconds').value < 1, 'jitter');
    const rtt = one('dorsvr_reader_rtt_seconds').value;
    assert.ok(rtt >= 0 && rtt < 1, `RTT ${rtt}`);
    // Counters never go back between scrapes.
    let prev = 0;
    for (const s of scrapes) {
      const v = s.samples.find((x) => x.name === 'dorsvr_sent_packets_total')!.value;
      assert.ok(v >= prev, `dorsvr_sent_packets_total went from ${prev} to ${v}`);
      prev = v;
    }
    assert.ok(prev >= packets.value);
  } finally {
    await server.close();
    scheduler.close();
  }
});

test('metrics: only GET and HEAD /metrics are answered; an oversized or slow request head and connections over the cap are cut off', async () => {
  const scheduler = new BasicTaskScheduler();
  const server = new RTSPServer({ scheduler, port: 0, host: '127.0.0.1', metrics: { port: 0, maxConnections: 3, headersTimeoutMs: 600, maxHeaderSize: 1024 } });
  try {
    await server.listen();
    const port = server.metricsPort;
    const head = await httpGet(port, '/metrics', 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
    assert.ok(Number(head.headers['content-length']) > 100);
    assert.equal((await httpGet(port, '/metrics?name[]=x')).status, 200);
    const post = await httpGet(port, '/metrics', 'POST');
    assert.equal(post.status, 405);
    assert.equal(post.headers.allow, 'GET, HEAD');
    assert.equal((await httpGet(port, '/metrics', 'DELETE')).status, 405);
    assert.equal((await httpGet(port, '/')).status, 404);
    assert.equal((await httpGet(port, '/metrics/../etc')).status, 404);

    // A head over maxHeaderSize: 431, connection closed.
    const big = await rawConnect(port);
    big.socket.write(`GET /metrics HTTP/1.1\r\nHost: x\r\nX-Pad: ${'a'.repeat(4096)}\r\n\r\n`);
    assert.match(await big.closed, /^HTTP\/1\.1 431 /);

    // A head that never ends is cut off after headersTimeoutMs (plus Node's check interval).
    const slow = await rawConnect(port);
    slow.socket.write('GET /metrics HTTP/1.1\r\nHost: x\r\n');
    const t0 = Date.now();
    await slow.closed;
    assert.ok(Date.now() - t0 < 5000, `the slow head was held ${Date.now() - t0} ms`);

    // Connections over the cap are closed at once; those under it are served.
    const held = await Promise.all([rawConnect(port), rawConnect(port), rawConnect(port)]);
    await new Promise((r) => setTimeout(r, 100));
    const extra = await rawConnect(port);
    extra.socket.write('GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.equal(await extra.closed, '', 'a connection over the cap got an answer');
    for (const h of held) h.socket.destroy();
    await Promise.all(held.map((h) => h.closed));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal((await httpGet(port, '/metrics')).status, 200, 'served again once under the cap');
  } finally {
    await server.close();
    scheduler.close();
  }
});

test('metrics and stats options: malformed ones are refused at construction; the endpoint listens on loopback unless told otherwise', async () => {
  const bad: unknown[] = [{ port: 'x' }, { port: -1 }, { port: 70000 }, { port: 1.5 }, {}, 9464, null, 'yes', { port: 0, host: 7 }, { port: 0, maxConnections: 0 }];
  for (const metrics of bad) {
    assert.throws(
      () => new RTSPServer({ port: 0, metrics: metrics as never }),
      (err: unknown) => isDorsvrError(err) && err.code === 'ERR_SERVER_OPTION',
      JSON.stringify(metrics),
    );
  }
  for (const statsIntervalMs of [5, -1, Number.NaN, '1000']) {
    assert.throws(
      () => new RTSPServer({ port: 0, statsIntervalMs: statsIntervalMs as never }),
      (err: unknown) => isDorsvrError(err) && err.code === 'ERR_SERVER_OPTION',
      String(statsIntervalMs),
    );
  }
  assert.equal(resolveMetricsOptions({ port: 9464 }).host, '127.0.0.1');
  const listener = new MetricsHTTPListener(resolveMetricsOptions({ port: 0 }), () => '');
  try {
    await listener.listen();
    assert.equal(listener.address, '127.0.0.1');
  } finally {
    await listener.close();
  }
  // A metrics port that cannot be had fails listen(), and the RTSP port is released with it.
  const scheduler = new BasicTaskScheduler();
  const first = new RTSPServer({ scheduler, port: 0, host: '127.0.0.1', metrics: { port: 0 } });
  await first.listen();
  const second = new RTSPServer({ scheduler, port: 0, host: '127.0.0.1', metrics: { port: first.metricsPort } });
  try {
    await assert.rejects(second.listen(), (err: unknown) => isDorsvrError(err) && err.code === 'ERR_SERVER_LISTEN');
    assert.equal(second.metricsPort, 0);
  } finally {
    await second.close();
    await first.close();
    scheduler.close();
  }
});

test('formatPrometheusMetrics escapes label values and leaves out figures not known yet', () => {
  assert.equal(escapePrometheusLabelValue('a"b\\c\nd'), 'a\\"b\\\\c\\nd');
  const stats: RTSPServerStats = {
    timeMs: 0,
    uptimeSeconds: 1,
    rateWindowSeconds: 1,
    connections: 1,
    readers: 1,
    publishers: 0,
    streams: 1,
    sentBitsPerSecond: 8000,
    receivedBitsPerSecond: 0,
    totals: { readerSessions: 1, publisherSessions: 0, packetsSent: 10, bytesSent: 1000, packetsReceived: 0, bytesReceived: 0 },
    readerSessions: [
      {
        id: '0123456789ABCDEF',
        streamName: 'we"ird\\name\nx',
        remoteAddress: '::1',
        transport: 'tcp',
        playing: true,
        durationSeconds: 1,
        packets: 10,
        bytes: 1000,
        bitsPerSecond: 8000,
        tracks: [
          { trackId: 'track1', packets: 10, bytes: 1000, bitsPerSecond: 8000, packetsPerSecond: 10, receiverReports: 0, fractionLost: undefined, packetsLost: undefined, jitterSeconds: undefined, rttSeconds: undefined },
        ],
      },
    ],
    publishedStreams: [],
  };
  const text = formatPrometheusMetrics(stats);
  const { samples } = parseExposition(text);
  const p = samples.find((s) => s.name === 'dorsvr_reader_sent_packets_total')!;
  assert.equal(p.labels.stream, 'we"ird\\name\nx');
  assert.ok(text.includes('stream="we\\"ird\\\\name\\nx"'));
  assert.ok(!samples.some((s) => s.name === 'dorsvr_reader_rtt_seconds' || s.name === 'dorsvr_reader_packets_lost'));
  assert.ok(text.includes('# TYPE dorsvr_reader_rtt_seconds gauge'));
});
