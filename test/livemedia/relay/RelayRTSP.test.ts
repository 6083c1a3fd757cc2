// The relay behind a real RTSPServer, seen on the wire by a plain RTSP client over TCP: the SDP the
// server describes, SETUP's ssrc, and RTP-Info equal to the first interleaved packet after each PLAY.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BasicTaskScheduler } from '@dorsvr/scheduler';
import { FramedSource, parseRTPHeader, parseRTPInfoHeader, parseSDP, RelayServerMediaSession, SimpleRTPSink, type Frame } from '@dorsvr/livemedia';
import { RTSPServer } from '@dorsvr/rtspserver';
import { RawRTSPClient } from '../../rtspserver/helpers/RawRTSPClient.js';
import { H264, H264_CAMERA_SDP, b64, rtpPacket } from './relayHelpers.js';

const SDP = H264_CAMERA_SDP;

test('over RTSP: DESCRIBE passes the publisher\'s fmtp, SETUP names the reader\'s SSRC, RTP-Info equals the first packet after PLAY and after PAUSE/PLAY', async () => {
  const scheduler = new BasicTaskScheduler();
  const server = new RTSPServer({ scheduler, port: 0, host: '127.0.0.1' });
  const sms = new RelayServerMediaSession('cam', parseSDP(SDP), { scheduler });
  const track = sms.tracks[0]!;
  server.addServerMediaSession(sms);
  await server.listen();
  const c = await RawRTSPClient.connect(server.port);
  let seq = 1000;
  const push = (payload: Uint8Array, ts: number): void => track.pushRTP(rtpPacket({ seq: seq++, ts, payload, ssrc: 0xabcdef01 }));
  const frames = (): ReturnType<typeof parseRTPHeader>[] => (c.frames.get(0) ?? []).map((f) => parseRTPHeader(f.payload));
  try {
    const url = `rtsp://127.0.0.1:${server.port}/cam`;
    const d = await c.request('DESCRIBE', url, { Accept: 'application/sdp' });
    assert.equal(d.status, 200);
    assert.match(d.body, new RegExp(`a=fmtp:96 packetization-mode=1;sprop-parameter-sets=${b64(H264.sps).replace(/[+/]/g, '\\$&')},`));
    assert.match(d.body, /a=range:npt=now-/);
    const s = await c.request('SETUP', `${url}/track1`, { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1' });
    assert.equal(s.status, 200);
    const session = s.headers['session']!.split(';')[0]!;
    const ssrc = Number.parseInt(/ssrc=([0-9A-Fa-f]+)/.exec(s.headers['transport']!)![1]!, 16);
    push(H264.idr, 0); // before PLAY: not for this reader
    const p = await c.request('PLAY', url, { Session: session });
    assert.equal(p.status, 200);
    const info = parseRTPInfoHeader(p.headers['rtp-info']!)[0]!;
    await new Promise((r) => setTimeout(r, 50)); // the reader starts on the scheduler's next turn
    push(H264.p(1), 3000); // not a key frame: the reader waits
    push(H264.fuaStart, 6000);
    push(H264.fuaEnd, 6000);
    await c.waitFor(() => frames().length >= 4, 5000, 'four packets');
    const got = frames();
    assert.deepEqual(got[0]!.payload, H264.sps);
    assert.equal(got[0]!.sequenceNumber, info.seq, 'RTP-Info seq = the first packet\'s');
    assert.equal(got[0]!.timestamp, info.rtptime, 'RTP-Info rtptime = the first packet\'s');
    assert.equal(got[0]!.ssrc, ssrc, 'the SSRC SETUP announced');
    assert.deepEqual(got[2]!.payload, H264.fuaStart);

    const pause = await c.request('PAUSE', url, { Session: session });
    assert.equal(pause.status, 200);
    push(H264.p(2), 9000);
    const again = await c.request('PLAY', url, { Session: session });
    const info2 = parseRTPInfoHeader(again.headers['rtp-info']!)[0]!;
    assert.equal(info2.seq, (info.seq! + 4) & 0xffff, 'the sequence goes on after the last packet sent');
    await new Promise((r) => setTimeout(r, 50));
    push(H264.idr, 12000);
    await c.waitFor(() => frames().length >= 7, 5000, 'the packets after PLAY again');
    const after = frames().slice(4);
    assert.deepEqual(after.map((f) => [...f.payload]), [H264.sps, H264.pps, H264.idr].map((u) => [...u]));
    assert.equal(after[0]!.sequenceNumber, info2.seq);
    assert.equal(after[0]!.timestamp, info2.rtptime);

    const t = await c.request('TEARDOWN', url, { Session: session });
    assert.equal(t.status, 200);
    push(H264.p(3), 15000);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(frames().length, 7, 'nothing after TEARDOWN');
    assert.equal(track.readers.length, 0);
  } finally {
    c.close();
    await server.close();
    scheduler.close();
  }
});

test('a relay whose sources have ended answers DESCRIBE 404 as its SETUP does (not a 200 with tracks nobody can set up)', async () => {
  const scheduler = new BasicTaskScheduler();
  const server = new RTSPServer({ scheduler, port: 0, host: '127.0.0.1' });
  /**
   * 20 ms frames of L16 silence until `ending` is set (at most 10 s of them), then the end: the
   * source must still play at the first DESCRIBE, however slow the machine (three frames, 60 ms,
   * were over before it under load).
   */
  class Short extends FramedSource {
    #n = 0;
    ending = false;
    protected readFrame(): Frame | null {
      return !this.ending && this.#n < 500 ? { data: new Uint8Array(320), presentationTime: this.#n++ * 20_000, duration: 20_000 } : null;
    }
  }
  const source = new Short();
  const sms = RelayServerMediaSession.fromSources(
    'short',
    [{ source, createSink: (rtpInterface) => new SimpleRTPSink({ rtpInterface, scheduler, payloadType: 96, sdpMediaType: 'audio', rtpTimestampFrequency: 8000, rtpPayloadFormatName: 'L16' }) }],
    { scheduler },
  );
  server.addServerMediaSession(sms);
  await server.listen();
  const c = await RawRTSPClient.connect(server.port);
  try {
    const url = `rtsp://127.0.0.1:${server.port}/short`;
    const live = await c.request('DESCRIBE', url, { Accept: 'application/sdp' });
    assert.equal(live.status, 200, 'described while its source plays');
    source.ending = true;
    await c.waitFor(() => sms.ended, 5000, 'the source to end');
    const d = await c.request('DESCRIBE', url, { Accept: 'application/sdp' });
    assert.equal(d.status, 404, 'an ended relay is not described');
    const s = await c.request('SETUP', `${url}/track1`, { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1' });
    assert.equal(s.status, 404, 'nor set up');
  } finally {
    c.close();
    sms.close();
    await server.close();
    scheduler.close();
  }
});
