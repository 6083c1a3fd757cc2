// A publisher that puts an AUD and an SEI before each key frame (as cameras and x264 do): a reader
// whose PLAY reaches the server between that SEI and the key frame's slice still starts with them
// (the relay keeps them whether or not anyone waits yet), the AUD first. Raw publisher and reader
// over interleaved TCP on loopback, through the server's publish path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BasicTaskScheduler } from '@dorsvr/scheduler';
import { RTSPServer } from '@dorsvr/rtspserver';
import { RawRTSPClient } from './helpers/RawRTSPClient.js';
import { H264, H264_CAMERA_SDP, rtpPacket } from '../livemedia/relay/relayHelpers.js';

const SDP = H264_CAMERA_SDP;

const AUD = Uint8Array.from([0x09, 0x10]);
/** An SEI of unregistered user data (payload type 5): a 16-byte UUID and "dorsvr". */
const SEI = Uint8Array.from([0x06, 0x05, 22, ...Array.from({ length: 16 }, (_, i) => i), ...Buffer.from('dorsvr'), 0x80]);
const hex = (u: Uint8Array): string => Buffer.from(u).toString('hex');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test("a reader that plays after a key frame's AUD and SEI reached the server, before its slice, gets AUD, SPS, PPS, SEI, then the IDR", async () => {
  const scheduler = new BasicTaskScheduler();
  const server = new RTSPServer({ scheduler, port: 0, host: '127.0.0.1', publish: true });
  await server.listen();
  const url = `rtsp://127.0.0.1:${server.port}/cam`;
  const pub = await RawRTSPClient.connect(server.port);
  const reader = await RawRTSPClient.connect(server.port);
  try {
    assert.equal((await pub.request('ANNOUNCE', url, { 'Content-Type': 'application/sdp' }, SDP)).status, 200);
    const s = await pub.request('SETUP', `${url}/streamid=0`, { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1;mode=record' });
    assert.equal(s.status, 200);
    const session = s.headers.session!.split(';')[0]!;
    assert.equal((await pub.request('RECORD', url, { Session: session })).status, 200);
    let seq = 1;
    const send = (payload: Uint8Array, ts: number): void => {
      const p = rtpPacket({ seq: seq++, ts, payload, ssrc: 0x5e1 });
      pub.write(Buffer.concat([Buffer.from([0x24, 0, p.length >> 8, p.length & 0xff]), p]));
    };
    // A first access unit (key frame and all) with nobody reading, then the next one's AUD and SEI.
    send(AUD, 3000);
    send(SEI, 3000);
    send(H264.idr, 3000);
    send(AUD, 6000);
    send(H264.p(1), 6000);
    send(AUD, 9000);
    send(SEI, 9000);
    await sleep(100); // they reached the relay
    const rs = await reader.request('SETUP', `${url}/track1`, { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1' });
    assert.equal(rs.status, 200);
    assert.equal((await reader.request('PLAY', url, { Session: rs.headers.session!.split(';')[0]! })).status, 200);
    await sleep(100); // the reader is waiting for a key frame
    send(H264.idr, 9000);
    send(AUD, 12000);
    send(H264.p(2), 12000);
    const got = (): string[] => (reader.frames.get(0) ?? []).map((f) => hex(f.payload.subarray(12)));
    await reader.waitFor(() => got().length >= 7, 5000, 'the key frame and the next access unit');
    assert.deepEqual(got(), [AUD, H264.sps, H264.pps, SEI, H264.idr, AUD, H264.p(2)].map(hex));
  } finally {
    pub.close();
    reader.close();
    await server.close();
    scheduler.close();
  }
});
