// The default bound of a TCP connection's send queue (maxSendQueueBytes, 256 KiB) holds what a
// player that keeps up ever leaves queued in the server, even for key frames twice that size:
// ffmpeg, GStreamer and our own client, all over interleaved TCP, each decode every frame of such a
// clip exactly as ffmpeg decodes the file itself (one dropped packet changes a frame's checksum).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BasicTaskScheduler } from '@dorsvr/scheduler';
import { DynamicRTSPServer } from '@dorsvr/rtspserver';
import { findPeer } from '../../helpers/peers.js';
import { tempDir } from '../../helpers/tempDir.js';
import { repoRoot } from '../../helpers/paths.js';
import { runPeer } from '../helpers/ffmpeg.js';
import { assertGstStoppedByItself } from '../helpers/gstreamer.js';

const FRAMES = 50;
const tmp = tempDir();
const media = join(tmp.dir, 'media');
const clip = join(media, 'bigkey.264');
let sourceMD5s: string[] = [];

/** The checksum of every decoded frame of `file`, in order (ffmpeg's framemd5, timestamps left out). */
async function frameMD5s(file: string): Promise<string[]> {
  const r = await runPeer(findPeer('ffmpeg'), ['-hide_banner', '-loglevel', 'error', '-nostdin', '-i', file, '-map', '0:v:0', '-f', 'framemd5', '-'], 60_000);
  assert.equal(r.code, 0, `ffmpeg framemd5 of ${file}: ${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((l) => l.split(',').pop()!.trim());
}

before(async () => {
  mkdirSync(media);
  // Noise does not compress: 720p key frames of ~500 KB at qp 22 (two in 50 frames), ~1 MB in all.
  const r = await runPeer(findPeer('ffmpeg'), [
    '-hide_banner', '-loglevel', 'error', '-nostdin', '-y',
    '-f', 'lavfi', '-i', 'color=c=gray:size=1280x720:rate=25,noise=alls=30:allf=u', '-frames:v', String(FRAMES),
    '-c:v', 'libx264', '-preset', 'ultrafast', '-bf', '0', '-g', '25', '-qp', '22', '-f', 'h264', clip,
  ], 60_000);
  assert.equal(r.code, 0, r.stderr);
  sourceMD5s = await frameMD5s(clip);
  assert.equal(sourceMD5s.length, FRAMES);
});
after(() => tmp.cleanup());

/** A server on the clip's directory with every option at its default. */
async function withServer(fn: (url: string) => Promise<void>): Promise<void> {
  const scheduler = new BasicTaskScheduler();
  const server = new DynamicRTSPServer({ scheduler, root: media, port: 0, host: '127.0.0.1' });
  await server.listen();
  try {
    await fn(`rtsp://127.0.0.1:${server.port}/bigkey.264`);
  } finally {
    await server.close();
    scheduler.close();
  }
}

test('the clip has key frames larger than the default send queue (256 KiB)', async () => {
  const r = await runPeer(findPeer('ffprobe'), ['-v', 'error', '-show_entries', 'packet=size,flags', '-of', 'csv=p=0', clip]);
  const keySizes = r.stdout.split('\n').filter((l) => /,K/.test(l)).map((l) => Number(l.split(',')[0]));
  assert.ok(keySizes.length >= 2 && keySizes.every((s) => s > 256 * 1024), `key frames of ${keySizes.join(', ')} bytes`);
});

test('ffmpeg over TCP decodes every frame of a clip with 500 KB key frames, with the default send queue', async () => {
  await withServer(async (url) => {
    const out = join(tmp.dir, 'ffmpeg.mkv');
    const r = await runPeer(findPeer('ffmpeg'), ['-hide_banner', '-loglevel', 'warning', '-nostdin', '-y', '-rtsp_transport', 'tcp', '-i', url, '-c', 'copy', out], 60_000);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await frameMD5s(out), sourceMD5s);
  });
});

test('GStreamer rtspsrc over TCP decodes every frame of a clip with 500 KB key frames, with the default send queue', async () => {
  await withServer(async (url) => {
    const out = join(tmp.dir, 'gst.264');
    const r = await runPeer(
      findPeer('gst-launch-1.0'),
      ['-e', 'rtspsrc', `location=${url}`, 'protocols=tcp', '!', 'rtph264depay', '!', 'h264parse', '!', 'video/x-h264,stream-format=byte-stream,alignment=au', '!', 'filesink', `location=${out}`],
      60_000,
    );
    assertGstStoppedByItself(r, 'rtspsrc over TCP', 60_000);
    assert.deepEqual(await frameMD5s(out), sourceMD5s);
  });
});

test('our client (dorsvr-client -t) decodes every frame of a clip with 500 KB key frames, with the default send queue', async () => {
  await withServer(async (url) => {
    const dir = join(tmp.dir, 'ours');
    mkdirSync(dir);
    const r = await runPeer(process.execPath, [join(repoRoot, 'packages', 'rtspclient', 'bin', 'dorsvr-client.js'), url, '-t', '-q', '-o', dir], 60_000);
    assert.equal(r.code, 0, r.stderr);
    const files = readdirSync(dir).filter((f) => f.endsWith('.264') && statSync(join(dir, f)).size > 0);
    assert.equal(files.length, 1, `files written: ${readdirSync(dir).join(', ')}`);
    assert.deepEqual(await frameMD5s(join(dir, files[0]!)), sourceMD5s);
  });
});
