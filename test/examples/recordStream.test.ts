// examples/recordStream.ts records a stream as its header says, and a failure (a directory that
// cannot be written, no server) is one clear line and exit status 1, never an unhandled rejection.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { BasicTaskScheduler } from '@dorsvr/scheduler';
import { DynamicRTSPServer } from '@dorsvr/rtspserver';
import { repoRoot } from '../helpers/paths.js';
import { withTempDir } from '../helpers/tempDir.js';
import { runPeer } from '../rtspserver/helpers/ffmpeg.js';
import { checkRecording } from '../rtspclient/clientCLI.js';

const EXAMPLE = join(repoRoot, 'build', 'examples', 'recordStream.js');
const scheduler = new BasicTaskScheduler();
const server = new DynamicRTSPServer({ scheduler, root: join(repoRoot, 'test', 'fixtures'), port: 0, host: '127.0.0.1' });
before(() => server.listen());
after(async () => {
  await server.close();
  scheduler.close();
});

test('examples/recordStream records test.264 to a file equal to its source', async () => {
  await withTempDir(async (dir) => {
    const r = await runPeer(process.execPath, [EXAMPLE, `rtsp://127.0.0.1:${server.port}/test.264`, '10', dir], 30_000);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /video\/H264 → .*video-H264-1\.264\n/);
    await checkRecording('test.264', join(dir, 'video-H264-1.264'));
  });
});

test('examples/recordStream: an output directory that does not exist is one clear line and exit 1', async () => {
  const r = await runPeer(process.execPath, [EXAMPLE, `rtsp://127.0.0.1:${server.port}/test.aac`, '5', '/nonexistent/dir'], 30_000);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /^recordStream: cannot open \/nonexistent\/dir\/audio-MPEG4-GENERIC-1\.aac: ENOENT/);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.doesNotMatch(r.stderr, /Unhandled|triggerUncaughtException|\n\s+at /);
});

test('examples/recordStream: no server there is one clear line and exit 1', async () => {
  const r = await runPeer(process.execPath, [EXAMPLE, 'rtsp://127.0.0.1:1/x', '5'], 30_000);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /^recordStream: .*(ECONNREFUSED|refused)/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});
