// RTSPClientConnection's interleaved write path: the `$` frames one turn sends (a video frame's
// packets) leave in one writev, in order, byte for byte.
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

test("a turn's interleaved packets leave in one writev, in order and intact", async () => {
  const { conn, peer, serverSide, close } = await connectionPair(1 << 20);
  try {
    // Count what reaches the stream implementation: one _writev of many chunks, or a _write each.
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
    assert.deepEqual(batches, [7], `writes reaching the socket: ${JSON.stringify(batches)}`);
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
