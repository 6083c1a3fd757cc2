// The compiled dorsvr-client, run as a child process against our DynamicRTSPServer (in-process on
// 127.0.0.1): every fixture codec recorded over UDP and over TCP and compared with its source;
// failures (404, refused connection, bad arguments), -d, SIGINT, and Digest credentials.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { BasicTaskScheduler, type TaskScheduler } from '@dorsvr/scheduler';
import { DynamicRTSPServer, RTSPServer, UserAuthenticationDatabase } from '@dorsvr/rtspserver';
import {
  ADTSAudioFileServerMediaSubsession,
  H264VideoFileServerMediaSubsession,
  defaultStreamTransportFactory,
  ServerMediaSession,
  type StreamTransportFactory,
} from '@dorsvr/livemedia';
import { fixture, repoRoot } from '../helpers/paths.js';
import { probe, runPeer } from '../rtspserver/helpers/ffmpeg.js';
import { tempDir } from '../helpers/tempDir.js';
import { CLI, RECORDED_NAME, checkAnnexB, checkRecording, qos, startCLI } from './clientCLI.js';

let scheduler: TaskScheduler;
let server: DynamicRTSPServer;
let authServer: DynamicRTSPServer;
let base: string;
let authBase: string;
const root = join(repoRoot, 'test', 'fixtures');

before(async () => {
  scheduler = new BasicTaskScheduler();
  server = new DynamicRTSPServer({ scheduler, root, port: 0, host: '127.0.0.1' });
  await server.listen();
  base = `rtsp://127.0.0.1:${server.port}`;
  const authDatabase = new UserAuthenticationDatabase({ realm: 'dorsvr-test' }).addUser('alice', 's3cret');
  authServer = new DynamicRTSPServer({ scheduler, root, port: 0, host: '127.0.0.1', authDatabase });
  await authServer.listen();
  authBase = `rtsp://127.0.0.1:${authServer.port}`;
});

after(async () => {
  await server.close();
  await authServer.close();
  scheduler.close();
});

// The streams are paced in real time (1-2 s each): record them side by side.
describe('dorsvr-client records every fixture codec', { concurrency: 6 }, () => {
  for (const transport of ['udp', 'tcp'] as const) {
    for (const file of Object.keys(RECORDED_NAME)) {
      it(`${file} over ${transport}: exit 0 at the server's BYE, the file equals the source, ffprobe agrees`, async () => {
        const { dir, cleanup } = tempDir();
        try {
          const args = [`${base}/${file}`, '-o', dir, ...(transport === 'tcp' ? ['-t'] : [])];
          const r = await startCLI(args, 60_000);
          assert.equal(r.code, 0, r.stderr);
          const name = RECORDED_NAME[file]!;
          assert.deepEqual(readdirSync(dir), [name]);
          assert.match(r.stdout, new RegExp(`^recording \\w+/[\\w-]+ to ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/${name}$`, 'm'));
          assert.match(r.stderr, /the server ended the stream \(RTCP BYE\)/);
          assert.doesNotMatch(r.stderr, /falling back|streaming over TCP/, 'UDP worked on loopback: no fallback');
          const q = qos(r.stdout, name);
          assert.equal(q.packets_lost, 0);
          assert.equal(q.packets_expected, q.packets_received, 'nothing lost: every packet sent was expected, the first one too');
          assert.equal(q.damaged_frames, 0);
          assert.equal(q.overflowed_frames, 0);
          assert.ok(q.packets_received! > 0 && q.frames! > 0 && q.bitrate_kbps! > 0 && q.jitter_ms! >= 0, JSON.stringify(q));
          assert.equal(q.file_bytes, readFileSync(join(dir, name)).length);
          await checkRecording(file, join(dir, name));
        } finally {
          cleanup();
        }
      });
    }
  }
});

