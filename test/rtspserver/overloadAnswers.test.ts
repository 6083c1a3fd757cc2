// A server whose streams all fall far behind (its process starved of CPU for over a second, here
// by a synchronous busy loop) must still answer a request on another connection after a bounded
// amount of catching up — not after every session has caught up — and every session must still
// get every packet, in order. Counted in RTP packets sent (deterministic), not in milliseconds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OnDemandServerMediaSubsession, ServerMediaSession, SimpleRTPSink, type FramedSource, type RTPInterfaceLike, type RTPSinkLike } from '@dorsvr/livemedia';
import { RTSPServer } from '@dorsvr/rtspserver';
import { BasicTaskScheduler } from '@dorsvr/scheduler';
import { RawRTSPClient } from './helpers/RawRTSPClient.js';
import { NumberedClip } from '../livemedia/server/helpers.js';

const FRAMES = 2500; // 2.5 s at 1000 frames a second, one RTP packet each
let sent = 0;

class FastClip extends OnDemandServerMediaSubsession {
  protected override async createNewStreamSource(): Promise<FramedSource> {
    return new NumberedClip(FRAMES, 1000, 188);
  }
  protected override createNewRTPSink(rtpInterface: RTPInterfaceLike, payloadType: number): RTPSinkLike {
    return new SimpleRTPSink({
      scheduler: this.scheduler,
      rtpInterface: {
        send(chunks) {
          sent++;
          return rtpInterface.send(chunks);
        },
      },
      payloadType,
      sdpMediaType: 'video',
      rtpTimestampFrequency: 90000,
      rtpPayloadFormatName: 'X-NUMBERED',
      maxPacketSize: 200, // one frame per packet
    });
  }
}

test('30 sessions 1.2 s behind: OPTIONS on another connection is answered after a bounded number of packets, and every session gets every packet in order', async () => {
  const N = 30;
  const scheduler = new BasicTaskScheduler();
  const server = new RTSPServer({ scheduler, port: 0, host: '127.0.0.1' });
  server.addServerMediaSession(new ServerMediaSession('fast').addSubsession(new FastClip({ scheduler })));
  await server.listen();
  const url = `rtsp://127.0.0.1:${server.port}/fast`;
  const players: RawRTSPClient[] = [];
  const probe = await RawRTSPClient.connect(server.port);
  try {
    for (let i = 0; i < N; i++) {
      const c = await RawRTSPClient.connect(server.port);
      players.push(c);
      const s = await c.request('SETUP', `${url}/track1`, { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1' });
      assert.equal(s.status, 200);
      const p = await c.request('PLAY', `${url}/`, { Session: s.headers['session']!.split(';')[0]! });
      assert.equal(p.status, 200);
    }
    // Starve the process from the check phase: the next turn's timers (the scheduler's) run
    // before its poll reads the probe's request.
    const atBlockEnd = await new Promise<number>((r) =>
      setImmediate(() => {
        probe.write('OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\n');
        const until = performance.now() + 1200;
        while (performance.now() < until);
        r(sent);
      }),
    );
    const answer = await probe.response(20_000);
    const beforeAnswer = sent - atBlockEnd;
    assert.equal(answer.status, 200);
    // Before the fix every session caught up ~1000 frames first (~30 000 packets).
    assert.ok(beforeAnswer <= 3000, `${beforeAnswer} RTP packets were sent after the stall before OPTIONS was answered`);

    for (const [i, c] of players.entries()) {
      await c.waitFor(() => c.frameCount(0) >= FRAMES, 30_000, `session ${i}'s ${FRAMES} packets`);
      const got = (c.frames.get(0) ?? []).map((f) => new DataView(f.payload.buffer, f.payload.byteOffset + 12, 4).getUint32(0));
      assert.equal(got.length, FRAMES);
      for (let k = 0; k < FRAMES; k++) if (got[k] !== k) assert.fail(`session ${i}: packet ${k} carries frame ${got[k]}`);
    }
  } finally {
    probe.close();
    for (const c of players) c.close();
    await server.close();
    scheduler.close();
  }
});
