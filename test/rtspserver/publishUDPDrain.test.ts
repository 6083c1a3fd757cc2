// A UDP publisher's last packets can still wait in the server's socket when its TEARDOWN is read:
// a server that was busy reads each UDP socket a batch (libuv: 32 datagrams) per event-loop turn,
// and the RTSP connection may be read first. They are relayed before the stream ends (seen with
// GStreamer's rtspclientsink under load: a reader got 27 frames of 50).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as dgram from 'node:dgram';
import { RTSPServer } from '@dorsvr/rtspserver';
import { RawRTSPClient } from './helpers/RawRTSPClient.js';
import { rtpPacket } from '../livemedia/relay/relayHelpers.js';

const SDP = ['v=0', 'o=- 0 0 IN IP4 127.0.0.1', 's=pub', 't=0 0', 'm=audio 0 RTP/AVP 97', 'a=rtpmap:97 L16/8000/1', 'a=control:streamid=0', ''].join('\r\n');
const PACKETS = 100;

test("a UDP publisher's packets still queued when its TEARDOWN is read are taken (and counted) before the stream ends", async () => {
  const server = new RTSPServer({ port: 0, host: '127.0.0.1', publish: true });
  await server.listen();
  const pub = await RawRTSPClient.connect(server.port);
  const udp = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', () => resolve()));
  try {
    const url = `rtsp://127.0.0.1:${server.port}/live`;
    assert.equal((await pub.request('ANNOUNCE', url, { 'Content-Type': 'application/sdp' }, SDP)).status, 200);
    const port = udp.address().port;
    const s = await pub.request('SETUP', `${url}/streamid=0`, { Transport: `RTP/AVP;unicast;client_port=${port}-${port + 1};mode=record` });
    assert.equal(s.status, 200);
    const session = s.headers.session!.split(';')[0]!;
    const serverRTP = Number(/server_port=(\d+)/.exec(s.headers.transport ?? '')?.[1]);
    assert.equal((await pub.request('RECORD', url, { Session: session, Range: 'npt=0.000-' })).status, 200);
    const ended = new Promise<{ reason: string; packets: number }>((resolve) =>
      server.on('unpublish', (_stream, reason, stats) => resolve({ reason, packets: stats.rtpPackets })),
    );
    // The TEARDOWN, then the packets (sent from this turn's end), all in the kernel before the
    // server's next turn: it finds its connection and its UDP socket readable together.
    pub.socket.write(`TEARDOWN ${url} RTSP/1.0\r\nCSeq: 100\r\nSession: ${session}\r\n\r\n`);
    for (let i = 0; i < PACKETS; i++) udp.send(rtpPacket({ seq: i, ts: i * 160, pt: 97, payload: new Uint8Array(20), ssrc: 0x1234 }), serverRTP, '127.0.0.1');
    assert.deepEqual(await ended, { reason: 'teardown', packets: PACKETS });
  } finally {
    udp.close();
    pub.close();
    await server.close();
  }
});
