// Real players against our server: ffmpeg plays every file type over UDP and TCP and stream-copies
// what it received to a file; ffprobe then says what is in it, compared with the source file.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BasicTaskScheduler } from '@dorsvr/scheduler';
import { DynamicRTSPServer, UserAuthenticationDatabase } from '@dorsvr/rtspserver';
import { fixture, repoRoot } from '../../helpers/paths.js';
import { ffmpegCopy, probe, type ProbeResult } from '../helpers/ffmpeg.js';
import { tempDir } from '../../helpers/tempDir.js';
import { RawRTSPClient } from '../helpers/RawRTSPClient.js';
import { parseRTPHeader } from '@dorsvr/livemedia';
import { assertEveryExtensionCovered, useFixtureServer } from '../helpers/fixtureServer.js';

interface Case {
  file: string;
  /** Extension of the copy ffmpeg writes. */
  out: string;
  /** Allowed difference in frame (packet) count, as a fraction of the source's. */
  tolerance: number;
  /** The codec we send it as, when not the file's (16-bit WAV is sent big-endian, as L16). */
  codec?: string;
  /** Compare durations instead of packet counts (PCM: packet sizes are ours to choose). */
  byDuration?: boolean;
  /** ffprobe stream selector (default 0; a TS holds video and audio). */
  streams?: string[];
}

// Every extension DynamicRTSPServer serves has a case here (checked below), so a new codec
// cannot be added to the server without an interop test.
const CASES: Case[] = [
  { file: 'test.264', out: 'mkv', tolerance: 0.04 },
  { file: 'test-slices-30fps.264', out: 'mkv', tolerance: 0.04 },
  { file: 'test.265', out: 'mkv', tolerance: 0.04 },
  { file: 'test-30fps.265', out: 'mkv', tolerance: 0.04 },
  { file: 'test.aac', out: 'mkv', tolerance: 0.03 },
  { file: 'test.mp3', out: 'mkv', tolerance: 0.03 },
  { file: 'test.wav', out: 'mkv', tolerance: 0.03, codec: 'pcm_s16be', byDuration: true },
  // ffmpeg's TS demuxer keeps the last video PES until EOF, which RTSP's BYE does not flush: ±1 frame.
  { file: 'test.ts', out: 'ts', tolerance: 0.03, streams: ['v:0', 'a:0'] },
];

test('every served extension has an interop case', () => assertEveryExtensionCovered(CASES.map((c) => c.file), 'ffmpeg'));

const fixtures = useFixtureServer();
const tmp = tempDir();
after(() => tmp.cleanup());

function assertSameMedia(got: ProbeResult, want: ProbeResult, tolerance: number, what: string): void {
  assert.equal(got.codec, want.codec, `${what}: codec`);
  if (want.width !== undefined) assert.equal(got.width, want.width, `${what}: width`);
  if (want.height !== undefined) assert.equal(got.height, want.height, `${what}: height`);
  if (want.sampleRate !== undefined) assert.equal(got.sampleRate, want.sampleRate, `${what}: sample rate`);
  if (want.channels !== undefined) assert.equal(got.channels, want.channels, `${what}: channels`);
  const slack = Math.max(1, Math.ceil(want.frames * tolerance));
  assert.ok(
    Math.abs(got.frames - want.frames) <= slack,
    `${what}: ${got.frames} frames received, source has ${want.frames} (±${slack})`,
  );
}

function assertSameMediaCase(got: ProbeResult, want: ProbeResult, c: Case, what: string): void {
  if (c.byDuration) {
    assert.equal(got.codec, c.codec ?? want.codec, `${what}: codec`);
    assert.equal(got.sampleRate, want.sampleRate, `${what}: sample rate`);
    assert.equal(got.channels, want.channels, `${what}: channels`);
    assert.ok(Math.abs((got.duration ?? 0) - (want.duration ?? 0)) <= 0.03, `${what}: ${got.duration} s received, file has ${want.duration} s`);
    return;
  }
  assertSameMedia(got, want, c.tolerance, what);
}

for (const c of CASES) {
  // UDP and TCP at once: two real players, each on its own session.
  test(`ffmpeg plays ${c.file} over UDP and over TCP: codec, geometry/rate and frame count match the file`, async () => {
    const src = fixture(c.file);
    assert.ok(existsSync(src), `fixture ${c.file} is missing`);
    await Promise.all(
      (['udp', 'tcp'] as const).map(async (transport) => {
        const out = join(tmp.dir, `${c.file}.${transport}.${c.out}`);
        const r = await ffmpegCopy(`${fixtures.base}/${c.file}`, transport, out, [], 30_000, ['-map', '0']);
        assert.equal(r.code, 0, `ffmpeg over ${transport} failed:\n${r.stderr}`);
        for (const sel of c.streams ?? ['0']) {
          const [got, want] = await Promise.all([probe(out, sel), probe(src, sel)]);
          assertSameMediaCase(got, want, c, `${c.file} over ${transport} (stream ${sel})`);
        }
      }),
    );
  });
}

