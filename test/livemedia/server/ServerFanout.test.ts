// ServerFanout.send says whether Node still holds a packet's bytes (a queued UDP send); the RTP
// sinks reuse header buffers and file chunks on its word. That word is only right when the socket
// hands a datagram to the kernel inside send(), which the server's sockets do (groupsock's
// literalLookup); with Node's default lookup every send waits for the next tick.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { bindServerPortPair, ServerFanout } from '@dorsvr/livemedia';

const COUNT = 40;

/** Sends COUNT packets through `socket`, zeroing each one's bytes as soon as send() says it is free; returns what arrived. */
async function sendAndScribble(socket: Socket): Promise<Buffer[]> {
  const rx = createSocket('udp4');
  await new Promise<void>((r) => rx.bind(0, '127.0.0.1', r));
  const got: Buffer[] = [];
  const all = new Promise<void>((resolve) => {
    rx.on('message', (m) => {
      got.push(m);
      if (got.length === COUNT) resolve();
    });
  });
  const fanout = new ServerFanout(socket);
  fanout.addDestination({ kind: 'udp', address: '127.0.0.1', port: rx.address().port });
  const header = new Uint8Array(12);
  const payload = new Uint8Array(200);
  for (let i = 0; i < COUNT; i++) {
    header.fill(0x80);
    payload.fill(i + 1);
    const held = fanout.send([header, payload]);
    // What a sink does with a buffer that was not held: writes the next packet into it.
    if (!held) {
      header.fill(0);
      payload.fill(0);
    }
  }
  const timeout = new Promise<void>((r) => setTimeout(r, 2000).unref());
  await Promise.race([all, timeout]);
  fanout.close();
  rx.close();
  return got;
}

test('the server’s UDP sockets send inside send(): a buffer it says is free can be rewritten at once', async () => {
  const { rtp, rtcp } = await bindServerPortPair('udp4', 46_000);
  try {
    const got = await sendAndScribble(rtp);
    assert.equal(got.length, COUNT);
    const firsts = got.map((m) => m[12]).sort((a, b) => a! - b!);
    assert.deepEqual(firsts, Array.from({ length: COUNT }, (_, i) => i + 1), 'every packet went out with its own bytes');
    for (const m of got) {
      assert.equal(m.length, 212);
      assert.equal(m[0], 0x80);
      assert.ok(m.subarray(12).every((b) => b === m[12]));
    }
  } finally {
    rtp.close();
    rtcp.close();
  }
});

test('with Node’s default lookup the same sends go out a tick later, with the rewritten bytes (why the server does not use it)', async () => {
  const plain = createSocket('udp4');
  await new Promise<void>((r) => plain.bind(0, '127.0.0.1', r));
  try {
    const got = await sendAndScribble(plain);
    assert.equal(got.length, COUNT);
    assert.ok(got.every((m) => m[0] === 0 && m[12] === 0), 'deferred sends carried the bytes as they were after send() returned');
  } finally {
    plain.close();
  }
});
