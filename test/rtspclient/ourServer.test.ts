// RTSPClient against our own RTSPServer (in-process on 127.0.0.1): every fixture codec over UDP
// and over TCP, each received frame compared with what the server's framer makes of the file;
// a two-track session; the three ways of reading frames; Digest against our server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { BasicTaskScheduler } from '@dorsvr/scheduler';
import { DynamicRTSPServer, RTSPServer, UserAuthenticationDatabase } from '@dorsvr/rtspserver';
import { ADTSAudioFileServerMediaSubsession, H264VideoFileServerMediaSubsession, ServerMediaSession, type RTPFrame } from '@dorsvr/livemedia';
import { RTSPClient, RTSPClientError, type MediaSubsession } from '@dorsvr/rtspclient';
import { fixture, repoRoot } from '../helpers/paths.js';
import { CollectingSink, framerOutput, within } from './helpers.js';
import { useFixtureServer } from '../rtspserver/helpers/fixtureServer.js';

const fixtures = useFixtureServer();

const CODECS: Array<{ file: string; medium: string; codec: string; clockRate: number; channels?: number; bytewise?: boolean }> = [
  { file: 'test.264', medium: 'video', codec: 'H264', clockRate: 90000 },
  { file: 'test.265', medium: 'video', codec: 'H265', clockRate: 90000 },
  { file: 'test.aac', medium: 'audio', codec: 'MPEG4-GENERIC', clockRate: 44100, channels: 2 },
  { file: 'test.mp3', medium: 'audio', codec: 'MPA', clockRate: 90000 },
  // PCM and TS are cut into RTP packets of the sink's choosing: compare the byte stream.
  { file: 'test.wav', medium: 'audio', codec: 'L16', clockRate: 16000, bytewise: true },
  { file: 'test.ts', medium: 'video', codec: 'MP2T', clockRate: 90000, bytewise: true },
];

type ReadMode = 'sink' | 'events' | 'iterator';

/** Plays `url` to its end (the server's BYE) and returns each track's frames, read `mode`'s way. */
async function playAll(url: string, transport: 'udp' | 'tcp', mode: ReadMode, options: ConstructorParameters<typeof RTSPClient>[1] = {}) {
  const client = new RTSPClient(url, { transport, ...options });
  try {
    const session = await client.describe();
    for (const sub of session.subsessions) await client.setup(sub);
    const byes: MediaSubsession[] = [];
    client.on('bye', (s) => byes.push(s));
    const received = session.subsessions.map((sub) => collect(sub, mode));
    const res = await client.play();
    const frames = await within(Promise.all(received), 30_000, `${url} over ${transport} to end`);
    return { client, session, frames, byes, playResponse: res };
  } finally {
    await client.close();
  }
}

async function collect(sub: MediaSubsession, mode: ReadMode): Promise<RTPFrame[]> {
  const out: RTPFrame[] = [];
  const copy = (f: RTPFrame): RTPFrame => ({ ...f, data: Buffer.from(f.data) });
  if (mode === 'sink') {
    const sink = new CollectingSink();
    await sink.startPlaying(sub.source);
    return sink.frames as RTPFrame[];
  }
  if (mode === 'events') {
    await new Promise<void>((resolve) => {
      sub.on('frame', (f) => out.push(copy(f)));
      sub.on('end', resolve);
    });
    return out;
  }
  for await (const f of sub.frames()) out.push(copy(f));
  return out;
}

function hex(frames: readonly { data: Uint8Array }[]): string[] {
  return frames.map((f) => Buffer.from(f.data).toString('hex'));
}

