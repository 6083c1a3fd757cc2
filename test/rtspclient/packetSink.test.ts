// MediaSubsession.packetSink: the raw RTP and RTCP packets of a stream, as they arrive, instead of
// frames (what the proxy feeds its relay with) — against our server over UDP and TCP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BasicTaskScheduler } from '@dorsvr/scheduler';
import { parseRTCP, parseRTPHeader } from '@dorsvr/livemedia';
import { RTSPClient } from '@dorsvr/rtspclient';
import { useFixtureServer } from '../rtspserver/helpers/fixtureServer.js';
import { waitFor } from './proxyHelpers.js';

const fixtures = useFixtureServer();

for (const transport of ['udp', 'tcp'] as const) {
  test(`packetSink over ${transport.toUpperCase()}: every RTP packet the server sent, in order; its RTCP (SRs, then BYE); nothing depacketized`, async () => {
    const scheduler = new BasicTaskScheduler();
    const sent = new Promise<number>((resolve) => fixtures.server.once('sessionClosed', (_s, _why, stats) => resolve(stats.packets)));
    const client = new RTSPClient(`${fixtures.base}/test.264`, { scheduler, transport });
    try {
      const session = await client.describe();
      const sub = session.subsessions[0]!;
      const rtp: Uint8Array[] = [];
      const rtcpTypes: string[] = [];
      sub.packetSink = { rtp: (p) => rtp.push(p), rtcp: (p) => rtcpTypes.push(...parseRTCP(p).map((x) => String(x.type))) };
      await client.setup(sub);
      await client.play();
      await waitFor(() => rtcpTypes.includes('bye'), 15_000, 'the server\'s BYE');
      // sendRTCP sends on the stream's RTCP channel while it is set up (an empty RR of our own).
      const rr = Uint8Array.from([0x80, 201, 0, 1, 0, 0, 0, 42]);
      assert.equal(sub.sendRTCP(rr), true);
      await client.close();
      const seqs = rtp.map((p) => parseRTPHeader(p).sequenceNumber);
      assert.equal(rtp.length, await sent, 'every packet the server sent');
      for (let i = 1; i < seqs.length; i++) assert.equal(seqs[i], (seqs[i - 1]! + 1) & 0xffff, `packet ${i} in order`);
      assert.ok(rtp.every((p) => parseRTPHeader(p).payloadType === 96));
      assert.ok(rtcpTypes.includes('sr'), 'a sender report');
      assert.equal(sub.stats.framesReceived, 0, 'nothing depacketized');
      assert.equal(sub.stats.packetsReceived, rtp.length);
      assert.equal(sub.sendRTCP(rr), false, 'not set up any more');
    } finally {
      await client.close();
      scheduler.close();
    }
  });
}
