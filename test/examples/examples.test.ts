// The other examples run as their headers say, against real peers, so none can rot:
// onDemandServer and mediaServer are played by ffmpeg/ffprobe, printFrames prints a stream's frames,
// publishAndRead's published path is read by ffprobe too, and
// the scheduler/groupsock demo delivers its five packets; and a failure (no server, a port in use, a
// directory that is not there) is one line on stderr and a non-zero exit, never a stack trace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as net from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findPeer } from '../helpers/peers.js';
import { repoRoot } from '../helpers/paths.js';
import { withTempDir } from '../helpers/tempDir.js';
import { ffmpegCopy, probe, runPeer } from '../rtspserver/helpers/ffmpeg.js';

const example = (name: string): string => join(repoRoot, 'build', 'examples', `${name}.js`);

/** Start an example server and wait for the line that says where it listens. */
async function startServer(args: readonly string[], ready: RegExp): Promise<{ child: ChildProcess; match: RegExpExecArray; out: () => string }> {
  const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line: ${out} ${err}`)), 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = ready.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
  });
  return { child, match, out: () => out };
}

test('examples/onDemandServer: every stream it lists plays in ffmpeg', async () => {
  const s = await startServer([example('onDemandServer'), '0'], /mpeg2TransportStreamTest" stream, from the file "test\.ts": play it with rtsp:\/\/[^\s/]+:(\d+)\//);
  try {
    const port = Number(s.match[1]);
    const names = [...s.out().matchAll(/^"(\w+)" stream/gm)].map((m) => m[1]!);
    assert.deepEqual(names.sort(), ['aacAudioTest', 'h264ESVideoTest', 'h265ESVideoTest', 'mp3AudioTest', 'mpeg2TransportStreamTest', 'wavAudioTest']);
    await withTempDir(async (dir) => {
      // Two recorded whole, every frame there.
      for (const [name, codec] of [['h264ESVideoTest', 'h264'], ['aacAudioTest', 'aac']] as const) {
        const out = join(dir, `${name}.mkv`);
        const r = await ffmpegCopy(`rtsp://127.0.0.1:${port}/${name}`, 'tcp', out, [], 30_000);
        assert.equal(r.code, 0, r.stderr);
        assert.equal((await probe(out)).codec, codec);
      }
    });
    // Every stream it lists: ffprobe plays it and finds its codec(s).
    const expected: Record<string, string> = {
      h264ESVideoTest: 'h264',
      h265ESVideoTest: 'hevc',
      aacAudioTest: 'aac',
      mp3AudioTest: 'mp3',
      wavAudioTest: 'pcm_s16be',
      mpeg2TransportStreamTest: 'h264,aac',
    };
    for (const name of names) {
      const r = await runPeer(findPeer('ffprobe'), ['-v', 'error', '-rtsp_transport', 'tcp', '-show_entries', 'stream=codec_name', '-of', 'csv=p=0', `rtsp://127.0.0.1:${port}/${name}`], 30_000);
      assert.equal(r.code, 0, `${name}: ${r.stderr}`);
      // (ffprobe lists a transport stream's streams once per program too: each codec once)
      assert.equal([...new Set(r.stdout.split('\n').filter((l) => l !== ''))].join(','), expected[name], name);
    }
  } finally {
    s.child.kill('SIGKILL');
  }
});

test('examples/mediaServer serves a directory; examples/printFrames prints the frames of one of its files', async () => {
  const s = await startServer([example('mediaServer'), join(repoRoot, 'test', 'fixtures'), '0'], /play rtsp:\/\/127\.0\.0\.1:(\d+)\//);
  try {
    const port = Number(s.match[1]);
    await withTempDir(async (dir) => {
      const out = join(dir, 'a.mka');
      const r = await ffmpegCopy(`rtsp://127.0.0.1:${port}/test.mp3`, 'udp', out, [], 30_000);
      assert.equal(r.code, 0, r.stderr);
      assert.equal((await probe(out)).codec, 'mp3');
    });
    const p = await runPeer(process.execPath, [example('printFrames'), `rtsp://127.0.0.1:${port}/test.264`, 'tcp'], 30_000);
    assert.equal(p.code, 0, p.stderr);
    const frames = p.stdout.split('\n').filter((l) => l.startsWith('video/H264\t'));
    assert.ok(frames.length >= 50, `${frames.length} frames printed`);
    assert.match(frames.find((l) => l.includes('key')) ?? '', /bytes\tpt [\d.]+ s\trtp \d+\tkey/);
    assert.match(p.stdout, /^video\/H264: \d+ packets, 0 lost, jitter [\d.]+ ms$/m);
    // A stream the server does not have: one line saying so, exit status 1.
    const missing = await runPeer(process.execPath, [example('printFrames'), `rtsp://127.0.0.1:${port}/no-such.264`], 30_000);
    assertOneLineFailure(missing, 1, /^printFrames: .*404/);
  } finally {
    s.child.kill('SIGKILL');
  }
});

/** A failure as a user wants it: the exit status, one line on stderr that says why, no stack trace. */
function assertOneLineFailure(r: { code: number | null; stdout: string; stderr: string }, code: number, line: RegExp): void {
  assert.equal(r.code, code, r.stderr);
  assert.match(r.stderr, line);
  assert.equal(r.stderr.trimEnd().split('\n').length, 1, `one line: ${r.stderr}`);
  assert.doesNotMatch(r.stderr, /^\s+at /m);
}

test('examples/printFrames with no server there: one clear line, exit status 1 (no stack trace)', async () => {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve())); // the port is now closed
  const r = await runPeer(process.execPath, [example('printFrames'), `rtsp://127.0.0.1:${port}/test.264`], 30_000);
  assertOneLineFailure(r, 1, /^printFrames: cannot connect to 127\.0\.0\.1:\d+: .*ECONNREFUSED/);
  assert.equal(r.stdout, '');
});

