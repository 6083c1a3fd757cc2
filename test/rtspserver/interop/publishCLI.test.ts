// dorsvr-server --publish: the startup output says publishers are accepted (and whether they need
// credentials); ffmpeg publishes with --user's credentials and is refused without; a served file
// cannot be published over; without the flag nothing is accepted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fixture, repoRoot } from '../../helpers/paths.js';
import { RawRTSPClient } from '../helpers/RawRTSPClient.js';
import { ffmpegPublish, probePackets } from '../helpers/publish.js';

const SDP = 'v=0\r\ns=x\r\nt=0 0\r\nm=audio 0 RTP/AVP 0\r\na=control:streamid=0\r\n';

async function startCLI(args: string[], until: RegExp): Promise<{ child: ChildProcess; out: () => string; port: number }> {
  const child = spawn(process.execPath, [join(repoRoot, 'packages/rtspserver/dist/cli.js'), fixture(''), '--port', '0', '--host', '127.0.0.1', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const deadline = Date.now() + 10_000;
  while (!until.test(out) && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 20));
  const m = /on port (\d+)/.exec(out);
  assert.ok(m && until.test(out), `startup output:\n${out}`);
  return { child, out: () => out, port: Number(m[1]) };
}

async function stop(child: ChildProcess): Promise<void> {
  child.kill('SIGTERM');
  if (child.exitCode === null) await new Promise((r) => child.once('close', r));
}

test('dorsvr-server --publish --user: says so at startup; ffmpeg publishes with the credentials (a reader plays it), not without (401, also for a file path)', async () => {
  const cli = await startCLI(['--publish', '--user', 'cam:s3cret'], /accepting publishers/);
  try {
    assert.match(cli.out(), /accepting publishers on any other path, e\.g\. rtsp:\/\/127\.0\.0\.1:\d+\/live\/stream \(credentials required\)/);
    const denied = await ffmpegPublish(fixture('test.264'), `rtsp://127.0.0.1:${cli.port}/live/cli`, 'tcp');
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, /401/);
    const url = `rtsp://cam:s3cret@127.0.0.1:${cli.port}/live/cli`;
    // 6 s with a key frame every second: the reader joins once the CLI says it is published.
    const pub = ffmpegPublish(fixture('test.ts'), url, 'tcp', ['-map', '0:v', '-c', 'copy'], ['-stream_loop', '2']);
    const deadline = Date.now() + 10_000;
    while (!/publishing rtsp:\/\/[^ ]+\/live\/cli/.test(cli.out()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const read = await probePackets(url, ['-rtsp_transport', 'tcp']);
    assert.equal((await pub).code, 0);
    assert.ok(read.packets.length > 0 && read.packets[0]!.key, 'a reader with the credentials plays it from a key frame');
    const c = await RawRTSPClient.connect(cli.port);
    try {
      // Credentials are asked before anything is said about the path (names cannot be probed).
      assert.equal((await c.request('ANNOUNCE', `rtsp://127.0.0.1:${cli.port}/test.264`, { 'Content-Type': 'application/sdp' }, SDP)).status, 401);
    } finally {
      c.close();
    }
    while (!/unpublished live\/cli \(teardown\)/.test(cli.out()) && Date.now() < deadline + 5000) await new Promise((r) => setTimeout(r, 20));
    assert.match(cli.out(), /unpublished live\/cli \(teardown\), \d+ packets/);
  } finally {
    await stop(cli.child);
  }
});

test('dorsvr-server --publish without --user says anyone may publish; without --publish ANNOUNCE is 405', async () => {
  const open = await startCLI(['--publish'], /accepting publishers/);
  try {
    assert.match(open.out(), /anyone may publish: add --user name:password to require credentials/);
    const c = await RawRTSPClient.connect(open.port);
    try {
      assert.equal((await c.request('ANNOUNCE', `rtsp://127.0.0.1:${open.port}/test.264`, { 'Content-Type': 'application/sdp' }, SDP)).status, 405, 'a served file');
      assert.equal((await c.request('ANNOUNCE', `rtsp://127.0.0.1:${open.port}/live/a`, { 'Content-Type': 'application/sdp' }, SDP)).status, 200);
    } finally {
      c.close();
    }
  } finally {
    await stop(open.child);
  }
  const bare = await startCLI([], /test\.264/);
  try {
    assert.doesNotMatch(bare.out(), /publish/);
    const c = await RawRTSPClient.connect(bare.port);
    try {
      assert.equal((await c.request('ANNOUNCE', `rtsp://127.0.0.1:${bare.port}/live/a`, { 'Content-Type': 'application/sdp' }, SDP)).status, 405);
    } finally {
      c.close();
    }
  } finally {
    await stop(bare.child);
  }
});
