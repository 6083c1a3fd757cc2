import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { isDorsvrError } from '@dorsvr/scheduler';
import { Groupsock, type SenderAddress } from '@dorsvr/groupsock';

interface Got {
  data: Buffer;
  from: SenderAddress;
}

/** Collect packets on `gs` until `count` arrived or `ms` passed (bounded either way). */
function collect(gs: Groupsock, count: number, ms = 2000): Promise<Got[]> {
  return new Promise((resolve) => {
    const got: Got[] = [];
    const done = (): void => {
      clearTimeout(timer);
      gs.off('packet', onPacket);
      resolve(got);
    };
    const onPacket = (data: Buffer, from: SenderAddress): void => {
      got.push({ data, from });
      if (got.length >= count) done();
    };
    const timer = setTimeout(done, ms);
    gs.on('packet', onPacket);
  });
}

test('send/receive on IPv4 loopback: header + payload gathered into one datagram, sender address reported', async () => {
  const a = await Groupsock.create({ address: '127.0.0.1' });
  const b = await Groupsock.create({ address: '127.0.0.1' });
  try {
    assert.ok(a.port > 0 && b.port > 0 && a.port !== b.port);
    assert.equal(a.address, '127.0.0.1');
    assert.equal(a.addDestination('127.0.0.1', b.port), true);
    assert.equal(a.addDestination('127.0.0.1', b.port), false, 'no duplicate destinations');
    const header = Uint8Array.of(0x80, 96, 0, 1);
    const payload = new Uint8Array(1000).map((_, i) => i & 0xff);
    // A payload that is a view into a larger buffer: only the view is sent.
    const big = new Uint8Array(2000).fill(7);
    const view = big.subarray(100, 300);
    const got = collect(b, 2);
    assert.equal(a.send([header, payload]), false, 'sent inside the call: the chunks are free again');
    assert.equal(a.send([header, view]), false);
    const [p1, p2] = await got;
    assert.ok(p1 && p2, 'two packets arrived');
    assert.deepEqual(new Uint8Array(p1.data), new Uint8Array([...header, ...payload]));
    assert.deepEqual(new Uint8Array(p2.data), new Uint8Array([...header, ...view]));
    assert.equal(p1.from.address, '127.0.0.1');
    assert.equal(p1.from.port, a.port);
    assert.equal(p1.from.family, 'IPv4');
    assert.equal(a.packetsSent, 2);
    assert.equal(a.bytesSent, 4 + 1000 + 4 + 200);
    assert.equal(b.packetsReceived, 2);
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});

test('send/receive on IPv6 loopback ([::1]) with sendTo', async () => {
  const a = await Groupsock.create({ address: '::1' });
  const b = await Groupsock.create({ type: 'udp6', address: '::1' });
  try {
    assert.equal(a.type, 'udp6');
    const got = collect(b, 1);
    assert.equal(a.sendTo(Buffer.from('hello v6'), '::1', b.port), true);
    const [p] = await got;
    assert.equal(p?.data.toString(), 'hello v6');
    assert.equal(p?.from.family, 'IPv6');
    assert.equal(p?.from.port, a.port);
    assert.throws(() => a.addDestination('127.0.0.1', 5000), (e: unknown) => isDorsvrError(e, 'ERR_GROUPSOCK_ADDRESS'));
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});

test('fan-out: one send reaches every destination once; a removed destination never gets another packet', async () => {
  const sender = await Groupsock.create({ address: '127.0.0.1' });
  const rx = await Promise.all([0, 1, 2, 3].map(() => Groupsock.create({ address: '127.0.0.1' })));
  try {
    const counts = rx.map(() => [] as number[]);
    rx.forEach((r, i) => r.on('packet', (d) => counts[i]!.push(d.readUInt32BE(0))));
    for (const r of rx) sender.addDestination('127.0.0.1', r.port);
    assert.equal(sender.destinations.length, 4);
    const pkt = Buffer.alloc(4);
    const sendSeq = (from: number, to: number): void => {
      for (let seq = from; seq < to; seq++) {
        pkt.writeUInt32BE(seq, 0);
        sender.send([pkt]);
      }
    };
    sendSeq(0, 20);
    // Remove destination 1 and 3; everything sent afterwards must go only to 0 and 2.
    assert.equal(sender.removeDestination('127.0.0.1', rx[1]!.port), true);
    assert.equal(sender.removeDestination('127.0.0.1', rx[1]!.port), false);
    assert.equal(sender.removeDestination('127.0.0.1', rx[3]!.port), true);
    sendSeq(20, 50);
    // Wait until the kept receivers have everything; the removed ones had all the time too.
    const deadline = Date.now() + 3000;
    while ((counts[0]!.length < 50 || counts[2]!.length < 50) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
    }
    await new Promise((r) => setTimeout(r, 50));
    const all = Array.from({ length: 50 }, (_, i) => i);
    const first = Array.from({ length: 20 }, (_, i) => i);
    assert.deepEqual(counts[0], all);
    assert.deepEqual(counts[2], all);
    assert.deepEqual(counts[1], first, 'removed destination got only packets sent before removal');
    assert.deepEqual(counts[3], first);
    sender.removeAllDestinations();
    assert.equal(sender.send([pkt]), false);
  } finally {
    await Promise.all([sender.close(), ...rx.map((r) => r.close())]);
  }
});

test('close() is idempotent and concurrent-safe; the port can be bound again; sends after close do nothing', async () => {
  const a = await Groupsock.create({ address: '127.0.0.1' });
  const port = a.port;
  let closeEvents = 0;
  a.on('close', () => closeEvents++);
  a.addDestination('127.0.0.1', 9);
  const p1 = a.close();
  const p2 = a.close();
  assert.equal(p1, p2);
  await Promise.all([p1, p2, a.close()]);
  assert.equal(closeEvents, 1);
  assert.equal(a.closed, true);
  assert.equal(a.send([Buffer.from('x')]), false);
  assert.equal(a.sendTo([Buffer.from('x')], '127.0.0.1', 9), false);
  assert.throws(() => a.joinGroup('239.1.1.1'), (e: unknown) => isDorsvrError(e, 'ERR_GROUPSOCK_CLOSED'));
  // Rebind the same port, with our class and with plain dgram (no SO_REUSEADDR).
  const again = await Groupsock.create({ address: '127.0.0.1', port });
  assert.equal(again.port, port);
  await again.close();
  const raw = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    raw.once('error', reject);
    raw.bind(port, '127.0.0.1', resolve);
  });
  raw.close();
});