test('the example servers: a port in use or a directory that is not there is one clear line and a non-zero exit', async () => {
  const busy = net.createServer();
  await new Promise<void>((resolve) => busy.listen(0, resolve));
  const port = String((busy.address() as net.AddressInfo).port);
  try {
    for (const [name, args] of [
      ['liveToneServer', [port]],
      ['relayToneServer', [port]],
      ['onDemandServer', [port]],
      ['mediaServer', [join(repoRoot, 'test', 'fixtures'), port]],
      ['proxyServer', ['rtsp://127.0.0.1:1/x', port]],
    ] as const) {
      const r = await runPeer(process.execPath, [example(name), ...args], 20_000);
      assertOneLineFailure(r, 1, new RegExp(`^${name}: cannot listen on port ${port}: .*EADDRINUSE`));
    }
  } finally {
    busy.close();
  }
  const r = await runPeer(process.execPath, [example('mediaServer'), join(repoRoot, 'no-such-directory'), '0'], 20_000);
  assertOneLineFailure(r, 2, /^mediaServer: cannot serve .*no-such-directory: ENOENT/);
});

test('examples/scheduler-groupsock-demo: five packets paced 100 ms apart, then it exits by itself', async () => {
  const r = await runPeer(process.execPath, [example('scheduler-groupsock-demo')], 20_000);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.split('\n').filter((l) => /^\+[\d.]+ ms {2}#\d "hello \d"/.test(l)).length, 5, r.stdout);
  assert.match(r.stdout, /done\n$/);
});

test('examples/relayToneServer: the tone through the relay, recorded by ffmpeg', async () => {
  const s = await startServer([example('relayToneServer'), '0'], /rtsp:\/\/[^\s/]+:(\d+)\/relayed-tone/);
  try {
    await withTempDir(async (dir) => {
      const out = join(dir, 'tone.mka');
      const r = await ffmpegCopy(`rtsp://127.0.0.1:${s.match[1]}/relayed-tone`, 'tcp', out, [], 30_000, ['-t', '1']);
      assert.equal(r.code, 0, r.stderr);
      const p = await probe(out);
      assert.equal(p.codec, 'pcm_s16be');
      assert.ok(p.duration !== undefined && p.duration > 0.8, `${p.duration} s`);
    });
  } finally {
    s.child.kill('SIGKILL');
  }
});

test('examples/publishAndRead: a file published to our server and read back at the same time, by its own reader and by ffprobe', async () => {
  await withTempDir(async (dir) => {
    // test.264 four times over (8 s, a key frame every second): ffprobe joins the published stream
    // when it can, and after the 2 s file's last key frame (at 1 s, under load) it found no picture.
    const file = join(dir, 'test4.264');
    const once = readFileSync(join(repoRoot, 'test', 'fixtures', 'test.264'));
    writeFileSync(file, Buffer.concat([once, once, once, once]));
    for (const transport of ['tcp', 'udp']) {
      // While the file is being published, ffprobe (a real peer) reads the same path too.
      let ffprobe: Promise<{ code: number | null; stdout: string; stderr: string }> | undefined;
      const r = await runPeer(process.execPath, [example('publishAndRead'), file, transport], 60_000, (out) => {
        const m = /^publishing \S+ to (rtsp:\/\/\S+) over/m.exec(out);
        if (m && ffprobe === undefined) {
          ffprobe = runPeer(findPeer('ffprobe'), ['-v', 'error', '-rtsp_transport', 'tcp', '-show_entries', 'stream=codec_name,width,height', '-of', 'csv=p=0', m[1]!], 30_000);
        }
      });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^server: live is published \(1 track\(s\)\)/m);
      const m = /^reader: video\/H264: (\d+) frames \((\d+) key frames\)$/m.exec(r.stdout);
      assert.ok(m && Number(m[1]) > 0 && Number(m[2]) >= 1, r.stdout);
      assert.ok(ffprobe, 'the example printed the URL it publishes to');
      const p = await ffprobe;
      assert.equal(p.code, 0, p.stderr);
      assert.equal(p.stdout.trim(), 'h264,320,240', `ffprobe read the published stream over ${transport}`);
    }
  });
});
