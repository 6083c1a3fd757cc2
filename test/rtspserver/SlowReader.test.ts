// A TCP player that stops reading must not stall the others: its bounded send queue drops its
// packets, and after many drops in a row the server disconnects it. Real sockets on loopback.
// The reading client shares this process's event loop with the server: its queue and the clip's
// pace leave it room to keep up on a loaded machine, while the stalled one still overflows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BasicTaskScheduler } from '@dorsvr/scheduler';
import { OnDemandServerMediaSubsession, ServerMediaSession, parseRTPHeader, type FramedSource, type RTPSinkLike } from '@dorsvr/livemedia';
import { RTSPServer, type SessionCloseReason } from '@dorsvr/rtspserver';
import { RawRTSPClient } from './helpers/RawRTSPClient.js';
import { NumberedClip, PacedTestRTPSink, type Sender } from '../livemedia/server/helpers.js';

const FRAMES = 10000;

class BigClipSubsession extends OnDemandServerMediaSubsession {
  protected override async createNewStreamSource(): Promise<FramedSource> {
    return new NumberedClip(FRAMES, 1000, 1400); // 14 MB in 10 s
  }
  protected override createNewRTPSink(rtpInterface: object, payloadType: number): RTPSinkLike {
    return new PacedTestRTPSink(this.scheduler, rtpInterface as Sender, payloadType);
  }
}

test('a TCP reader that stops reading is dropped, then disconnected; a reader on the same shared stream gets every packet', async () => {
  const scheduler = new BasicTaskScheduler();
  const server = new RTSPServer({ scheduler, port: 0, host: '127.0.0.1' }); // the default send queue (256 KiB)
  server.addServerMediaSession(new ServerMediaSession('big').addSubsession(new BigClipSubsession({ scheduler, reuseFirstSource: true })));
  await server.listen();
  const closed: SessionCloseReason[] = [];
  server.on('sessionClosed', (_s, reason) => closed.push(reason));
  const slow = await RawRTSPClient.connect(server.port);
  const fast = await RawRTSPClient.connect(server.port);
  try {
    const url = `rtsp://127.0.0.1:${server.port}/big`;
    const ss = await slow.request('SETUP', `${url}/track1`, { Transport: 'RTP/AVP/TCP;unicast' });
    const sf = await fast.request('SETUP', `${url}/track1`, { Transport: 'RTP/AVP/TCP;unicast' });
    // The fast reader's PLAY starts the shared stream; the slow one joins it and stops reading.
    assert.equal((await fast.request('PLAY', `${url}/`, { Session: sf.headers['session']!.split(';')[0]! })).status, 200);
    assert.equal((await slow.request('PLAY', `${url}/`, { Session: ss.headers['session']!.split(';')[0]! })).status, 200);
    slow.socket.pause(); // stops reading: the kernel buffers fill, then our queue
    // From its first packet on the fast reader must get every one to the end.
    const frameNo = (f: { payload: Uint8Array }): number => new DataView(f.payload.buffer, f.payload.byteOffset + 12, 4).getUint32(0);
    const got = (): Array<{ payload: Uint8Array }> => fast.frames.get(0) ?? [];
    await fast.waitFor(() => got().length > 0 && frameNo(got()[got().length - 1]!) === FRAMES - 1 && closed.length > 0, 20_000, 'the fast reader to get the last frame');
    const frames = got();
    const first = frameNo(frames[0]!);
    assert.ok(first < FRAMES / 10, `the fast reader joined late (first frame ${first})`);
    assert.equal(frames.length, FRAMES - first, 'every frame from the first one received to the last');
    for (let i = 1; i < frames.length; i++) {
      assert.equal(frameNo(frames[i]!), first + i, `frame gap at ${i}`);
      assert.equal(parseRTPHeader(frames[i]!.payload).sequenceNumber, (parseRTPHeader(frames[i - 1]!.payload).sequenceNumber + 1) & 0xffff, `sequence gap at ${i}`);
    }
    // The slow one's session ended with its connection, which the server closed.
    assert.deepEqual(closed, ['connection-closed']);
    assert.equal(server.connectionCount, 1, 'only the fast reader is still connected');
  } finally {
    slow.close();
    fast.close();
    await server.close();
    scheduler.close();
  }
});