const modes: ReadMode[] = ['iterator', 'sink', 'events'];
for (const [i, c] of CODECS.entries()) {
  test(`${c.file}: describe/setup/play over UDP and TCP, every frame as the server's framer makes it, ended by the server's BYE`, async () => {
    const want = await framerOutput(c.file);
    const mode = modes[i % modes.length]!;
    const [udp, tcp] = await Promise.all([playAll(`${fixtures.base}/${c.file}`, 'udp', mode), playAll(`${fixtures.base}/${c.file}`, 'tcp', mode)]);
    for (const [name, run] of [['udp', udp], ['tcp', tcp]] as const) {
      const sub = run.session.subsessions[0]!;
      assert.equal(run.session.subsessions.length, 1);
      assert.equal(sub.mediumName, c.medium);
      assert.equal(sub.codecName, c.codec);
      assert.equal(sub.clockRate, c.clockRate);
      if (c.channels !== undefined) assert.equal(sub.channels, c.channels);
      assert.equal(sub.controlURL, `${fixtures.base}/${c.file}/track1`);
      const got = run.frames[0]!;
      if (c.bytewise) {
        assert.equal(Buffer.compare(Buffer.concat(got.map((f) => f.data)), Buffer.concat(want)), 0, `${name}: byte stream differs`);
      } else {
        assert.equal(got.length, want.length, `${name}: frame count`);
        assert.deepEqual(hex(got), want.map((b) => b.toString('hex')), `${name}: frame bytes`);
      }
      // Timestamps advance; the server's BYE ended the stream.
      const last = got[got.length - 1]!;
      assert.ok(last.presentationTime > got[0]!.presentationTime, `${name}: presentation times advance`);
      assert.deepEqual(run.byes, [sub], `${name}: one BYE for the track`);
      const stats = sub.stats;
      assert.equal(stats.packetsLost, 0, `${name}: no loss on loopback`);
      assert.equal(stats.damagedFrames, 0);
      assert.ok(stats.packetsReceived > 0 && stats.bytesReceived > 0 && stats.bitrateKbps > 0, JSON.stringify(stats));
      assert.ok(stats.rtcpPacketsReceived >= 1, `${name}: the server's SR/BYE arrived`);
      assert.ok(sub.rtpInfo?.seq !== undefined && sub.rtpInfo.rtptime !== undefined, `${name}: RTP-Info seq/rtptime`);
    }
    assert.equal(udp.session.subsessions[0]!.stats.packetsReceived, tcp.session.subsessions[0]!.stats.packetsReceived);
  });
}

test('a two-track session (H.264 + AAC) over TCP and UDP: both set up, one aggregate PLAY, both tracks complete, a BYE for each', async () => {
  const sched = new BasicTaskScheduler();
  const srv = new RTSPServer({ scheduler: sched, port: 0, host: '127.0.0.1' });
  srv.addServerMediaSession(
    new ServerMediaSession('av')
      .addSubsession(new H264VideoFileServerMediaSubsession(fixture('test.264'), { scheduler: sched }))
      .addSubsession(new ADTSAudioFileServerMediaSubsession(fixture('test.aac'), { scheduler: sched })),
  );
  const methods: string[] = [];
  srv.on('request', (_c, m, uri) => methods.push(`${m} ${uri.replace(/^rtsp:\/\/[^/]+/, '')}`));
  await srv.listen();
  try {
    const [video, audio] = await Promise.all([framerOutput('test.264'), framerOutput('test.aac')]);
    for (const transport of ['tcp', 'udp'] as const) {
      methods.length = 0;
      const run = await playAll(`rtsp://127.0.0.1:${srv.port}/av`, transport, 'iterator');
      assert.deepEqual(run.session.subsessions.map((s) => `${s.mediumName}/${s.codecName}`), ['video/H264', 'audio/MPEG4-GENERIC']);
      assert.deepEqual(hex(run.frames[0]!), video.map((b) => b.toString('hex')));
      assert.deepEqual(hex(run.frames[1]!), audio.map((b) => b.toString('hex')));
      assert.ok(methods.includes('SETUP /av/track1') && methods.includes('SETUP /av/track2'), methods.join(', '));
      assert.equal(methods.filter((m) => m.startsWith('PLAY')).length, 1, methods.join(', '));
      if (transport === 'tcp') {
        assert.deepEqual(run.session.subsessions.map((s) => s.transport?.channels ?? null), [null, null], 'transport is gone after close');
      }
      assert.equal(run.byes.length, 2);
    }
  } finally {
    await srv.close();
    sched.close();
  }
});

