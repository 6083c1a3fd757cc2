// A publisher's PAUSE during RECORD (RFC 2326 §10.6: "playback and recording … halted"; GStreamer's
// RTSP server pauses a recording media too): its packets are not relayed until RECORD resumes;
// readers keep their sessions; the paused publisher's session lives on its keep-alives (the
// silence timeout still ends one that sends nothing). Raw publisher and reader over TCP here (the
// publisher goes on sending while paused, as a misbehaving one would); GStreamer's rtspclientsink,
// which sends PAUSE when its pipeline pauses, in publishPauseGStreamer.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BasicTaskScheduler } from '@dorsvr/scheduler';
import { parseRTPHeader } from '@dorsvr/livemedia';
import { RTSPServer, type PublishedStream, type PublishedStreamStats } from '@dorsvr/rtspserver';
import { RawRTSPClient } from './helpers/RawRTSPClient.js';
import { H264, H264_CAMERA_SDP, rtpPacket } from '../livemedia/relay/relayHelpers.js';

const SDP = H264_CAMERA_SDP;

/** `$`-frame on channel 0. */
function interleaved(payload: Uint8Array): Buffer {
  const h = Buffer.from([0x24, 0, payload.length >> 8, payload.length & 0xff]);
  return Buffer.concat([h, payload]);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function setUp(reclamationSeconds = 65) {
  const scheduler = new BasicTaskScheduler();
  const server = new RTSPServer({ scheduler, port: 0, host: '127.0.0.1', publish: true, reclamationSeconds });
  await server.listen();
  const url = `rtsp://127.0.0.1:${server.port}/cam`;
  const pub = await RawRTSPClient.connect(server.port);
  assert.equal((await pub.request('ANNOUNCE', url, { 'Content-Type': 'application/sdp' }, SDP)).status, 200);
  const s = await pub.request('SETUP', `${url}/streamid=0`, { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1;mode=record' });
  assert.equal(s.status, 200);
  const session = s.headers.session!.split(';')[0]!;
  // PAUSE before RECORD: not recording, nothing to pause.
  assert.equal((await pub.request('PAUSE', url, { Session: session })).status, 455);
  assert.equal((await pub.request('RECORD', url, { Session: session, Range: 'npt=0.000-' })).status, 200);
  const reader = await RawRTSPClient.connect(server.port);
  const rs = await reader.request('SETUP', `${url}/track1`, { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1' });
  assert.equal(rs.status, 200);
  const readerSession = rs.headers.session!.split(';')[0]!;
  assert.equal((await reader.request('PLAY', url, { Session: readerSession })).status, 200);
  await sleep(50); // the reader starts on the scheduler's next turn
  let seq = 100;
  let ts = 0;
  /** One access unit: an IDR (SPS/PPS first for a reader that starts) or a P slice. */
  const send = (key: boolean): void => {
    ts += 3000;
    pub.write(interleaved(rtpPacket({ seq: seq++, ts, payload: key ? H264.idr : H264.p(seq), ssrc: 0x1234 })));
  };
  const received = (): number[] => (reader.frames.get(0) ?? []).map((f) => parseRTPHeader(f.payload).timestamp);
  const close = async (): Promise<void> => {
    pub.close();
    reader.close();
    await server.close();
    scheduler.close();
  };
  return { server, url, pub, session, reader, readerSession, send, received, close, stream: (): PublishedStream | undefined => server.publishing!.streams.get('cam') };
}

test("a publisher's PAUSE halts the relay until RECORD: packets sent meanwhile reach no reader, the reader keeps its session, RECORD resumes at the next key frame", async () => {
  const t = await setUp();
  try {
    const pauses: string[] = [];
    t.server.on('pause', (s) => pauses.push(s.id));
    t.send(true);
    t.send(false);
    await t.reader.waitFor(() => t.received().length >= 4, 5000, 'SPS, PPS, IDR, P before the pause');
    const p = await t.pub.request('PAUSE', t.url, { Session: t.session });
    assert.equal(p.status, 200);
    assert.match(p.headers.session ?? '', new RegExp(`^${t.session}`));
    assert.deepEqual(pauses, [t.session]);
    assert.equal(t.stream()?.paused, true);
    const before = t.received().length;
    for (let i = 0; i < 5; i++) t.send(i === 0);
    await sleep(300);
    assert.equal(t.received().length, before, 'packets of a paused publisher were relayed');
    assert.equal(t.stream()?.inputs[0]?.stats.whilePaused, 5);
    // The reader's session is untouched, and a keep-alive of the publisher is answered in its session.
    assert.ok(t.server.clientSessions.has(t.readerSession));
    assert.equal((await t.reader.request('GET_PARAMETER', t.url, { Session: t.readerSession })).status, 200);
    assert.equal((await t.pub.request('GET_PARAMETER', t.url, { Session: t.session })).status, 200);
    // The paused publisher may ANNOUNCE again (rtspclientsink does before it resumes): the same
    // tracks are taken, other ones are refused; the stream and the reader's session go on.
    const other = SDP.replace('m=video 0 RTP/AVP 96', 'm=audio 0 RTP/AVP 97').replace('a=rtpmap:96 H264/90000', 'a=rtpmap:97 L16/8000/1');
    assert.equal((await t.pub.request('ANNOUNCE', t.url, { 'Content-Type': 'application/sdp' }, other)).status, 455);
    assert.equal((await t.pub.request('ANNOUNCE', t.url, { 'Content-Type': 'application/sdp' }, SDP)).status, 200);
    assert.equal(t.stream()?.paused, true);
    // Someone else's ANNOUNCE of the path is still refused (busy).
    const intruder = await RawRTSPClient.connect(t.server.port);
    assert.equal((await intruder.request('ANNOUNCE', t.url, { 'Content-Type': 'application/sdp' }, SDP)).status, 453);
    intruder.close();
    // A track URL that names no track of the stream.
    assert.equal((await t.pub.request('PAUSE', `${t.url}/streamid=7`, { Session: t.session })).status, 404);
    // RECORD resumes; packets were dropped meanwhile, so the reader waits for the next key frame.
    assert.equal((await t.pub.request('RECORD', t.url, { Session: t.session })).status, 200);
    assert.equal(t.stream()?.paused, false);
    t.send(false);
    await sleep(200);
    assert.equal(t.received().length, before, 'a P slice right after the resume (its references were dropped)');
    t.send(true);
    await t.reader.waitFor(() => t.received().length >= before + 3, 5000, 'SPS, PPS and the IDR after RECORD');
    t.send(false);
    await t.reader.waitFor(() => t.received().length >= before + 4, 5000, 'the P slice after it');
  } finally {
    await t.close();
  }
});

test('a paused publisher lives as long as it sends keep-alives, and one that sends nothing is ended by the session timeout', async () => {
  const t = await setUp(1); // sessions reclaimed after 1 s of silence (+10 %)
  try {
    const ended: string[] = [];
    t.server.on('unpublish', (s, reason) => ended.push(`${s.path}:${reason}`));
    assert.equal((await t.pub.request('PAUSE', t.url, { Session: t.session })).status, 200);
    for (let i = 0; i < 6; i++) {
      await sleep(400);
      assert.equal((await t.pub.request('OPTIONS', t.url, { Session: t.session })).status, 200, `keep-alive ${i}`);
      // The reader keeps its own session alive too.
      assert.equal((await t.reader.request('GET_PARAMETER', t.url, { Session: t.readerSession })).status, 200);
    }
    assert.deepEqual(ended, [], '2.4 s paused with keep-alives every 0.4 s');
    assert.equal(t.stream()?.ended, false);
    // Silent from now on: the timeout ends it.
    await sleep(1800);
    assert.deepEqual(ended, ['cam:timeout']);
  } finally {
    await t.close();
  }
});

test("a publisher's PAUSE of one track's URL halts that track only; RECORD of that URL resumes it", async () => {
  const scheduler = new BasicTaskScheduler();
  const server = new RTSPServer({ scheduler, port: 0, host: '127.0.0.1', publish: true });
  await server.listen();
  const url = `rtsp://127.0.0.1:${server.port}/two`;
  const sdp = `${SDP}m=audio 0 RTP/AVP 97\r\na=rtpmap:97 L16/8000/1\r\na=control:streamid=1\r\n`;
  const pub = await RawRTSPClient.connect(server.port);
  const reader = await RawRTSPClient.connect(server.port);
  try {
    assert.equal((await pub.request('ANNOUNCE', url, { 'Content-Type': 'application/sdp' }, sdp)).status, 200);
    const s = await pub.request('SETUP', `${url}/streamid=0`, { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1;mode=record' });
    const session = s.headers.session!.split(';')[0]!;
    assert.equal((await pub.request('SETUP', `${url}/streamid=1`, { Transport: 'RTP/AVP/TCP;unicast;interleaved=2-3;mode=record', Session: session })).status, 200);
    assert.equal((await pub.request('RECORD', url, { Session: session })).status, 200);
    const rv = await reader.request('SETUP', `${url}/track1`, { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1' });
    const rs = rv.headers.session!.split(';')[0]!;
    assert.equal((await reader.request('SETUP', `${url}/track2`, { Transport: 'RTP/AVP/TCP;unicast;interleaved=2-3', Session: rs })).status, 200);
    assert.equal((await reader.request('PLAY', url, { Session: rs })).status, 200);
    await sleep(50);
    let vseq = 1;
    let aseq = 1;
    const video = (): void => pub.write(interleaved(rtpPacket({ seq: vseq++, ts: vseq * 3000, payload: H264.idr, ssrc: 1 })));
    const audio = (): void => {
      const p = rtpPacket({ seq: aseq++, ts: aseq * 160, payload: new Uint8Array(320), pt: 97, ssrc: 2 });
      pub.write(Buffer.concat([Buffer.from([0x24, 2, p.length >> 8, p.length & 0xff]), p]));
    };
    const count = (ch: number): number => reader.frames.get(ch)?.length ?? 0;
    video();
    audio();
    await reader.waitFor(() => count(0) >= 3 && count(2) >= 1, 5000, 'both tracks before the pause');
    assert.equal((await pub.request('PAUSE', `${url}/streamid=1`, { Session: session })).status, 200);
    const [v0, a0] = [count(0), count(2)];
    video();
    audio();
    audio();
    await reader.waitFor(() => count(0) > v0, 5000, 'video while the audio is paused');
    await sleep(200);
    assert.equal(count(2), a0, 'audio packets relayed while its track was paused');
    assert.equal(server.publishing!.streams.get('two')?.paused, false, 'one track paused is not the stream paused');
    assert.equal((await pub.request('RECORD', `${url}/streamid=1`, { Session: session })).status, 200);
    audio();
    await reader.waitFor(() => count(2) > a0, 5000, 'audio after its RECORD');
  } finally {
    pub.close();
    reader.close();
    await server.close();
    scheduler.close();
  }
});

test("a publisher's totals count the packets dropped while it was paused (whilePaused), and a track SET UP again keeps counting: the unpublish figures and the server's totals never go back", async () => {
  const t = await setUp();
  try {
    let final: PublishedStreamStats | undefined;
    t.server.on('unpublish', (_s, _reason, stats) => (final = stats));
    const stats = (): PublishedStreamStats => t.stream()!.stats();
    const until = async (what: string, ok: () => boolean): Promise<void> => {
      for (let i = 0; i < 250 && !ok(); i++) await sleep(20);
      assert.ok(ok(), `${what}: ${JSON.stringify(stats())}`);
    };
    for (const key of [true, false, false]) t.send(key);
    await until('3 packets relayed', () => stats().rtpPackets === 3);
    assert.equal((await t.pub.request('PAUSE', t.url, { Session: t.session })).status, 200);
    for (let i = 0; i < 4; i++) t.send(false);
    await until('4 dropped while paused', () => stats().whilePaused === 4);
    assert.equal(t.server.stats().totals.packetsReceived, 3);
    // rtspclientsink sets its tracks up again before it resumes: a new input for the track.
    const again = await t.pub.request('SETUP', `${t.url}/streamid=0`, { Session: t.session, Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1;mode=record' });
    assert.equal(again.status, 200);
    assert.deepEqual({ rtpPackets: stats().rtpPackets, whilePaused: stats().whilePaused }, { rtpPackets: 3, whilePaused: 4 }, 'the counts of the track before its second SETUP');
    assert.equal(t.server.stats().totals.packetsReceived, 3, 'the server total (a Prometheus counter) did not go back');
    // The answer names the channels of the new input (0-1 were still taken when it was made).
    const channel = Number(/interleaved=(\d+)/.exec(again.headers.transport ?? '')?.[1]);
    assert.ok(Number.isInteger(channel), again.headers.transport);
    let seq = 1000;
    const sendOn = (key: boolean): void => {
      const payload = rtpPacket({ seq: seq++, ts: seq * 3000, payload: key ? H264.idr : H264.p(seq), ssrc: 0x1234 });
      t.pub.write(Buffer.concat([Buffer.from([0x24, channel, payload.length >> 8, payload.length & 0xff]), payload]));
    };
    sendOn(false);
    sendOn(false);
    await until('6 dropped while paused', () => stats().whilePaused === 6);
    assert.equal((await t.pub.request('RECORD', t.url, { Session: t.session })).status, 200);
    sendOn(true);
    sendOn(false);
    await until('5 relayed', () => stats().rtpPackets === 5);
    assert.equal(t.server.stats().publishedStreams[0]?.tracks[0]?.packets, 5);
    assert.equal((await t.pub.request('TEARDOWN', t.url, { Session: t.session })).status, 200);
    assert.ok(final, 'unpublished');
    assert.equal(final.rtpPackets, 5);
    assert.equal(final.whilePaused, 6);
    assert.equal(t.server.stats().totals.packetsReceived, 5);
  } finally {
    await t.close();
  }
});