describe('dorsvr-client failures and stops', { concurrency: 4 }, () => {
  /** How the server saw each stream's session end, by stream name (each test here plays a different one). */
  const closes = new Map<string, string[]>();
  before(() => {
    server.on('sessionClosed', (s, reason) => closes.set(s.streamName, [...(closes.get(s.streamName) ?? []), reason]));
  });

  it('a 404 URL: exit 1, one line naming DESCRIBE and 404, no file', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const r = await startCLI([`${base}/no-such-file.264`, '-o', dir]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^dorsvr-client: DESCRIBE \S+no-such-file\.264: 404 Not Found\n$/);
      assert.equal(r.stdout, '');
      assert.deepEqual(readdirSync(dir), []);
    } finally {
      cleanup();
    }
  });

  it('a refused connection: exit 1, "connection refused" in one line', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const r = await startCLI([`rtsp://127.0.0.1:${port}/test.264`], 60_000);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `dorsvr-client: cannot connect to 127.0.0.1:${port}: connection refused\n`);
  });

  it('bad arguments: exit 2 with the usage line', async () => {
    for (const args of [[], ['-d'], ['-d', 'x', `${base}/test.264`], ['-u', 'alice'], ['http://x/'], [`${base}/a`, `${base}/b`], ['-z', `${base}/a`]]) {
      const r = await startCLI(args);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr, /^dorsvr-client: .+\nusage: dorsvr-client <rtsp-url>/, args.join(' '));
    }
  });

  it('a missing -o directory, or a file given as one: exit 2 before connecting, saying what is wrong', async () => {
    const r = await startCLI([`${base}/test.aac`, '-o', '/nonexistent/dir']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^dorsvr-client: -o \/nonexistent\/dir: no such directory\nusage: /);
    const f = await startCLI([`${base}/test.aac`, '-o', fixture('test.aac')]);
    assert.equal(f.code, 2);
    assert.match(f.stderr, /^dorsvr-client: -o \S+test\.aac: not a directory\n/);
  });

  it('-d 1 on a 2 s stream: TEARDOWN after about a second, a partial but valid .264 (a prefix of the whole recording)', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const r = await startCLI([`${base}/test.264`, '-d', '1', '-o', dir, '-F', 'short-']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /stopping \(1 s recorded\)/);
      assert.doesNotMatch(r.stderr, /BYE/, 'stopped before the end');
      // At least the second asked for; no upper end (a loaded machine starts node slowly, 15 s was
      // not enough once):
      // that it stopped before the 2 s stream ended is what the absence of the server's BYE shows.
      assert.ok(r.ms > 900, `${r.ms} ms`);
      const path = join(dir, 'short-video-H264-1.264');
      const { nals } = checkAnnexB(readFileSync(path), readFileSync(fixture('test.264')), false, true);
      const p = await probe(path);
      assert.equal(p.codec, 'h264');
      assert.deepEqual([p.width, p.height], [320, 240]);
      // 25 fps for about a second (paced from the first packet; PLAY to TEARDOWN takes a little).
      assert.ok(p.frames >= 15 && p.frames <= 40, `${p.frames} frames, ${nals} NAL units`);
      assert.deepEqual(closes.get('test.264'), ['teardown']);
    } finally {
      cleanup();
    }
  });

  it('SIGINT while recording: TEARDOWN, the file flushed and valid, exit 0 with the QoS report', async () => {
    const { dir, cleanup } = tempDir();
    try {
      let sent = false;
      const r = await startCLI([`${base}/test.ts`, '-o', dir, '-Q'], 15_000, (out, child) => {
        // -Q prints a QoS line every second: after the first one, interrupt.
        if (!sent && /^qos /m.test(out)) {
          sent = true;
          child.kill('SIGINT');
        }
      });
      assert.ok(sent, 'a QoS line came within the recording');
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /stopping \(SIGINT\)/);
      const path = join(dir, 'video-MP2T-1.ts');
      const got = readFileSync(path);
      const whole = readFileSync(fixture('test.ts'));
      assert.ok(got.length > 0 && got.length < whole.length && got.length % 188 === 0, `${got.length} bytes`);
      assert.equal(Buffer.compare(got, whole.subarray(0, got.length)), 0, 'a prefix of the stream');
      assert.equal(qos(r.stdout, 'video-MP2T-1.ts').file_bytes, got.length);
      const p = await probe(path);
      assert.equal(p.codec, 'h264');
      assert.ok(p.frames > 5, `${p.frames} packets`);
      assert.deepEqual(closes.get('test.ts'), ['teardown']);
    } finally {
      cleanup();
    }
  });

  it('on a terminal (script(1) gives it a pty): one progress line, rewritten in place every second', async () => {
    const { dir, cleanup } = tempDir();
    try {
      if (!existsSync('/usr/bin/script')) throw new Error('/usr/bin/script (util-linux) is needed to give the CLI a terminal');
      const cmd = `${process.execPath} ${CLI} ${base}/test.265 -o ${dir}`;
      const r = await runPeer('/usr/bin/script', ['-qfec', cmd, '/dev/null'], 20_000);
      assert.equal(r.code, 0, r.stdout);
      assert.match(r.stdout, /\r\x1b\[Krecording 1 s: [\d.]+ (B|KiB|MiB), loss [\d.]+ % \(video-H265-1\.265 [\d.]+ (B|KiB)\)/);
      assert.match(r.stdout, /\r\x1b\[K[^\r]*RTCP BYE/, 'the progress line is cleared before a message');
      await checkRecording('test.265', join(dir, 'video-H265-1.265'));
    } finally {
      cleanup();
    }
  });

  it('two tracks (H.264 + AAC) in one session: two files, numbered by track, each equal to its source', async () => {
    const av = new RTSPServer({ scheduler, port: 0, host: '127.0.0.1' });
    av.addServerMediaSession(
      new ServerMediaSession('av')
        .addSubsession(new H264VideoFileServerMediaSubsession(fixture('test.264'), { scheduler }))
        .addSubsession(new ADTSAudioFileServerMediaSubsession(fixture('test.aac'), { scheduler })),
    );
    await av.listen();
    const { dir, cleanup } = tempDir();
    try {
      const r = await startCLI([`rtsp://127.0.0.1:${av.port}/av`, '-o', dir, '-F', 'cam-'], 60_000);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(readdirSync(dir).sort(), ['cam-audio-MPEG4-GENERIC-2.aac', 'cam-video-H264-1.264']);
      assert.equal(r.stderr.match(/RTCP BYE/g)?.length, 2, 'a BYE for each track');
      await checkRecording('test.264', join(dir, 'cam-video-H264-1.264'));
      await checkRecording('test.aac', join(dir, 'cam-audio-MPEG4-GENERIC-2.aac'));
      assert.equal(qos(r.stdout, 'cam-audio-MPEG4-GENERIC-2.aac').packets_lost, 0);
    } finally {
      cleanup();
      await av.close();
    }
  });

  it('UDP blocked (RTP to UDP clients never sent): the CLI says so, falls back to TCP and records the whole stream', async () => {
    const udpBlackhole: StreamTransportFactory = {
      create(request) {
        const t = defaultStreamTransportFactory.create(request);
        if (request.udp) t.addDestination = () => undefined;
        return t;
      },
    };
    const natServer = new RTSPServer({ scheduler, port: 0, host: '127.0.0.1' });
    natServer.addServerMediaSession(
      new ServerMediaSession('nat').addSubsession(new ADTSAudioFileServerMediaSubsession(fixture('test.aac'), { scheduler, transportFactory: udpBlackhole })),
    );
    await natServer.listen();
    const { dir, cleanup } = tempDir();
    try {
      const r = await startCLI([`rtsp://127.0.0.1:${natServer.port}/nat`, '-o', dir], 60_000);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /^no RTP over UDP \(.+\): streaming over TCP instead$/m);
      await checkRecording('test.aac', join(dir, 'audio-MPEG4-GENERIC-1.aac'));
    } finally {
      cleanup();
      await natServer.close();
    }
  });

  it('-u against a server with a UserAuthenticationDatabase: right credentials record, wrong or none exit 1 with 401', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const ok = await startCLI([`${authBase}/test.aac`, '-u', 'alice', 's3cret', '-o', dir, '-t']);
      assert.equal(ok.code, 0, ok.stderr);
      await checkRecording('test.aac', join(dir, 'audio-MPEG4-GENERIC-1.aac'));
      mkdirSync(join(dir, 'w'));
      const wrong = await startCLI([`${authBase}/test.aac`, '-u', 'alice', 'nope', '-o', join(dir, 'w')]);
      assert.equal(wrong.code, 1);
      assert.match(wrong.stderr, /^dorsvr-client: \w+ \S+: 401 Unauthorized.*\(the user name or password was refused\)\n$/);
      const none = await startCLI([`${authBase}/test.aac`, '-o', join(dir, 'w')]);
      assert.equal(none.code, 1);
      assert.match(none.stderr, /^dorsvr-client: \w+ \S+: 401 Unauthorized.*\(credentials required: use -u user pass\)\n$/);
      assert.deepEqual(readdirSync(join(dir, 'w')), [], 'no file written');
    } finally {
      cleanup();
    }
  });
});
