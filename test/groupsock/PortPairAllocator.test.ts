import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { isDorsvrError } from '@dorsvr/scheduler';
import { PortPairAllocator, type PortPair } from '@dorsvr/groupsock';

function bindRaw(port: number): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => {
      s.close();
      resolve(undefined);
    });
    s.bind(port, '127.0.0.1', () => resolve(s));
  });
}

async function closeRaw(s: Socket | undefined): Promise<void> {
  if (s) await new Promise<void>((r) => s.close(() => r()));
}

/** An even base such that [base, base + n) is entirely free on 127.0.0.1 right now. */
async function freeRange(n: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20000 + 2 * Math.floor(Math.random() * 20000);
    const socks = await Promise.all(Array.from({ length: n }, (_, i) => bindRaw(base + i)));
    await Promise.all(socks.map(closeRaw));
    if (socks.every((s) => s !== undefined)) return base;
  }
  throw new Error('could not find a free port range on 127.0.0.1');
}

test('pairs are (even, even + 1), both actually bound, and rebindable after release', async () => {
  const base = await freeRange(8);
  const alloc = new PortPairAllocator({ start: base + 1, end: base + 7, address: '127.0.0.1' });
  assert.equal(alloc.start, base + 2, 'odd start rounded up to even');
  assert.equal(alloc.capacity, 3);
  const p = await alloc.allocate();
  try {
    assert.equal(p.rtpPort % 2, 0);
    assert.equal(p.rtcpPort, p.rtpPort + 1);
    assert.equal(p.rtp.port, p.rtpPort);
    assert.equal(p.rtcp.port, p.rtcpPort);
    assert.equal(await bindRaw(p.rtpPort), undefined, 'RTP port is really held');
    assert.equal(await bindRaw(p.rtcpPort), undefined, 'RTCP port is really held');
    assert.equal(alloc.inUse, 1);
  } finally {
    await Promise.all([p.release(), p.release()]);
  }
  assert.equal(alloc.inUse, 0);
  const again = await Promise.all([bindRaw(p.rtpPort), bindRaw(p.rtcpPort)]);
  assert.ok(again[0] && again[1], 'both ports can be bound again after release');
  await Promise.all(again.map(closeRaw));
});

test('ports in use elsewhere are skipped (even or odd half); an exhausted range fails clearly; released pairs come back', async () => {
  const base = await freeRange(8);
  const blockerOdd = await bindRaw(base + 1); // blocks pair base/base+1 through its RTCP half
  const blockerEven = await bindRaw(base + 4); // blocks pair base+4/base+5 through its RTP half
  assert.ok(blockerOdd && blockerEven);
  const alloc = new PortPairAllocator({ start: base, end: base + 7, address: '127.0.0.1' });
  const got: PortPair[] = [];
  try {
    got.push(await alloc.allocate());
    got.push(await alloc.allocate());
    assert.deepEqual(got.map((p) => p.rtpPort).sort(), [base + 2, base + 6]);
    await assert.rejects(alloc.allocate(), (e: unknown) => isDorsvrError(e, 'ERR_PORT_RANGE_EXHAUSTED'));
    // The failed RTP half of base/base+1 was closed again (not leaked).
    const probe = await bindRaw(base);
    assert.ok(probe, 'the RTP port of a half-bound pair is not leaked');
    await closeRaw(probe);
    await got.shift()!.release();
    const back = await alloc.allocate();
    got.push(back);
    assert.ok([base + 2, base + 6].includes(back.rtpPort));
    await closeRaw(blockerEven);
    got.push(await alloc.allocate());
    assert.equal(got.at(-1)!.rtpPort, base + 4, 'a pair freed elsewhere becomes available');
  } finally {
    await Promise.all(got.map((p) => p.release()));
    await closeRaw(blockerOdd);
    await closeRaw(blockerEven).catch(() => {});
  }
});

test('two allocators racing over the same range never hand out the same pair; the rest fail with ERR_PORT_RANGE_EXHAUSTED', async () => {
  const base = await freeRange(16);
  const opts = { start: base, end: base + 15, address: '127.0.0.1' };
  const a = new PortPairAllocator(opts);
  const b = new PortPairAllocator(opts);
  const attempts = [...Array.from({ length: 6 }, () => a.allocate()), ...Array.from({ length: 6 }, () => b.allocate())];
  const results = await Promise.allSettled(attempts);
  const pairs = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  try {
    assert.equal(pairs.length, 8, 'all 8 pairs of the range are handed out');
    assert.equal(failures.length, 4);
    for (const f of failures) assert.ok(isDorsvrError(f, 'ERR_PORT_RANGE_EXHAUSTED'), String(f));
    const ports = pairs.map((p) => p.rtpPort);
    assert.equal(new Set(ports).size, 8, 'no pair handed out twice');
    for (const p of ports) assert.ok(p >= base && p <= base + 14 && p % 2 === 0);
    assert.equal(a.inUse + b.inUse, 8);
  } finally {
    await Promise.all(pairs.map((p) => p.release()));
  }
  // Everything is free again.
  const socks = await Promise.all(Array.from({ length: 16 }, (_, i) => bindRaw(base + i)));
  assert.ok(socks.every((s) => s !== undefined), 'every port of the range can be bound after release');
  await Promise.all(socks.map(closeRaw));
});

test('invalid ranges are refused', () => {
  assert.throws(() => new PortPairAllocator({ start: 7000, end: 7000 }), (e: unknown) => isDorsvrError(e));
  assert.throws(() => new PortPairAllocator({ start: 0, end: 10 }), (e: unknown) => isDorsvrError(e));
  assert.throws(() => new PortPairAllocator({ start: 7001, end: 7002 }), (e: unknown) => isDorsvrError(e));
  assert.equal(new PortPairAllocator().start, 6970);
});
