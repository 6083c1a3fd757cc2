// RTSPClientConnection's interleaved write path: the `$` frames one turn sends a connection (a video
// frame's packets) leave in one write, in order, byte for byte; bytes a socket still holds are never
// overwritten by later packets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Socket } from 'node:net';
import { VirtualTaskScheduler } from '@dorsvr/scheduler';
import { RTSPClientConnection } from '@dorsvr/rtspserver';

async function connectionPair(maxSendQueueBytes: number) {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const accepted = new Promise<Socket>((r) => server.once('connection', r));
  const peer = connect(port, '127.0.0.1');
  const serverSide = await accepted;
  const scheduler = new VirtualTaskScheduler();
  const conn = new RTSPClientConnection(serverSide, {
    maxRequestSize: 1 << 16,
    maxSendQueueBytes,
    maxConsecutiveDrops: 500,
    scheduler,
    idleTimeoutSeconds: 60,
    requestTimeoutSeconds: 10,
  });
  return {
    conn,
    peer,
    serverSide,
    async close(): Promise<void> {
      conn.close();
      peer.destroy();
      serverSide.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      scheduler.close();
    },
  };
}

test("a turn's interleaved packets leave in one write, in order and intact", async () => {
  const { conn, peer, serverSide, close } = await connectionPair(1 << 20);
  try {
    // Count what reaches the stream implementation: one _write of every frame, or one per frame
    // (a _writev of n chunks counts n).
    const batches: number[] = [];
    const writev = serverSide._writev!.bind(serverSide);
    const write = serverSide._write.bind(serverSide);
    serverSide._writev = (chunks, cb) => {
      batches.push(chunks.length);
      writev(chunks, cb);
    };
    serverSide._write = (chunk, enc, cb) => {
      batches.push(1);
      write(chunk, enc, cb);
    };
    const expected: Buffer[] = [];
    const received: Buffer[] = [];
    peer.on('data', (d: Buffer) => received.push(d));
    for (let i = 0; i < 7; i++) {
      const header = Buffer.alloc(12, i);
      const payload = Buffer.alloc(1000 + i, 0x40 + i);
      assert.equal(conn.sendInterleaved(0, [header, payload]), true);
      const len = header.length + payload.length;
      expected.push(Buffer.from([0x24, 0, len >> 8, len & 0xff]), header, payload);
    }
    const want = Buffer.concat(expected);
    const deadline = Date.now() + 5000;
    while (Buffer.concat(received).length < want.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.ok(Buffer.concat(received).equals(want), 'the peer got the 7 frames, in order, byte for byte');
    assert.deepEqual(batches, [1], `writes reaching the socket: ${JSON.stringify(batches)}`);
  } finally {
    await close();
  }
});

test('a long turn hands its batch to the kernel as it goes: a reader that keeps up loses nothing to the send-queue bound', async () => {
  // 300 KB in one turn against a 256 KiB bound: batched whole, it would count as unread and be cut.
  const { conn, peer, close } = await connectionPair(256 * 1024);
  try {
    let received = 0;
    peer.on('data', (d: Buffer) => (received += d.length));
    const header = Buffer.alloc(12);
    const payload = Buffer.alloc(1388);
    let accepted = 0;
    for (let i = 0; i < 215; i++) if (conn.sendInterleaved(0, [header, payload])) accepted++;
    assert.equal(accepted, 215, `${215 - accepted} packets dropped`);
    const deadline = Date.now() + 5000;
    while (received < 215 * 1404 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(received, 215 * 1404);
  } finally {
    await close();
  }
});

test('bytes a slow reader\'s socket still holds stay intact while other connections\' packets go out', async () => {
  // A reader that does not read: its kernel buffers fill, its socket queues what it is given (and
  // keeps a reference to those bytes). Meanwhile a fast reader is sent much more than the batch
  // memory holds, in turns that alternate between the two. Once the slow reader reads, every byte
  // it was sent must be what was sent.
  const slow = await connectionPair(64 << 20);
  const fast = await connectionPair(64 << 20);
  try {
    // Large buffers the slow socket is handed views of: the batch memory shared by every connection.
    const shared = new Set<ArrayBufferLike>();
    const note = (c: Buffer): void => {
      if (c.buffer.byteLength > 65536) shared.add(c.buffer);
    };
    const writev = slow.serverSide._writev!.bind(slow.serverSide);
    const write = slow.serverSide._write.bind(slow.serverSide);
    slow.serverSide._writev = (chunks, cb) => {
      for (const c of chunks) note(c.chunk as Buffer);
      writev(chunks, cb);
    };
    slow.serverSide._write = (chunk: Buffer, enc, cb) => {
      note(chunk);
      write(chunk, enc, cb);
    };
    slow.peer.pause();
    const slowGot: Buffer[] = [];
    let fastBytes = 0;
    fast.peer.on('data', (d: Buffer) => (fastBytes += d.length));
    const expected: Buffer[] = [];
    let fastExpected = 0;
    let seq = 0;
    // Until the slow socket has queued bytes for 100 turns (bounded: loopback buffers take a few MB).
    for (let turn = 0, queuedTurns = 0; turn < 10_000 && queuedTurns < 100; turn++) {
      if (slow.serverSide.writableLength > 0) queuedTurns++;
      for (let i = 0; i < 4; i++) {
        const payload = Buffer.alloc(1316, seq & 0xff);
        payload.writeUInt32BE(seq++, 0);
        assert.equal(slow.conn.sendInterleaved(2, [payload]), true);
        expected.push(Buffer.from([0x24, 2, 1316 >> 8, 1316 & 0xff]), payload);
      }
      for (let i = 0; i < 8; i++) {
        assert.equal(fast.conn.sendInterleaved(0, [Buffer.alloc(12, 0xee), Buffer.alloc(1316, 0xdd)]), true);
        fastExpected += 4 + 1328;
      }
      await new Promise((r) => setImmediate(r));
    }
    assert.ok(slow.serverSide.writableLength > 0, 'the slow socket queued bytes (the case under test)');
    const want = Buffer.concat(expected);
    slow.peer.on('data', (d: Buffer) => slowGot.push(d));
    slow.peer.resume();
    const deadline = Date.now() + 10_000;
    while ((Buffer.concat(slowGot).length < want.length || fastBytes < fastExpected) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(fastBytes, fastExpected);
    assert.ok(Buffer.concat(slowGot).equals(want), 'the slow reader got every frame as sent');
    // What a slow reader's socket queued was its own bytes: besides the shared buffer it was written
    // from while it kept up, at most the one it was writing from when the kernel's buffer filled up —
    // not one shared buffer per queued packet (which would pin them all until the reader reads).
    assert.ok(shared.size <= 2, `the slow socket held views of ${shared.size} shared batch buffers`);
  } finally {
    await slow.close();
    await fast.close();
  }
});
