// dorsvr-publish end to end: a file into ffmpeg's receiver (exit 0, progress, summary, what ffmpeg
// wrote), a refused ANNOUNCE and a refused connection (exit 1, one clear line), usage (--help on
// stdout, bad arguments exit 2).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fixture, repoRoot } from '../helpers/paths.js';
import { withTempDir } from '../helpers/tempDir.js';
import { probe, runPeer } from '../rtspserver/helpers/ffmpeg.js';
import { FakeRTSPServer } from './FakeRTSPServer.js';
import { freePort, startFfmpegReceiver } from './publishHelpers.js';

const PUBLISH_CLI = join(repoRoot, 'packages', 'rtspclient', 'dist', 'publishCLI.js');
const publishCLI = (args: readonly string[], timeoutMs = 20_000) => runPeer(process.execPath, [PUBLISH_CLI, ...args], timeoutMs);

describe('dorsvr-publish', { concurrency: 2 }, () => {
  for (const transport of ['udp', 'tcp'] as const) {
    it(`publishes test.264 into ffmpeg over ${transport}: exit 0, a progress line, a summary, every frame written`, async () => {
      await withTempDir(async (dir) => {
        const out = join(dir, 'out.264');
        const receiver = await startFfmpegReceiver(out);
        // ffmpeg needs a moment to listen; the CLI does not retry a refused connection.
        let r;
        for (let i = 0; i < 50; i++) {
          r = await publishCLI([fixture('test.264'), receiver.url, ...(transport === 'tcp' ? ['-t'] : [])]);
          if (!/connection refused/.test(r.stderr)) break;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        assert.equal(r!.code, 0, r!.stderr);
        assert.match(r!.stderr, new RegExp(`publishing .*test\\.264 to ${receiver.url} over ${transport}`));
        assert.match(r!.stderr, /sent \d+\.\d s: \d+ packets, [\d.]+ KiB/, 'a progress line (every 2 s when stderr is no terminal)');
        const m = /published .*test\.264 to \S+: (\d+\.\d+) s of media in (\d+\.\d+) s, (\d+) packets, (\d+) bytes/.exec(r!.stdout);
        assert.ok(m, r!.stdout);
        assert.equal(Number(m[1]), 2, 'two seconds of video');
        assert.ok(Number(m[2]) >= 1.9, `sent in real time (${m[2]} s)`);
        const f = await receiver.result;
        assert.equal(f.code, 0, f.stderr);
        const [pw, ps] = await Promise.all([probe(out), probe(fixture('test.264'))]);
        assert.deepEqual([pw.codec, pw.width, pw.height, pw.frames], [ps.codec, ps.width, ps.height, ps.frames]);
      });
    });
  }

  it('--loop -t: the file again and again until SIGINT, then BYE/TEARDOWN and exit 0; ffmpeg writes more than the file', async () => {
    await withTempDir(async (dir) => {
      const out = join(dir, 'loop.aac');
      const receiver = await startFfmpegReceiver(out, ['-c', 'copy', '-f', 'adts']);
      const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
        let stdout = '';
        let stderr = '';
        let tries = 0;
        const run = (): void => {
          const child = spawn(process.execPath, [PUBLISH_CLI, fixture('test.aac'), receiver.url, '-t', '--loop'], { stdio: ['ignore', 'pipe', 'pipe'] });
          const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
          stdout = '';
          stderr = '';
          let interrupted = false;
          child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
          child.stderr.on('data', (d: Buffer) => {
            stderr += d.toString();
            // The second restart: stop it the way a user does.
            if (!interrupted && /from the start again \(2\)/.test(stderr)) {
              interrupted = true;
              child.kill('SIGINT');
            }
          });
          child.on('error', reject);
          child.on('close', (code) => {
            clearTimeout(killer);
            if (/connection refused/.test(stderr) && ++tries < 50) setTimeout(run, 100);
            else resolve({ code, stdout, stderr });
          });
        };
        run();
      });
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, /over tcp, looping/);
      assert.match(result.stderr, /stopping \(SIGINT\)/);
      const m = /: (\d+\.\d+) s of media in [\d.]+ s, (\d+) packets/.exec(result.stdout);
      assert.ok(m, result.stdout);
      assert.ok(Number(m[1]) >= 2, `${m[1]} s of media`);
      const r = await receiver.result;
      assert.equal(r.code, 0, r.stderr);
      const [pw, ps] = await Promise.all([probe(out), probe(fixture('test.aac'))]);
      assert.equal(pw.frames, Number(m[2]), 'every packet sent (one AAC frame each) was written');
      assert.ok(pw.frames >= 2 * ps.frames, `${pw.frames} frames, the file has ${ps.frames}`);
    });
  });

  it('a refused ANNOUNCE: exit 1 with the status on one line', async () => {
    const fake = await FakeRTSPServer.start(() => ({ status: 403, reason: 'Forbidden' }));
    try {
      const r = await publishCLI([fixture('test.aac'), fake.url('x')]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^dorsvr-publish: ANNOUNCE rtsp:\/\/127\.0\.0\.1:\d+\/x: 403 Forbidden$/m);
      assert.equal(r.stdout, '');
    } finally {
      await fake.close();
    }
  });

  it('no server: exit 1, "connection refused"', async () => {
    const r = await publishCLI([fixture('test.aac'), `rtsp://127.0.0.1:${await freePort()}/x`]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^dorsvr-publish: cannot connect to 127\.0\.0\.1:\d+: connection refused$/m);
  });

  it('usage: --help on stdout (exit 0); bad arguments, a file type it cannot send, a missing file', async () => {
    const help = await publishCLI(['--help']);
    assert.equal(help.code, 0);
    assert.equal(help.stdout, 'usage: dorsvr-publish <file> <rtsp-url> [-t] [--loop] [-u user pass]\n');
    for (const [args, message] of [
      [[fixture('test.aac')], /no URL given/],
      [[fixture('test.aac'), 'http://x/y'], /is not an rtsp:\/\/ URL/],
      [[fixture('test.aac'), 'rtsp://x/y', '-u', 'bob'], /-u needs a password/],
      [[fixture('test.aac'), 'rtsp://x/y', '--bogus'], /unknown option --bogus/],
      [[fixture('README.md'), 'rtsp://x/y'], /cannot publish \.md files \(one of \.264 .*\.ts\)/],
    ] as const) {
      const r = await publishCLI(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
    const missing = await publishCLI([join(repoRoot, 'no-such.264'), 'rtsp://127.0.0.1:1/x']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /cannot read .*no-such\.264: ENOENT/);
  });
});
