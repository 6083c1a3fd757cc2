// The client against a hostile server: what such a server can make the client hold is bounded.
// Real sockets on loopback; the server is a node:net script.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { RTSPParser } from '@dorsvr/livemedia';
import { RTSPClient } from '@dorsvr/rtspclient';

test('hostile: a server that floods the client with requests and never reads the answers gets at most ~1 MiB of them queued (they were queued without bound, each longer than its request)', async () => {
  const REQUESTS = 400_000; // 24 MB of answers if all were queued
  let serverSocket: Socket | undefined;
  const server = createServer((socket) => {
    serverSocket = socket;
    socket.on('error', () => undefined);
    const parser = new RTSPParser();
    socket.on('data', (chunk: Buffer) => {
      for (const item of parser.push(chunk)) {
        if (item.type === 'request') {
          socket.write(`RTSP/1.0 200 OK\r\nCSeq: ${item.headers.get('CSeq')}\r\nPublic: OPTIONS\r\n\r\n`);
        }
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const client = new RTSPClient(`rtsp://127.0.0.1:${port}/x`);
  let serverRequests = 0;
  client.on('request', () => serverRequests++);
  try {
    assert.equal((await client.options()).status, 200);
    const s = serverSocket!;
    s.removeAllListeners('data');
    s.pause(); // the server reads nothing more
    const one = Buffer.from('OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\n');
    const batch = Buffer.concat(Array.from({ length: 10_000 }, () => one));
    for (let i = 0; i < REQUESTS / 10_000; i++) {
      if (!s.write(batch)) await new Promise<void>((r) => s.once('drain', r));
    }
    const deadline = Date.now() + 20_000;
    while (serverRequests < REQUESTS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(serverRequests, REQUESTS, 'the client read every request');
    // Now read what the client queued for us: what it answered.
    let answers = 0;
    const parser = new RTSPParser();
    s.on('data', (chunk: Buffer) => {
      for (const item of parser.push(chunk)) {
        if (item.type === 'response') answers++;
        else if (item.type === 'request') s.write(`RTSP/1.0 200 OK\r\nCSeq: ${item.headers.get('CSeq')}\r\n\r\n`);
      }
    });
    s.resume();
    let last = -1;
    while (answers !== last) {
      last = answers;
      await new Promise((r) => setTimeout(r, 300));
    }
    const answerBytes = 'RTSP/1.0 200 OK\r\nCSeq: 1\r\nPublic: OPTIONS, GET_PARAMETER\r\n\r\n'.length;
    // Kernel buffers on loopback hold a few MB beside the client's own 1 MiB.
    assert.ok(answers * answerBytes < 12 << 20, `${answers} answers (${((answers * answerBytes) / 2 ** 20).toFixed(1)} MiB) were queued`);
    assert.ok(answers < REQUESTS);
    // The connection still works.
    assert.equal((await client.options()).status, 200);
  } finally {
    await client.close();
    serverSocket?.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  }
});
