// examples/liveToneServer.ts runs as its header says and ffmpeg records the tone it serves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../helpers/paths.js';
import { withTempDir } from '../helpers/tempDir.js';
import { ffmpegCopy, probe } from '../rtspserver/helpers/ffmpeg.js';

test('examples/liveToneServer: a LiveServerMediaSubsession of L16 that ffmpeg records', async () => {
  const child = spawn(process.execPath, [join(repoRoot, 'build', 'examples', 'liveToneServer.js'), '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL printed: ${out} ${err}`)), 15_000);
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /rtsp:\/\/[^\s/]+:(\d+)\/tone/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      child.once('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
    });
    await withTempDir(async (dir) => {
      const file = join(dir, 'tone.mka');
      const r = await ffmpegCopy(`rtsp://127.0.0.1:${port}/tone`, 'tcp', file, [], 30_000, ['-t', '1']);
      assert.equal(r.code, 0, r.stderr);
      const p = await probe(file);
      assert.deepEqual([p.codec, p.sampleRate, p.channels], ['pcm_s16be', 8000, 1]);
      assert.ok(p.duration !== undefined && Math.abs(p.duration - 1) <= 0.1, `${p.duration} s`);
    });
  } finally {
    child.kill('SIGKILL');
  }
});
