// The client against a hostile server: what such a server can make the client hold is bounded.
// Real sockets on loopback; the server is a node:net script.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { createSocket, type Socket as UDPSocket } from 'node:dgram';
import { BasicTaskScheduler, isDorsvrError } from '@dorsvr/scheduler';
import { H264VideoFileServerMediaSubsession, RTSPParser, ServerMediaSession, parseTransportHeader, type RTSPRequest } from '@dorsvr/livemedia';
import { RTSPServer } from '@dorsvr/rtspserver';
import { fixture } from '../helpers/paths.js';
import { RTSPClient, type RTSPClientOptions } from '@dorsvr/rtspclient';
import { FakeRTSPServer, pcmuSDP, rtpPacket } from './FakeRTSPServer.js';
import { framerOutput, until, within } from './helpers.js';

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

async function udpSocket(address: string): Promise<UDPSocket> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, address, () => r()));
  return s;
}

/** A PCMU server over UDP, and whoever else sends to the client's ports (127.0.0.2). */
async function udpStream(options: RTSPClientOptions): Promise<{ frames: Buffer[]; foreign: () => number; done: () => Promise<void> }> {
  const fake = await FakeRTSPServer.start((req: RTSPRequest) => {
    switch (req.method) {
      case 'DESCRIBE':
        return { status: 200, headers: { 'Content-Type': 'application/sdp', 'Content-Base': `${req.uri}/` }, body: pcmuSDP() };
      case 'SETUP':
        return { status: 200, headers: { Session: 's1;timeout=60', Transport: `${req.headers.get('Transport')!};server_port=40000-40001` } };
      default:
        return { status: 200, headers: { Session: 's1' } };
    }
  });
  const client = new RTSPClient(fake.url('cam'), { transport: 'udp', ...options });
  const server = await udpSocket('127.0.0.1');
  const stranger = await udpSocket('127.0.0.2');
  const session = await client.describe();
  const sub = session.subsessions[0]!;
  await client.setup(sub);
  await client.play();
  const port = parseTransportHeader(fake.requests.find((r) => r.method === 'SETUP')!.headers.get('Transport')!)[0]!.clientPort!.rtp;
  const frames: Buffer[] = [];
  sub.on('frame', (f) => frames.push(Buffer.from(f.data)));
  // The stranger first, with another SSRC, as a sequence the source would follow; then the server.
  for (let i = 0; i < 20; i++) stranger.send(rtpPacket(500 + i, 160 * i, 0xbad, Buffer.alloc(160, 0xee)), port, '127.0.0.1');
  for (let i = 0; i < 5; i++) server.send(rtpPacket(100 + i, 160 * i, 0x1234, Buffer.alloc(160, i)), port, '127.0.0.1');
  await until(() => frames.some((f) => f[0] === 4), 5000, 'the server\'s 5th frame');
  return {
    frames,
    foreign: () => sub.stats.foreignPackets,
    async done() {
      server.close();
      stranger.close();
      await client.close();
      await fake.close();
    },
  };
}

test('hostile: RTP over UDP from another address than the server\'s is dropped and counted (anyone who found our port could feed frames in, and into every reader of a proxy); acceptMediaFromAnyAddress takes it', async () => {
  const strict = await udpStream({});
  try {
    assert.deepEqual(strict.frames.map((f) => f[0]), [0, 1, 2, 3, 4], 'only the server\'s frames');
    assert.equal(strict.foreign(), 20);
  } finally {
    await strict.done();
  }
  const open = await udpStream({ acceptMediaFromAnyAddress: true });
  try {
    assert.ok(open.frames.some((f) => f[0] === 0xee), 'the stranger\'s packets are taken when asked for');
    assert.equal(open.foreign(), 0);
  } finally {
    await open.done();
  }
  for (const bad of ['false', 1, null]) {
    assert.throws(
      () => new RTSPClient('rtsp://127.0.0.1/x', { acceptMediaFromAnyAddress: bad as unknown as boolean }),
      (e: unknown) => isDorsvrError(e) && e.code === 'ERR_RTSP_CLIENT_OPTION',
    );
  }
});

