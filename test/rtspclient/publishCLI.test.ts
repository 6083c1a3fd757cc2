// dorsvr-publish end to end: a file into ffmpeg's receiver (exit 0, progress, summary, what ffmpeg
// wrote), a refused ANNOUNCE and a refused connection (exit 1, one clear line), usage (--help on
// stdout, bad arguments exit 2).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
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