test('Digest against our server (UserAuthenticationDatabase): userinfo credentials play; a wrong password rejects with 401', async () => {
  const sched = new BasicTaskScheduler();
  const db = new UserAuthenticationDatabase({ realm: 'dorsvr-test' }).addUser('alice', 's3cr:t');
  const srv = new DynamicRTSPServer({ scheduler: sched, root: join(repoRoot, 'test', 'fixtures'), port: 0, host: '127.0.0.1', authDatabase: db });
  await srv.listen();
  try {
    const good = new RTSPClient(`rtsp://alice:s3cr%3At@127.0.0.1:${srv.port}/test.aac`, { transport: 'tcp' });
    try {
      const session = await good.describe();
      assert.equal(good.authScheme, 'Digest');
      const sub = session.subsessions[0]!;
      await good.setup(sub);
      const frames = collect(sub, 'iterator');
      await good.play();
      assert.equal((await within(frames, 20_000, 'AAC frames')).length, 45);
    } finally {
      await good.close();
    }
    const bad = new RTSPClient(`rtsp://127.0.0.1:${srv.port}/test.aac`, { username: 'alice', password: 'wrong' });
    await assert.rejects(bad.describe(), (err: unknown) => err instanceof RTSPClientError && err.code === 'ERR_RTSP_STATUS' && err.status === 401);
    await bad.close();
    const none = new RTSPClient(`rtsp://127.0.0.1:${srv.port}/test.aac`);
    await assert.rejects(none.describe(), (err: unknown) => err instanceof RTSPClientError && err.status === 401 && /no credentials/.test(err.message));
    await none.close();
  } finally {
    await srv.close();
    sched.close();
  }
});

test('errors: 404 rejects with its status, a closed client rejects, close() is idempotent and frees the ports', async () => {
  const client = new RTSPClient(`${fixtures.base}/nope.264`);
  await assert.rejects(client.describe(), (err: unknown) => err instanceof RTSPClientError && err.code === 'ERR_RTSP_STATUS' && err.status === 404);
  await Promise.all([client.close(), client.close()]);
  await assert.rejects(client.options(), (err: unknown) => err instanceof RTSPClientError && err.code === 'ERR_RTSP_CLIENT_CLOSED');

  const c2 = new RTSPClient(`${fixtures.base}/test.264`, { transport: 'udp' });
  const s = await c2.describe();
  await c2.setup(s.subsessions[0]!);
  const ports = s.subsessions[0]!.transport!.clientPorts!;
  // An empty GET_PARAMETER is the keep-alive our server lists in Public.
  assert.equal((await c2.getParameter()).status, 200);
  assert.equal(c2.keepAliveMethod, 'OPTIONS', 'no OPTIONS sent yet: the safe keep-alive');
  await c2.options();
  assert.equal(c2.keepAliveMethod, 'GET_PARAMETER');
  await c2.close();
  assert.equal(s.subsessions[0]!.transport, undefined);
  // The ports are free again: we can bind them ourselves.
  const { createSocket } = await import('node:dgram');
  for (const port of [ports.rtp, ports.rtcp]) {
    const sock = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(port, () => resolve());
    });
    await new Promise<void>((r) => sock.close(() => r()));
  }
});

test('named parameters against our server: getParameter and setParameter reach its parameter hooks, unknown names get 451', async () => {
  const sched = new BasicTaskScheduler();
  const store = new Map<string, string>([['volume', '7']]);
  const srv = new DynamicRTSPServer({
    scheduler: sched,
    root: join(repoRoot, 'test', 'fixtures'),
    port: 0,
    host: '127.0.0.1',
    parameterHandler: {
      get: (name) => store.get(name),
      set: (name, value) => (name === 'volume' ? (store.set(name, value), true) : false),
    },
  });
  await srv.listen();
  const client = new RTSPClient(`rtsp://127.0.0.1:${srv.port}/test.aac`, { transport: 'tcp' });
  try {
    const session = await client.describe();
    await client.setup(session.subsessions[0]!);
    const got = await client.getParameter('volume');
    assert.equal(got.status, 200);
    assert.match(Buffer.from(got.body).toString(), /^volume:\s*7\r?\n?$/);
    assert.equal((await client.setParameter('volume', '3')).status, 200);
    assert.equal(store.get('volume'), '3');
    await assert.rejects(client.setParameter('colour', 'red'), (err: unknown) => err instanceof RTSPClientError && err.status === 451);
    await assert.rejects(client.getParameter('colour'), (err: unknown) => err instanceof RTSPClientError && err.status === 451);
  } finally {
    await client.close();
    await srv.close();
    sched.close();
  }
});
