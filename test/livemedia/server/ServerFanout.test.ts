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

test('connectSoleDestination: the socket is connected to a sole UDP destination, and disconnected while there are more; every destination gets every packet', async () => {
  const { rtp, rtcp } = await bindServerPortPair('udp4', 46_100);
  rtp.on('error', () => {}); // a connected socket reports ICMP errors here (as the server's sockets do)
  const receivers = await Promise.all(
    [0, 1].map(async () => {
      const rx = createSocket('udp4');
      await new Promise<void>((r) => rx.bind(0, '127.0.0.1', r));
      const got: number[] = [];
      rx.on('message', (m) => got.push(m[12]!));
      return { rx, got, dest: { kind: 'udp' as const, address: '127.0.0.1', port: rx.address().port } };
    }),
  );
  const [a, b] = receivers as [(typeof receivers)[0], (typeof receivers)[0]];
  const fanout = new ServerFanout(rtp, { connectSoleDestination: true });
  const header = new Uint8Array(12).fill(0x80);
  const send = (n: number): void => void fanout.send([header, Uint8Array.of(n)]);
  const connectedTo = (): number | undefined => {
    try {
      return rtp.remoteAddress().port;
    } catch {
      return undefined;
    }
  };
  try {
    fanout.addDestination(a.dest);
    assert.equal(connectedTo(), a.dest.port, 'one destination: connected to it');
    send(1);
    fanout.addDestination(b.dest);
    assert.equal(connectedTo(), undefined, 'two destinations: not connected');
    send(2);
    fanout.removeDestination(a.dest);
    assert.equal(connectedTo(), b.dest.port, 'back to one: connected to the one left');
    send(3);
    const until = Date.now() + 2000;
    while ((a.got.length < 2 || b.got.length < 2) && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(a.got, [1, 2]);
    assert.deepEqual(b.got, [2, 3]);
  } finally {
    fanout.close();
    rtp.close();
    rtcp.close();
    for (const r of receivers) r.rx.close();
  }
});

test('connectSoleDestination: a sole destination that refuses (ICMP port unreachable) costs one error, then the fanout sends with an address again', async () => {
  const { rtp, rtcp } = await bindServerPortPair('udp4', 46_200);
  let errors = 0;
  rtp.on('error', () => errors++);
  const probe = createSocket('udp4');
  await new Promise<void>((r) => probe.bind(0, '127.0.0.1', r));
  const dead = probe.address().port;
  await new Promise<void>((r) => probe.close(() => r()));
  const fanout = new ServerFanout(rtp, { connectSoleDestination: true });
  const connected = (): boolean => {
    try {
      rtp.remoteAddress();
      return true;
    } catch {
      return false;
    }
  };
  try {
    fanout.addDestination({ kind: 'udp', address: '127.0.0.1', port: dead });
    assert.ok(connected());
    const header = new Uint8Array(12);
    for (let i = 0; i < 50; i++) {
      fanout.send([header, Uint8Array.of(i)]);
      await new Promise((r) => setTimeout(r, 2));
    }
    assert.equal(connected(), false, 'refused: no longer connected');
    assert.ok(errors <= 2, `about one error, not one per packet (${errors})`);
  } finally {
    fanout.close();
    rtp.close();
    rtcp.close();
  }
});
