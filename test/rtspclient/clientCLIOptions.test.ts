// dorsvr-client's command line as a user meets it: --help lists every option with its default
// (stdout, exit 0), --version, bad arguments say what is wrong (exit 2), passwords from an
// environment variable or a file (not argv), a status line (bytes, duration, loss), --quiet and
// --json. The compiled CLI runs as a child process against our server on 127.0.0.1.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BasicTaskScheduler, type TaskScheduler } from '@dorsvr/scheduler';
import { AsyncIterableSource, LiveServerMediaSubsession, ServerMediaSession, type Frame } from '@dorsvr/livemedia';
import { DynamicRTSPServer, RTSPServer, UserAuthenticationDatabase } from '@dorsvr/rtspserver';
import { CLIENT_OPTIONS, parseClientArgs } from '@dorsvr/rtspclient';
import { repoRoot } from '../helpers/paths.js';
import { withTempDir } from '../helpers/tempDir.js';
import { runPeer } from '../rtspserver/helpers/ffmpeg.js';
import { CLI, checkRecording, startCLI } from './clientCLI.js';

let scheduler: TaskScheduler;
let server: DynamicRTSPServer;
let authServer: DynamicRTSPServer;
let live: RTSPServer;
let base: string;
let authBase: string;
let liveURL: string;

/** Endless L16 silence, 20 ms a frame, paced by the sink: a stream that goes on until -d stops it. */
async function* silence(): AsyncGenerator<Frame> {
  for (let n = 0; ; n++) yield { data: new Uint8Array(320), presentationTime: n * 20_000, duration: 20_000 };
}

before(async () => {
  scheduler = new BasicTaskScheduler();
  const root = join(repoRoot, 'test', 'fixtures');
  server = new DynamicRTSPServer({ scheduler, root, port: 0, host: '127.0.0.1' });
  await server.listen();
  base = `rtsp://127.0.0.1:${server.port}`;
  const authDatabase = new UserAuthenticationDatabase({ realm: 'dorsvr-test' }).addUser('alice', 's3cret');
  authServer = new DynamicRTSPServer({ scheduler, root, port: 0, host: '127.0.0.1', authDatabase });
  await authServer.listen();
  authBase = `rtsp://127.0.0.1:${authServer.port}`;
  live = new RTSPServer({ scheduler, port: 0, host: '127.0.0.1' });
  live.addServerMediaSession(
    new ServerMediaSession('silence').addSubsession(new LiveServerMediaSubsession({ scheduler, source: new AsyncIterableSource(silence()), codec: 'l16' })),
  );
  await live.listen();
  liveURL = `rtsp://127.0.0.1:${live.port}/silence`;
});

after(async () => {
  await server.close();
  await authServer.close();
  await live.close();
  scheduler.close();
});

