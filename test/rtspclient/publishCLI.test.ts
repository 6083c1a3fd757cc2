// dorsvr-publish end to end: a file into ffmpeg's receiver (exit 0, progress, summary, what ffmpeg
// wrote), a refused ANNOUNCE and a refused connection (exit 1, one clear line), usage (--help on
// stdout with every option and its default, --version, bad arguments exit 2), passwords from an
// environment variable or a file reaching a server that wants credentials to publish.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BasicTaskScheduler } from '@dorsvr/scheduler';
import { RTSPServer, UserAuthenticationDatabase } from '@dorsvr/rtspserver';
import { parsePublishArgs, PUBLISH_OPTIONS } from '@dorsvr/rtspclient';
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

  it('usage: --help lists every option with its default on stdout (exit 0), --version; bad arguments, a file type it cannot send, a missing file', async () => {
    for (const flag of ['--help', '-h']) {
      const help = await publishCLI([flag]);
      assert.equal(help.code, 0);
      assert.equal(help.stderr, '');
      assert.match(help.stdout, /^usage: dorsvr-publish <file> <rtsp-url> /);
      for (const o of PUBLISH_OPTIONS) {
        const line = help.stdout.split('\n').find((l) => new RegExp(`^ +(-\\w, )?--${o.name}( |$)`).test(l));
        assert.ok(line, `--${o.name} is listed`);
        if (o.short !== undefined) assert.ok(line.includes(`-${o.short}, --${o.name}`), `-${o.short} is listed with --${o.name}`);
        if (o.default !== undefined) assert.ok(line.includes(`(default: ${o.default})`), `--${o.name} shows its default: ${line}`);
      }
      assert.match(help.stdout, /--password-env <VAR>/);
    }
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'packages', 'rtspclient', 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const v = await publishCLI([flag]);
      assert.equal(v.code, 0, v.stderr);
      assert.equal(v.stdout, `dorsvr-publish (@dorsvr/rtspclient) ${pkg.version}\n`);
    }
    for (const [args, message] of [
      [[fixture('test.aac')], /no URL given/],
      [[fixture('test.aac'), 'http://x/y'], /is not an rtsp:\/\/ URL/],
      [[fixture('test.aac'), 'rtsp://x/y', '-u', 'bob'], /-u needs a password/],
      [[fixture('test.aac'), 'rtsp://x/y', '--bogus'], /unknown option --bogus/],
      [[fixture('test.aac'), 'rtsp://x/y', '--password-env', 'DORSVR_NO_SUCH_VARIABLE'], /--password-env: the environment variable DORSVR_NO_SUCH_VARIABLE is not set/],
      [[fixture('test.aac'), 'rtsp://x/y', '--user', 'bob', '--password-file', join(repoRoot, 'no-such-file')], /--password-file: cannot read .*no-such-file \(ENOENT\)/],
      [[fixture('test.aac'), 'rtsp://x/y', '--user', 'bob'], /--user needs --password-env or --password-file/],
      [[fixture('README.md'), 'rtsp://x/y'], /cannot publish \.md files \(one of \.264 .*\.ts\)/],
    ] as const) {
      const r = await publishCLI(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr.split('\n')[0]!, message);
      assert.equal(r.stdout, '');
    }
    // A file that is not there, or a directory: a bad argument (exit 2), said before connecting anywhere.
    await withTempDir(async (dir) => {
      mkdirSync(join(dir, 'clip.264'));
      for (const [file, why] of [[join(repoRoot, 'no-such.264'), 'ENOENT'], [join(dir, 'clip.264'), 'not a regular file']] as const) {
        const missing = await publishCLI([file, 'rtsp://127.0.0.1:1/x']);
        assert.equal(missing.code, 2, missing.stderr);
        assert.match(missing.stderr, new RegExp(`^dorsvr-publish: cannot read \\S+\\.264: ${why}\nusage: dorsvr-publish `));
      }
    });
  });

  it('parsePublishArgs: the password from a variable or the first line of a file, the user from --user or the URL', async () => {
    await withTempDir(async (dir) => {
      const pw = join(dir, 'pw');
      writeFileSync(pw, 's3cret\nignored\n');
      const a = parsePublishArgs(['f.264', 'rtsp://h/x', '--user', 'alice', '--password-file', pw]);
      assert.ok(typeof a === 'object');
      assert.deepEqual([a.username, a.password], ['alice', 's3cret']);
      const b = parsePublishArgs(['--password-env', 'PW', 'f.264', 'rtsp://bob@h/x'], { PW: 'hunter2' });
      assert.ok(typeof b === 'object');
      assert.deepEqual([b.username, b.password], ['bob', 'hunter2']);
      assert.match(String(parsePublishArgs(['f.264', 'rtsp://h/x', '--password-env', 'PW'], { PW: 'x' })), /no user name/);
      assert.match(String(parsePublishArgs(['f.264', 'rtsp://h/x', '-u', 'a', 'b', '--password-env', 'PW'], { PW: 'x' })), /do not combine/);
    });
  });

  it('--password-env and --password-file: a server that wants credentials to publish gets them without argv', async () => {
    const scheduler = new BasicTaskScheduler();
    const authDatabase = new UserAuthenticationDatabase();
    authDatabase.addUser('cam', 's3 cret');
    const server = new RTSPServer({ scheduler, port: 0, host: '127.0.0.1', authDatabase, publish: {} });
    const published: string[] = [];
    server.on('publish', (p) => published.push(p.path));
    await server.listen();
    try {
      await withTempDir(async (dir) => {
        const url = `rtsp://127.0.0.1:${server.port}/live/cam`;
        const pw = join(dir, 'pw');
        writeFileSync(pw, 'wrong\n');
        const bad = await publishCLI([fixture('test.aac'), url, '--user', 'cam', '--password-file', pw]);
        assert.equal(bad.code, 1, bad.stderr);
        assert.match(bad.stderr, /^dorsvr-publish: .*401 Unauthorized.*the user name or password was refused\)$/m);
        const env = await runPeer('/usr/bin/env', ['DORSVR_PW=s3 cret', process.execPath, PUBLISH_CLI, fixture('test.aac'), url, '--user', 'cam', '--password-env', 'DORSVR_PW', '-t'], 20_000);
        assert.equal(env.code, 0, env.stderr);
        writeFileSync(pw, 's3 cret\n');
        const file = await publishCLI([fixture('test.aac'), `rtsp://cam@127.0.0.1:${server.port}/live/cam`, '--password-file', pw, '-t']);
        assert.equal(file.code, 0, file.stderr);
        assert.match(file.stdout, /^published .*test\.aac to \S+: 1\.\d+ s of media in [\d.]+ s, \d+ packets/m);
        assert.deepEqual(published, ['live/cam', 'live/cam']);
      });
    } finally {
      await server.close();
      scheduler.close();
    }
  });
});
