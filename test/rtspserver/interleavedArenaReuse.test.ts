// The shared interleaved batch memory (InterleavedWriteBatch) under readers that do not keep up:
// over TLS (whose writes Node always completes later) every byte a slow and a fast reader get is
// what was sent, and a slow reader among fast ones holds about its own queued bytes in memory, not
// every batch buffer its queued packets happen to lie in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createTCPServer, connect as connectTCP, type Socket } from 'node:net';
import { createServer as createTLSServer, connect as connectTLS } from 'node:tls';
import { VirtualTaskScheduler } from '@dorsvr/scheduler';
import { RTSPClientConnection } from '@dorsvr/rtspserver';
import { makeTestCertificate } from '../helpers/tlsCertificate.js';

interface Pair {
  conn: RTSPClientConnection;
  /** The reading end (a net.Socket or a TLSSocket). */
  peer: Socket;
  serverSide: Socket;
  close(): Promise<void>;
}

async function pairs(count: number, tls: { key: string; cert: string } | undefined): Promise<{ list: Pair[]; close(): Promise<void> }> {
  const server = tls === undefined ? createTCPServer() : createTLSServer({ key: tls.key, cert: tls.cert });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const scheduler = new VirtualTaskScheduler();
  const list: Pair[] = [];
  for (let i = 0; i < count; i++) {
    const accepted = new Promise<Socket>((r) => server.once(tls === undefined ? 'connection' : 'secureConnection', r));
    const peer: Socket =
      tls === undefined ? connectTCP(port, '127.0.0.1') : connectTLS({ port, host: '127.0.0.1', ca: tls.cert, servername: 'localhost' });
    if (tls !== undefined) await new Promise<void>((r, j) => peer.once('secureConnect', r).once('error', j));
    const serverSide = await accepted;
    const conn = new RTSPClientConnection(serverSide, {
      maxRequestSize: 1 << 16,
      maxSendQueueBytes: 64 << 20,
      maxConsecutiveDrops: 500,
      scheduler,
      idleTimeoutSeconds: 60,
      requestTimeoutSeconds: 10,
    });
    list.push({
      conn,
      peer,
      serverSide,
      async close() {
        conn.close();
        peer.destroy();
      },
    });
  }
  return {
    list,
    async close() {
      for (const p of list) await p.close();
      await new Promise<void>((r) => server.close(() => r()));
      scheduler.close();
    },
  };
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

test('over TLS, a slow reader and a fast reader each get every interleaved byte as sent', async () => {
  const cert = makeTestCertificate();
  const { list, close } = await pairs(2, cert);
  try {
    const [slow, fast] = list as [Pair, Pair];
    slow.peer.pause();
    const slowGot: Buffer[] = [];
    const fastGot: Buffer[] = [];
    fast.peer.on('data', (d: Buffer) => fastGot.push(d));
    const slowWant: Buffer[] = [];
    const fastWant: Buffer[] = [];
    let seq = 0;
    const frame = (channel: number, payload: Buffer): Buffer => Buffer.concat([Buffer.from([0x24, channel, payload.length >> 8, payload.length & 0xff]), payload]);
    // Until the slow reader's socket queued bytes for 100 turns (bounded).
    for (let t = 0, queuedTurns = 0; t < 10_000 && queuedTurns < 100; t++) {
      if (slow.serverSide.writableLength > 64 * 1024) queuedTurns++;
      for (const [p, want, n] of [[slow, slowWant, 3], [fast, fastWant, 6]] as const) {
        for (let i = 0; i < n; i++) {
          const header = Buffer.alloc(12, seq & 0xff);
          header.writeUInt32BE(seq++, 0);
          const payload = Buffer.alloc(1300 + (seq % 17), (seq * 7) & 0xff);
          assert.equal(p.conn.sendInterleaved(p === slow ? 2 : 0, [header, payload]), true);
          want.push(frame(p === slow ? 2 : 0, Buffer.concat([header, payload])));
        }
      }
      await turn();
    }
    assert.ok(slow.serverSide.writableLength > 64 * 1024, 'the slow TLS socket queued bytes (the case under test)');
    slow.peer.on('data', (d: Buffer) => slowGot.push(d));
    slow.peer.resume();
    const slowBytes = Buffer.concat(slowWant);
    const fastBytes = Buffer.concat(fastWant);
    const length = (bufs: Buffer[]): number => bufs.reduce((n, b) => n + b.length, 0);
    const deadline = Date.now() + 20_000;
    while ((length(slowGot) < slowBytes.length || length(fastGot) < fastBytes.length) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.ok(Buffer.concat(fastGot).equals(fastBytes), `the fast TLS reader got its ${fastWant.length} frames as sent`);
    assert.ok(Buffer.concat(slowGot).equals(slowBytes), `the slow TLS reader got its ${slowWant.length} frames as sent`);
  } finally {
    await close();
    cert.cleanup();
  }
});

test("a slow reader among fast ones holds about its own queued bytes, not the batch buffers its packets lie in", async () => {
  // One reader does not read; 10 read. Every turn each is sent one packet (a shared stream's fan-out).
  const { list, close } = await pairs(11, undefined);
  try {
    const [slow, ...fast] = list as [Pair, ...Pair[]];
    slow.peer.pause();
    for (const f of fast) f.peer.resume();
    const payload = Buffer.alloc(1316, 0x47);
    for (let t = 0; t < 20_000 && slow.serverSide.writableLength < 512 * 1024; t++) {
      for (const p of list) p.conn.sendInterleaved(0, [payload]);
      if (t % 4 === 3) await turn();
    }
    await turn();
    const queued = slow.serverSide.writableLength;
    assert.ok(queued >= 512 * 1024, `the slow socket queued ${queued} bytes (the case under test)`);
    // The memory its queued writes keep alive: every distinct buffer behind them, whole.
    const held = new Set<ArrayBufferLike>();
    let pinned = 0;
    // (Writable#writableBuffer: the writes a stream queued behind the one in flight.)
    for (const { chunk } of (slow.serverSide as unknown as { writableBuffer: Array<{ chunk: Buffer }> }).writableBuffer) {
      if (held.has(chunk.buffer)) continue;
      held.add(chunk.buffer);
      pinned += chunk.buffer.byteLength;
    }
    // Its own bytes, plus at most a few batch buffers (160 KiB each) that a write in flight holds.
    assert.ok(pinned <= queued + 4 * 160 * 1024, `${queued} bytes queued keep ${pinned} bytes of memory alive (${held.size} buffers)`);
  } finally {
    await close();
  }
});
