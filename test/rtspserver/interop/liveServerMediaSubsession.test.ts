// LiveServerMediaSubsession: a live H.264 source (the access units of test.264, looped and paced
// in real time, starting mid-GOP so the parameter sets come only with the next key frame) served
// through the one class, no subclass and no cast. ffprobe sees sprop-parameter-sets in the SDP;
// two ffmpeg players record it at once (one shared stream) and the recordings decode without a
// missing-PPS error. A stream that never shows its parameter sets gets 503, not a hang.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawn } from 'node:child_process';
import { BasicTaskScheduler, DorsvrError } from '@dorsvr/scheduler';
import { AsyncIterableSource, FramedSource, LiveServerMediaSubsession, MP3FileSource, ServerMediaSession, type Frame } from '@dorsvr/livemedia';
import { RTSPServer } from '@dorsvr/rtspserver';
import { ffmpegCopy, probe, runPeer } from '../helpers/ffmpeg.js';
import { RawRTSPClient } from '../helpers/RawRTSPClient.js';
import { withTempDir } from '../../helpers/tempDir.js';
import { annexB4, annexBNalUnits } from '../../helpers/mediaFiles.js';
import { findPeer } from '../../helpers/peers.js';
import { fixture } from '../../helpers/paths.js';

/** The access units of a single-slice H.264 stream, each as Annex-B bytes (a VCL NAL unit ends one). */
function accessUnits(file: string): Buffer[] {
  const out: Buffer[] = [];
  let au: Buffer[] = [];
  for (const nal of annexBNalUnits(readFileSync(file))) {
    au.push(nal);
    const type = nal[0]! & 0x1f;
    if (type === 1 || type === 5) {
      out.push(annexB4(au));
      au = [];
    }
  }
  return out;
}

/**
 * A camera-like live source: one access unit every 40 ms of real time (test.264 is 25 fps),
 * starting at access unit `start`, looping; `keepParameterSets: false` strips SPS/PPS (a stream
 * that never says them).
 */
class PacedH264Source extends FramedSource {
  readonly #aus: Buffer[];
  #i: number;
  #next = performance.now();
  delivered = 0;

  constructor(start: number, keepParameterSets = true) {
    super();
    const aus = accessUnits(fixture('test.264'));
    this.#aus = keepParameterSets
      ? aus
      : aus.map((au) => annexB4(annexBNalUnits(au).filter((n) => ![7, 8].includes(n[0]! & 0x1f))));
    this.#i = start;
  }

  protected async readFrame(): Promise<Frame | null> {
    const wait = this.#next - performance.now();
    if (wait > 0) await sleep(wait);
    this.#next += 40;
    const data = this.#aus[this.#i % this.#aus.length]!;
    this.#i++;
    this.delivered++;
    return { data, presentationTime: 0, duration: 0 };
  }
}

async function withServer(
  sub: LiveServerMediaSubsession,
  fn: (url: string, server: RTSPServer) => Promise<void>,
  scheduler = new BasicTaskScheduler(),
): Promise<void> {
  const server = new RTSPServer({ scheduler, port: 0, host: '127.0.0.1' });
  server.addServerMediaSession(new ServerMediaSession('live').addSubsession(sub));
  server.on('error', () => {}); // DESCRIBE failures are also reported as events
  await server.listen();
  try {
    await fn(`rtsp://127.0.0.1:${server.port}/live`, server);
  } finally {
    await server.close();
    scheduler.close();
  }
}

