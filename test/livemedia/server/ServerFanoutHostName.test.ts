// A UDP destination given as a host name: Node resolves it before sending, so send() returns with
// the packet's bytes still held. ServerFanout must say so (an RTP sink then leaves its packet buffer
// alone): each packet must arrive with its own bytes, not the ones written after it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { bindServerPortPair, ServerFanout } from '@dorsvr/livemedia';

test('a host-name destination gets every packet with its own bytes, though the sender rewrites a buffer send() said was free', async () => {
  const COUNT = 20;
  const { rtp, rtcp } = await bindServerPortPair('udp4', 46_500);
  const rx = createSocket('udp4');
  await new Promise<void>((r) => rx.bind(0, '127.0.0.1', r));
  const fanout = new ServerFanout(rtp);
  try {
    const got: Buffer[] = [];
    const all = new Promise<void>((resolve) => {
      rx.on('message', (m) => {
        got.push(m);
        if (got.length === COUNT) resolve();
      });
    });
    fanout.addDestination({ kind: 'udp', address: 'localhost', port: rx.address().port });
    let packet = new Uint8Array(100);
    for (let i = 0; i < COUNT; i++) {
      packet.fill(i + 1);
      // What an RTP sink does: the next packet goes into the same buffer unless send() held it.
      if (fanout.send([packet])) packet = new Uint8Array(100);
    }
    await Promise.race([all, new Promise<void>((r) => setTimeout(r, 5000).unref())]);
    assert.equal(got.length, COUNT, `${got.length} of ${COUNT} packets arrived (localhost must resolve to 127.0.0.1 here)`);
    const firsts = got.map((m) => m[0]!).sort((a, b) => a - b);
    assert.deepEqual(firsts, Array.from({ length: COUNT }, (_, i) => i + 1), 'every packet went out with its own bytes');
  } finally {
    fanout.close();
    rx.close();
    rtp.close();
    rtcp.close();
  }
});