test('binding a port in use fails with ERR_GROUPSOCK_ADDRESS_IN_USE; bad options with ERR_GROUPSOCK_ADDRESS', async () => {
  const a = await Groupsock.create({ address: '127.0.0.1' });
  try {
    await assert.rejects(Groupsock.create({ address: '127.0.0.1', port: a.port }), (e: unknown) =>
      isDorsvrError(e, 'ERR_GROUPSOCK_ADDRESS_IN_USE'),
    );
    await assert.rejects(Groupsock.create({ address: '127.0.0.1', port: 70000 }), (e: unknown) =>
      isDorsvrError(e, 'ERR_GROUPSOCK_ADDRESS'),
    );
    await assert.rejects(Groupsock.create({ address: 'localhost' }), (e: unknown) => isDorsvrError(e, 'ERR_GROUPSOCK_ADDRESS'));
    await assert.rejects(Groupsock.create({ type: 'udp4', address: '::1' }), (e: unknown) => isDorsvrError(e, 'ERR_GROUPSOCK_ADDRESS'));
    assert.throws(() => a.addDestination('127.0.0.1', 0), (e: unknown) => isDorsvrError(e, 'ERR_GROUPSOCK_ADDRESS'));
    assert.throws(() => a.addDestination('example.com', 5), (e: unknown) => isDorsvrError(e, 'ERR_GROUPSOCK_ADDRESS'));
    assert.throws(() => a.joinGroup('10.0.0.1'), (e: unknown) => isDorsvrError(e, 'ERR_GROUPSOCK_ADDRESS'));
  } finally {
    await a.close();
  }
});

test('an oversized datagram is reported as an error event; the socket keeps working', async () => {
  const a = await Groupsock.create({ address: '127.0.0.1' });
  const b = await Groupsock.create({ address: '127.0.0.1' });
  try {
    a.addDestination('127.0.0.1', b.port);
    const errors: unknown[] = [];
    a.on('error', (e) => errors.push(e));
    a.send([new Uint8Array(70_000)]); // reported synchronously, before send returns
    assert.equal(errors.length, 1);
    assert.ok(isDorsvrError(errors[0], 'ERR_GROUPSOCK_SEND'));
    assert.equal(a.packetsSent, 0);
    const got = collect(b, 1);
    a.send([Buffer.from('still fine')]);
    assert.equal((await got)[0]?.data.toString(), 'still fine');
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});