test('a live H.264 source through LiveServerMediaSubsession: ffprobe sees sprop-parameter-sets; two recordings decode without missing PPS', async () => {
  const source = new PacedH264Source(10); // mid-GOP: SPS/PPS arrive 15 access units (0.6 s) later
  const scheduler = new BasicTaskScheduler();
  const sub = new LiveServerMediaSubsession({ scheduler, source, codec: 'h264' });
  await withServer(
    sub,
    async (url) => {
      // ffprobe logs the SDP it got at debug level.
      const p = await runPeer(findPeer('ffprobe'), ['-v', 'debug', '-rtsp_transport', 'tcp', '-show_streams', '-of', 'json', url], 30_000);
      assert.equal(p.code, 0, p.stderr.slice(-3000));
      const sdpFmtp = /a=fmtp:96 ([^\r\n]*)/.exec(p.stderr);
      assert.ok(sdpFmtp, `an a=fmtp line in the SDP ffprobe logged:\n${p.stderr.slice(0, 3000)}`);
      assert.match(sdpFmtp[1]!, /packetization-mode=1/);
      assert.match(sdpFmtp[1]!, /profile-level-id=[0-9A-F]{6}/);
      assert.match(sdpFmtp[1]!, /sprop-parameter-sets=[A-Za-z0-9+/=]+,[A-Za-z0-9+/=]+/);
      assert.match(p.stderr, /a=range:npt=now-/);
      const streams = (JSON.parse(p.stdout) as { streams: Array<{ codec_name: string; width: number; height: number }> }).streams;
      assert.equal(streams[0]?.codec_name, 'h264');
      assert.deepEqual([streams[0]?.width, streams[0]?.height], [320, 240]);

      await withTempDir(async (dir) => {
        const outs = await Promise.all(
          (['udp', 'tcp'] as const).map(async (t) => {
            const out = join(dir, `${t}.mkv`);
            const r = await ffmpegCopy(url, t, out, [], 30_000, ['-t', '2']);
            assert.equal(r.code, 0, r.stderr);
            return out;
          }),
        );
        for (const out of outs) {
          // Decode every picture: with the parameter sets in the SDP nothing refers to a PPS the
          // decoder has not seen.
          const d = await runPeer(findPeer('ffmpeg'), ['-hide_banner', '-v', 'error', '-i', out, '-f', 'null', '-'], 30_000);
          assert.equal(d.code, 0, d.stderr);
          assert.doesNotMatch(d.stderr, /non-existing PPS|PPS \d+ referenced|no frame!/i, `${out} decodes cleanly`);
          const info = await probe(out);
          assert.equal(info.codec, 'h264');
          // ffmpeg's stream copy starts at the first key frame: up to 15 pictures before it (the
          // rest of the GOP the source started in) are not written.
          assert.ok(info.frames >= 20, `${info.frames} pictures of 2 s at 25 fps (${out})`);
        }
      });
      // One source for everyone: the players shared it, it was read at the source's real-time pace.
      assert.ok(source.delivered < 25 * 20, `${source.delivered} access units read`);
    },
    scheduler,
  );
  assert.ok(source.closed, 'closing the server closed the live source');
});

test('a live source that never shows its parameter sets: DESCRIBE answers 503 after the timeout, ready() says why, others are served', async () => {
  const scheduler = new BasicTaskScheduler();
  const silent = new LiveServerMediaSubsession({ scheduler, source: new PacedH264Source(0, false), codec: 'h264', parameterSetTimeoutMs: 300 });
  await withServer(
    silent,
    async (url, server) => {
      server.addServerMediaSession(
        new ServerMediaSession('ok').addSubsession(new LiveServerMediaSubsession({ scheduler, source: new PacedH264Source(0), codec: 'h264' })),
      );
      const c = await RawRTSPClient.connect(server.port);
      try {
        const t0 = Date.now();
        const d = await c.request('DESCRIBE', url);
        assert.equal(d.status, 503);
        assert.ok(Date.now() - t0 >= 250, 'it waited for the parameter sets first');
        await assert.rejects(silent.ready(), (err: unknown) => err instanceof DorsvrError && err.code === 'ERR_LIVE_PARAMETER_SETS' && /SPS and PPS within 300 ms/.test(err.message));
        const ok = await c.request('DESCRIBE', url.replace(/live$/, 'ok'));
        assert.equal(ok.status, 200);
        assert.match(ok.body, /sprop-parameter-sets=/);
      } finally {
        c.close();
      }
    },
    scheduler,
  );
});