test('ffmpeg seeks: -ss 1 on a 2 s H.264 clip gets the second half from its key frame (DESCRIBE, SETUP, PLAY, PAUSE, PLAY, TEARDOWN)', async () => {
  const want = await probe(fixture('test.264'));
  const out = join(tmp.dir, 'seek.mkv');
  const methods: string[] = [];
  const onRequest = (_c: unknown, method: string, uri: string): void => {
    if (uri.includes('/test.264')) methods.push(method);
  };
  fixtures.server.on('request', onRequest);
  const r = await ffmpegCopy(`${fixtures.base}/test.264`, 'tcp', out, ['-ss', '1']);
  fixtures.server.off('request', onRequest);
  assert.equal(r.code, 0, r.stderr);
  // ffmpeg plays, pauses to seek, plays again from 1 s, and tears down at the end.
  assert.deepEqual(methods.filter((m) => m !== 'OPTIONS' && m !== 'GET_PARAMETER'), ['DESCRIBE', 'SETUP', 'PLAY', 'PAUSE', 'PLAY', 'TEARDOWN']);
  const got = await probe(out);
  assert.equal(got.codec, 'h264');
  // The IDR at 1.0 s starts the second half: 25 of 50 frames.
  assert.ok(Math.abs(got.frames - want.frames / 2) <= 2, `${got.frames} frames after seeking to 1 s`);
});

test('ffmpeg seeks in AAC, MP3 and WAV: -ss before -i sends Range, and about the rest of the file arrives', async () => {
  const cases = [
    { file: 'test.aac', ss: 0.5 },
    { file: 'test.mp3', ss: 0.5 },
    { file: 'test.wav', ss: 0.5 },
  ];
  await Promise.all(
    cases.map(async ({ file, ss }) => {
      const want = await probe(fixture(file));
      const out = join(tmp.dir, `seek-${file}.mkv`);
      const r = await ffmpegCopy(`${fixtures.base}/${file}`, 'tcp', out, ['-ss', String(ss)], 30_000, ['-map', '0']);
      assert.equal(r.code, 0, `${file}: ${r.stderr}`);
      const got = await probe(out);
      const total = want.duration ?? 0;
      const expected = total - ss;
      assert.ok(got.duration !== undefined && Math.abs(got.duration - expected) <= 0.15, `${file}: ${got.duration} s after seeking to ${ss} of ${total}`);
    }),
  );
});

// ffmpeg's -ss cannot check an MPEG-TS seek (it times TS by the PTS inside and drops what it takes
// for pre-roll), so this one plays with Range itself, keeps the RTP payloads as a .ts file, and asks
// ffprobe what is in it.
test('MPEG-TS seek: PLAY Range npt=1- delivers the second half of the file (ffprobe of the received TS)', async () => {
  const c = await RawRTSPClient.connect(fixtures.server.port);
  try {
    const url = `${fixtures.base}/test.ts`;
    const s = await c.request('SETUP', `${url}/track1`, { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1' });
    const session = s.headers['session']!.split(';')[0]!;
    const p = await c.request('PLAY', `${url}/`, { Session: session, Range: 'npt=1-' });
    assert.match(p.headers['range']!, /^npt=(0\.9\d\d|1\.0\d\d)-2\.\d{3}$/);
    // The end of the stream is marked by an RTCP BYE (PT 203) on channel 1.
    await c.waitFor(() => (c.frames.get(1) ?? []).some((f) => f.payload.includes(203)), 10_000, 'the BYE');
    const payloads = c.frames.get(0)!.map((f) => parseRTPHeader(f.payload).payload);
    assert.ok(payloads.every((pl) => pl.length % 188 === 0 && pl[0] === 0x47), 'whole TS packets');
    const out = join(tmp.dir, 'seek-received.ts');
    writeFileSync(out, Buffer.concat(payloads));
    const [video, full] = await Promise.all([probe(out, 'v:0'), probe(fixture('test.ts'), 'v:0')]);
    assert.equal(video.codec, 'h264');
    assert.ok(Math.abs(video.frames - full.frames / 2) <= 3, `${video.frames} video frames after seeking to 1 s of ${full.frames}`);
  } finally {
    c.close();
  }
});

test('authentication with ffmpeg: right credentials play, wrong ones are refused', async () => {
  const s2 = new BasicTaskScheduler();
  const auth = new UserAuthenticationDatabase({ realm: 'dorsvr-test' }).addUser('viewer', 'pa55');
  const secured = new DynamicRTSPServer({ scheduler: s2, root: join(repoRoot, 'test', 'fixtures'), port: 0, host: '127.0.0.1', authDatabase: auth });
  await secured.listen();
  try {
    const out = join(tmp.dir, 'auth.mkv');
    const ok = await ffmpegCopy(`rtsp://viewer:pa55@127.0.0.1:${secured.port}/test.264`, 'tcp', out);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal((await probe(out)).frames, 50);
    const bad = await ffmpegCopy(`rtsp://viewer:nope@127.0.0.1:${secured.port}/test.264`, 'tcp', join(tmp.dir, 'denied.mkv'));
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /401|Unauthorized/i);
  } finally {
    await secured.close();
    s2.close();
  }
});