test('a server whose UDP leaves from another address than its RTSP (our server reached at 127.0.0.2 sends from 127.0.0.1, as a multi-homed host may): auto mode plays it over TCP after the fallback wait; acceptMediaFromAnyAddress plays it over UDP', async () => {
  const sched = new BasicTaskScheduler();
  const server = new RTSPServer({ scheduler: sched, port: 0, host: '127.0.0.2' });
  server.addServerMediaSession(new ServerMediaSession('cam').addSubsession(new H264VideoFileServerMediaSubsession(fixture('test.264'), { scheduler: sched })));
  await server.listen();
  const want = (await framerOutput('test.264')).map((b) => b.toString('hex'));
  try {
    for (const options of [{ transport: 'auto' as const, fallbackTimeoutMs: 800 }, { transport: 'udp' as const, acceptMediaFromAnyAddress: true }]) {
      const client = new RTSPClient(`rtsp://127.0.0.2:${server.port}/cam`, options);
      try {
        const session = await client.describe();
        const sub = session.subsessions[0]!;
        await client.setup(sub);
        const frames: string[] = [];
        const reading = (async () => {
          for await (const f of sub.frames()) frames.push(Buffer.from(f.data).toString('hex'));
        })();
        await client.play();
        await within(reading, 20_000, 'the stream to end');
        assert.deepEqual(frames, want, `every frame (${JSON.stringify(options)})`);
        if (options.transport === 'auto') {
          assert.equal(client.fellBackToTCP, true, 'UDP from 127.0.0.1 was not taken as the server\'s: TCP');
          assert.ok(sub.stats.foreignPackets > 0);
        } else {
          assert.equal(client.fellBackToTCP, false);
          assert.equal(sub.transport?.mode, 'udp');
        }
      } finally {
        await client.close();
      }
    }
  } finally {
    await server.close();
    sched.close();
  }
});

test('hostile: a response whose body is over the 4 MiB limit fails its request at once with ERR_RTSP_BODY_TOO_LARGE (it waited for the request timeout), and the connection reads on past the skipped body', async () => {
  const BODY = 5 << 20;
  let serverSocket: Socket | undefined;
  const server = createServer((socket) => {
    serverSocket = socket;
    socket.on('error', () => undefined);
    const parser = new RTSPParser();
    // Answers go out in order: the DESCRIBE's head, its body a moment later, then the rest.
    let sent = Promise.resolve();
    socket.on('data', (chunk: Buffer) => {
      for (const item of parser.push(chunk)) {
        if (item.type !== 'request') continue;
        const cseq = item.headers.get('CSeq');
        if (item.method === 'DESCRIBE') {
          socket.write(`RTSP/1.0 200 OK\r\nCSeq: ${cseq}\r\nContent-Type: application/sdp\r\nContent-Length: ${BODY}\r\n\r\n`);
          sent = sent.then(() => new Promise((r) => setTimeout(r, 500))).then(() => void socket.write(Buffer.alloc(BODY, 0x61)));
        } else sent = sent.then(() => void socket.write(`RTSP/1.0 200 OK\r\nCSeq: ${cseq}\r\nPublic: OPTIONS, DESCRIBE\r\n\r\n`));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const client = new RTSPClient(`rtsp://127.0.0.1:${port}/x`, { requestTimeoutMs: 30_000 });
  try {
    const started = Date.now();
    await assert.rejects(
      within(client.describe(), 5000, 'DESCRIBE to fail'),
      (e: unknown) => isDorsvrError(e) && e.code === 'ERR_RTSP_BODY_TOO_LARGE',
    );
    assert.ok(Date.now() - started < 5000);
    assert.equal((await within(client.options(), 10_000, 'OPTIONS after the skipped body')).status, 200);
  } finally {
    await client.close();
    serverSocket?.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  }
});