test('LiveServerMediaSubsession takes a byte stream (an ffmpeg pipe of AAC in ADTS) and puts its config in the SDP', async () => {
  const ff = spawn(findPeer('ffmpeg'), ['-hide_banner', '-loglevel', 'error', '-re', '-stream_loop', '-1', '-i', fixture('test.aac'), '-c', 'copy', '-f', 'adts', 'pipe:1'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  try {
    const scheduler = new BasicTaskScheduler();
    const sub = new LiveServerMediaSubsession({ scheduler, source: ff.stdout, codec: 'aac' });
    await withServer(
      sub,
      async (url) => {
        const c = await RawRTSPClient.connect(Number(new URL(url.replace('rtsp:', 'http:')).port));
        const d = await c.request('DESCRIBE', url);
        c.close();
        assert.equal(d.status, 200);
        assert.match(d.body, /a=rtpmap:96 MPEG4-GENERIC\/44100\/2\r\n/);
        assert.match(d.body, /a=fmtp:96 [^\r\n]*config=1210/i);
        await withTempDir(async (dir) => {
          const out = join(dir, 'a.mka');
          const r = await ffmpegCopy(url, 'tcp', out, [], 30_000, ['-t', '1.5']);
          assert.equal(r.code, 0, r.stderr);
          const info = await probe(out);
          assert.deepEqual([info.codec, info.sampleRate, info.channels], ['aac', 44100, 2]);
          assert.ok(info.frames >= 50, `${info.frames} AAC frames in 1.5 s`);
        });
      },
      scheduler,
    );
  } finally {
    ff.kill('SIGKILL');
  }
});

/** An ffmpeg that plays `file` in a loop in real time and writes it to stdout as `format`. */
function ffmpegPipe(file: string, format: string): ReturnType<typeof spawn> & { stdout: NodeJS.ReadableStream } {
  return spawn(findPeer('ffmpeg'), ['-hide_banner', '-loglevel', 'error', '-re', '-stream_loop', '-1', '-i', file, '-c', 'copy', '-f', format, 'pipe:1'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  }) as ReturnType<typeof spawn> & { stdout: NodeJS.ReadableStream };
}

test('LiveServerMediaSubsession h265 from an ffmpeg pipe: sprop-vps/sps/pps in the SDP, a recording that decodes', async () => {
  const ff = ffmpegPipe(fixture('test.265'), 'hevc');
  try {
    const scheduler = new BasicTaskScheduler();
    await withServer(
      new LiveServerMediaSubsession({ scheduler, source: ff.stdout as AsyncIterable<Uint8Array>, codec: 'h265' }),
      async (url) => {
        const c = await RawRTSPClient.connect(Number(new URL(url.replace('rtsp:', 'http:')).port));
        const d = await c.request('DESCRIBE', url);
        c.close();
        assert.equal(d.status, 200);
        assert.match(d.body, /a=rtpmap:96 H265\/90000\r\n/);
        assert.match(d.body, /a=fmtp:96 [^\r\n]*sprop-vps=[^;\r\n]+;sprop-sps=[^;\r\n]+;sprop-pps=/);
        await withTempDir(async (dir) => {
          const out = join(dir, 'v.mkv');
          const r = await ffmpegCopy(url, 'udp', out, [], 30_000, ['-t', '2']);
          assert.equal(r.code, 0, r.stderr);
          const info = await probe(out);
          assert.deepEqual([info.codec, info.width, info.height], ['hevc', 320, 240]);
          assert.ok(info.frames >= 20, `${info.frames} pictures`);
          const dec = await runPeer(findPeer('ffmpeg'), ['-hide_banner', '-v', 'error', '-i', out, '-f', 'null', '-'], 30_000);
          assert.equal(dec.code, 0, dec.stderr);
          assert.doesNotMatch(dec.stderr, /PPS id out of range|VPS \d+ does not exist|SPS \d+ does not exist/);
        });
      },
      scheduler,
    );
  } finally {
    ff.kill('SIGKILL');
  }
});

test('LiveServerMediaSubsession ts from an ffmpeg pipe: MP2T, recorded with its video and audio', async () => {
  const ff = ffmpegPipe(fixture('test.ts'), 'mpegts');
  try {
    const scheduler = new BasicTaskScheduler();
    await withServer(
      new LiveServerMediaSubsession({ scheduler, source: ff.stdout as AsyncIterable<Uint8Array>, codec: 'ts' }),
      async (url) => {
        await withTempDir(async (dir) => {
          const out = join(dir, 'v.ts');
          const r = await ffmpegCopy(url, 'tcp', out, [], 30_000, ['-t', '2']);
          assert.equal(r.code, 0, r.stderr);
          const video = await probe(out, 'v:0');
          assert.deepEqual([video.codec, video.width, video.height], ['h264', 320, 240]);
          const audio = await probe(out, 'a:0');
          assert.equal(audio.codec, 'aac');
        });
      },
      scheduler,
    );
  } finally {
    ff.kill('SIGKILL');
  }
});

test('LiveServerMediaSubsession pcmu (static payload type 0) and mp3 (MPEG audio frames): recorded by ffmpeg', async () => {
  async function* ulawSilence(): AsyncGenerator<Frame> {
    for (let n = 0; ; n++) yield { data: new Uint8Array(160).fill(0xff), presentationTime: n * 20_000, duration: 20_000 };
  }
  const scheduler = new BasicTaskScheduler();
  const pcmu = new LiveServerMediaSubsession({ scheduler, source: new AsyncIterableSource(ulawSilence()), codec: 'pcmu' });
  await withServer(
    pcmu,
    async (url, server) => {
      server.addServerMediaSession(
        new ServerMediaSession('mp3').addSubsession(
          new LiveServerMediaSubsession({ scheduler, source: MP3FileSource.fromBytes(readFileSync(fixture('test.mp3'))), codec: 'mp3' }),
        ),
      );
      const c = await RawRTSPClient.connect(server.port);
      const d = await c.request('DESCRIBE', url);
      c.close();
      assert.match(d.body, /m=audio 0 RTP\/AVP 0\r\n/);
      await withTempDir(async (dir) => {
        const a = join(dir, 'a.mka');
        const r = await ffmpegCopy(url, 'udp', a, [], 30_000, ['-t', '1']);
        assert.equal(r.code, 0, r.stderr);
        const pa = await probe(a);
        assert.deepEqual([pa.codec, pa.sampleRate, pa.channels], ['pcm_mulaw', 8000, 1]);
        const m = join(dir, 'm.mka');
        const rm = await ffmpegCopy(url.replace(/live$/, 'mp3'), 'tcp', m, [], 30_000, ['-t', '0.8']);
        assert.equal(rm.code, 0, rm.stderr);
        const pm = await probe(m);
        assert.deepEqual([pm.codec, pm.sampleRate], ['mp3', 44100]);
      });
    },
    scheduler,
  );
});

test('LiveServerMediaSubsession refuses bad options loudly (ERR_LIVE_OPTIONS)', () => {
  const source = new AsyncIterableSource([]);
  const bad: Array<Record<string, unknown>> = [
    { codec: 'vp8' },
    { codec: 'l16', sampleRate: 0 },
    { codec: 'l16', channels: 1.5 },
    { codec: 'h264', parameterSetTimeoutMs: -1 },
  ];
  for (const b of bad) {
    assert.throws(
      () => new LiveServerMediaSubsession({ source, ...b } as unknown as ConstructorParameters<typeof LiveServerMediaSubsession>[0]),
      (err: unknown) => err instanceof DorsvrError && err.code === 'ERR_LIVE_OPTIONS',
      JSON.stringify(b),
    );
  }
});