describe('dorsvr-client command line', { concurrency: 4 }, () => {
  it('--help and -h: every option with its default on stdout, exit 0', async () => {
    for (const flag of ['--help', '-h']) {
      const r = await startCLI([flag]);
      assert.equal(r.code, 0);
      assert.equal(r.stderr, '');
      assert.match(r.stdout, /^usage: dorsvr-client <rtsp-url>/);
      for (const o of CLIENT_OPTIONS) {
        const line = r.stdout.split('\n').find((l) => new RegExp(`^ +(-\\w, )?--${o.name}( |$)`).test(l));
        assert.ok(line, `--${o.name} is listed`);
        if (o.short !== undefined) assert.ok(line.includes(`-${o.short}, --${o.name}`), `-${o.short} is listed with --${o.name}`);
        if (o.default !== undefined) assert.ok(line.includes(`(default: ${o.default})`), `--${o.name} shows its default: ${line}`);
      }
      assert.match(r.stdout, /--output-dir <dir> +directory .*\(default: \.\)/);
      assert.match(r.stdout, /--password-env <VAR>/);
    }
  });

  it('--version and -V print the package and version, exit 0', async () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'packages', 'rtspclient', 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const r = await startCLI([flag]);
      assert.equal(r.code, 0);
      assert.equal(r.stdout, `dorsvr-client (@dorsvr/rtspclient) ${pkg.version}\n`);
    }
  });

  it('bad arguments: exit 2 with a message saying what is wrong, then the usage line', async () => {
    const cases: Array<[string[], RegExp]> = [
      [[], /no URL given/],
      [['--frobnicate', `${base}/a.264`], /unknown option --frobnicate/],
      [['-d'], /-d needs a seconds/],
      [['-d', '-1', `${base}/a.264`], /-d: "-1" is not a positive number of seconds/],
      [['--duration=soon', `${base}/a.264`], /-d: "soon" is not a positive number/],
      [['-u', 'alice'], /-u needs a password after the user/],
      [['http://x/'], /"http:\/\/x\/" is not an rtsp:\/\/ URL/],
      [[`${base}/a`, `${base}/b`], /unexpected argument .* \(one URL only\)/],
      [['--quiet', '--json', `${base}/a`], /--json and --quiet exclude each other/],
      [['--password-env', 'DORSVR_TEST_UNSET_VAR', '--user', 'alice', `${base}/a`], /environment variable DORSVR_TEST_UNSET_VAR is not set/],
      [['--password-file', '/nonexistent/pw', '--user', 'alice', `${base}/a`], /--password-file: cannot read \/nonexistent\/pw \(ENOENT\)/],
      [['--password-env', 'HOME', `${base}/a`], /no user name: add --user/],
      [['--user', 'alice', `${base}/a`], /--user needs --password-env or --password-file/],
      [['-o', '/nonexistent/dir', `${base}/a`], /-o \/nonexistent\/dir: no such directory/],
    ];
    for (const [args, message] of cases) {
      const r = await startCLI(args);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr, /^dorsvr-client: .+\nusage: dorsvr-client <rtsp-url>/, args.join(' '));
      assert.match(r.stderr.split('\n')[0]!, message, args.join(' '));
      assert.equal(r.stdout, '');
    }
  });

  it('parseClientArgs: the password comes from the variable or the first line of the file, the user from --user or the URL', async () => {
    await withTempDir(async (dir) => {
      const pw = join(dir, 'pw');
      writeFileSync(pw, 's3cret\nignored\n');
      const a = parseClientArgs(['--user', 'alice', '--password-file', pw, 'rtsp://h/x']);
      assert.ok(typeof a === 'object');
      assert.deepEqual([a.username, a.password], ['alice', 's3cret']);
      const b = parseClientArgs(['--password-env', 'PW', 'rtsp://bob@h/x'], { PW: 'hunter2' });
      assert.ok(typeof b === 'object');
      assert.deepEqual([b.username, b.password], ['bob', 'hunter2']);
      assert.match(String(parseClientArgs(['-u', 'a', 'b', '--password-env', 'PW', 'rtsp://h/x'], { PW: 'x' })), /do not combine/);
    });
  });

  it('--password-env and --password-file: the credentials reach a Digest server without being in argv', async () => {
    await withTempDir(async (dir) => {
      const env = await runPeer('/usr/bin/env', ['DORSVR_PW=s3cret', process.execPath, CLI, `${authBase}/test.aac`, '--user', 'alice', '--password-env', 'DORSVR_PW', '-o', dir, '-q'], 20_000);
      assert.equal(env.code, 0, env.stderr);
      await checkRecording('test.aac', join(dir, 'audio-MPEG4-GENERIC-1.aac'));
      const pw = join(dir, 'pw');
      writeFileSync(pw, 'wrong\n');
      const bad = await startCLI([`${authBase}/test.aac`, '--user', 'alice', '--password-file', pw, '-o', dir, '-F', 'bad-']);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /401 Unauthorized.*the user name or password was refused/);
      writeFileSync(pw, 's3cret\n');
      const good = await startCLI([`rtsp://alice@127.0.0.1:${authServer.port}/test.aac`, '--password-file', pw, '-o', dir, '-F', 'file-']);
      assert.equal(good.code, 0, good.stderr);
      await checkRecording('test.aac', join(dir, 'file-audio-MPEG4-GENERIC-1.aac'));
    });
  });

  it('a status line while recording: duration, bytes and loss (every 2 s in a log), none with --quiet', async () => {
    await withTempDir(async (dir) => {
      const r = await startCLI([liveURL, '-d', '2.6', '-o', dir], 60_000);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /^recording 2 s: [\d.]+ KiB, loss 0\.0 % \(audio-L16-1\.wav [\d.]+ KiB\)$/m);
      assert.match(r.stdout, /^recording audio\/L16 to /m);
      const q = await startCLI([liveURL, '-d', '2.6', '-o', dir, '--quiet', '-F', 'q-'], 60_000);
      assert.equal(q.code, 0, q.stderr);
      assert.equal(q.stderr, '', 'nothing on stderr with --quiet');
      assert.match(q.stdout, /^qos q-audio-L16-1\.wav: /m, 'the QoS report is the result, still printed');
    });
  });

  it('--json: JSON lines on stdout (the files, a status every second, the QoS), nothing else', async () => {
    await withTempDir(async (dir) => {
      const r = await startCLI([liveURL, '-d', '2.4', '-o', dir, '--json'], 60_000);
      assert.equal(r.code, 0, r.stderr);
      const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      const types = lines.map((l) => l.type);
      assert.equal(types[0], 'recording');
      assert.equal(lines[0]!.file, join(dir, 'audio-L16-1.wav'));
      const statuses = lines.filter((l) => l.type === 'status');
      assert.ok(statuses.length >= 2, `${statuses.length} status lines`);
      const last = statuses[statuses.length - 1]!;
      assert.ok((last.bytes as number) > 0 && (last.seconds as number) >= 1.9 && last.lossPercent === 0, JSON.stringify(last));
      const qos = lines.find((l) => l.type === 'qos');
      assert.ok(qos && qos.file === 'audio-L16-1.wav' && (qos.packetsReceived as number) > 50 && qos.packetsLost === 0, JSON.stringify(qos));
      assert.equal(types[types.length - 1], 'qos');
    });
  });

  it('an unwritable output path mid-way is a clear error, exit 1 (never an unhandled rejection)', async () => {
    // The directory exists when checked, but the file cannot be created: a directory of that name is in the way.
    await withTempDir(async (dir) => {
      const { mkdirSync } = await import('node:fs');
      mkdirSync(join(dir, 'audio-MPEG4-GENERIC-1.aac'));
      const r = await startCLI([`${base}/test.aac`, '-o', dir]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /^dorsvr-client: cannot open \S+audio-MPEG4-GENERIC-1\.aac/m);
      assert.doesNotMatch(r.stderr, /Unhandled|at .*\.js:\d+/);
    });
  });
});


