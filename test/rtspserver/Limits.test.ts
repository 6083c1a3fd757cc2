// What one client can make the server hold is bounded: idle connections and half-sent requests
// are closed on time (virtual clock), connections and sessions are capped per address (a second
// address on loopback, 127.0.0.2, stands for another client), and bytes that could never be
// echoed back (NUL in the URL's host) are a 400. Real sockets on loopback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ServerMediaSession } from '@dorsvr/livemedia';
import { RTSPServer, type RTSPServerOptions } from '@dorsvr/rtspserver';
import { RawRTSPClient } from './helpers/RawRTSPClient.js';
import { RecordingSubsession } from './helpers/RecordingSubsession.js';
import { virtualScheduler, type VirtualScheduler } from './helpers/schedulers.js';

interface Fixture {
  scheduler: VirtualScheduler;
  server: RTSPServer;
  url: string;
  connect(localAddress?: string): Promise<RawRTSPClient>;
  done(): Promise<void>;
}

async function setup(options: Partial<RTSPServerOptions> = {}): Promise<Fixture> {
  const scheduler = virtualScheduler();
  const server = new RTSPServer({ scheduler, port: 0, host: '127.0.0.1', ...options });
  server.addServerMediaSession(new ServerMediaSession('s').addSubsession(new RecordingSubsession({ duration: 10 })));
  const port = await server.listen();
  const clients: RawRTSPClient[] = [];
  return {
    scheduler,
    server,
    url: `rtsp://127.0.0.1:${port}/s`,
    async connect(localAddress?: string) {
      const c = await RawRTSPClient.connect(port, '127.0.0.1', localAddress);
      clients.push(c);
      return c;
    },
    async done() {
      for (const c of clients) c.close();
      await server.close();
      scheduler.close();
    },
  };
}

/** Real time for bytes in flight to reach the server (the virtual clock does not move meanwhile). */
const settle = (ms = 30): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(pred: () => boolean, what: string, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await settle(5);
  }
}

test('a connection without a session is closed after the idle timeout (default 30 s); a request restarts the clock', async () => {
  const f = await setup();
  try {
    const silent = await f.connect();
    const talking = await f.connect();
    await until(() => f.server.connectionCount === 2, 'both connections');
    f.scheduler.advance(20e6);
    assert.equal((await talking.request('OPTIONS', '*')).status, 200);
    f.scheduler.advance(10e6 + 1);
    await until(() => silent.closed, 'the silent connection to be closed');
    await settle();
    assert.equal(talking.closed, false, 'the one that spoke 10 s ago is still open');
    assert.equal((await talking.request('OPTIONS', '*')).status, 200);
    f.scheduler.advance(30e6 + 1);
    await until(() => talking.closed, 'the other connection to be closed after its own 30 s');
    await until(() => f.server.connectionCount === 0, 'the server to forget them');
  } finally {
    await f.done();
  }
});

test('a connection carrying a UDP session stays open while the session lives, and gets the idle timeout once it ends', async () => {
  const f = await setup({ idleTimeoutSeconds: 10, reclamationSeconds: 60 });
  try {
    const a = await f.connect();
    const setup = await a.request('SETUP', `${f.url}/track1`, { Transport: 'RTP/AVP;unicast;client_port=5000-5001' });
    assert.equal(setup.status, 200);
    const session = setup.headers['session']!.split(';')[0]!;
    // The client keeps the session alive from another connection (or by RTCP): `a` is quiet for 50 s.
    const b = await f.connect();
    for (let i = 0; i < 5; i++) {
      f.scheduler.advance(9e6);
      assert.equal((await b.request('GET_PARAMETER', f.url, { Session: session })).status, 200);
    }
    await settle();
    assert.equal(a.closed, false, 'the session\'s connection outlives the idle timeout');
    assert.equal(f.server.clientSessions.size, 1);
    // The session is reclaimed (60 s + 5 s grace of silence); both connections then have 10 s.
    f.scheduler.advance(65e6 + 1);
    assert.equal(f.server.clientSessions.size, 0);
    await settle();
    assert.equal(a.closed, false, 'not closed the moment its session ended');
    f.scheduler.advance(10e6 + 1);
    await until(() => a.closed && b.closed, 'both connections to be closed 10 s after the session ended');
  } finally {
    await f.done();
  }
});

test('slowloris: a request trickling in a byte a second is cut at the request timeout (default 10 s), though bytes keep coming', async () => {
  const f = await setup();
  try {
    const slow = await f.connect();
    const other = await f.connect();
    slow.write('OPTIONS * RTSP/1.0\r\n');
    await settle(200); // its first bytes reach the server before the clock moves
    for (let i = 0; i < 9; i++) {
      f.scheduler.advance(1e6);
      slow.write('X');
      await settle(10);
    }
    await settle();
    assert.equal(slow.closed, false, '9 s after its first byte the request may still complete');
    f.scheduler.advance(1e6 + 1);
    await until(() => slow.closed, 'the slow request\'s connection to be closed at 10 s');
    // A whole request completed within the limit is served; the clock starts again with the next one.
    other.write('OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n');
    await settle(50);
    f.scheduler.advance(9e6);
    other.write('\r\n');
    assert.equal((await other.response()).status, 200);
    f.scheduler.advance(9e6);
    await settle();
    assert.equal(other.closed, false);
  } finally {
    await f.done();
  }
});

test('per-address connection cap (default 100): more from one address are closed at accept, another address is served', async () => {
  const f = await setup({ idleTimeoutSeconds: 5 });
  try {
    // 150 silent connections from 127.0.0.1: the first 100 are held, the others closed at once.
    const flood = await Promise.all(Array.from({ length: 150 }, () => f.connect()));
    await until(() => flood.filter((c) => c.closed).length === 50, '50 of the flood to be refused', 5000);
    assert.equal(f.server.connectionCount, 100);
    // Another client address is not locked out.
    const other = await f.connect('127.0.0.2');
    assert.equal((await other.request('DESCRIBE', f.url)).status, 200);
    // Once a held one goes, its address may connect again.
    flood.find((c) => !c.closed)!.close();
    await until(() => f.server.connectionCount === 100, 'the closed one to be forgotten');
    const again = await f.connect();
    assert.equal((await again.request('OPTIONS', '*')).status, 200);
    // The silent ones are closed after their idle timeout, freeing the address.
    f.scheduler.advance(5e6 + 1);
    await until(() => flood.every((c) => c.closed), 'the silent flood to be closed');
  } finally {
    await f.done();
  }
});

test('per-address session cap: SETUP beyond it answers 453, another address still gets sessions, a TEARDOWN frees a place', async () => {
  const f = await setup({ maxSessionsPerAddress: 3 });
  try {
    const c = await f.connect();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await c.request('SETUP', `${f.url}/track1`, { Transport: 'RTP/AVP;unicast;client_port=5000-5001' });
      assert.equal(r.status, 200);
      ids.push(r.headers['session']!.split(';')[0]!);
    }
    assert.equal((await c.request('SETUP', `${f.url}/track1`, { Transport: 'RTP/AVP;unicast;client_port=5000-5001' })).status, 453);
    const other = await f.connect('127.0.0.2');
    assert.equal((await other.request('SETUP', `${f.url}/track1`, { Transport: 'RTP/AVP/TCP;unicast' })).status, 200);
    assert.equal((await c.request('TEARDOWN', f.url, { Session: ids[0]! })).status, 200);
    assert.equal((await c.request('SETUP', `${f.url}/track1`, { Transport: 'RTP/AVP;unicast;client_port=5000-5001' })).status, 200);
  } finally {
    await f.done();
  }
});

test('a pipelined flood from a client that never reads is cut; other clients are served meanwhile', async () => {
  const f = await setup();
  try {
    const flood = await f.connect();
    flood.socket.pause(); // never reads a response
    const one = Buffer.from(`OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\n`);
    flood.write(Buffer.concat(Array.from({ length: 20_000 }, () => one))); // 620 KB of requests at once
    const other = await f.connect();
    assert.equal((await other.request('DESCRIBE', f.url)).status, 200);
    await until(() => flood.closed, 'the flood to be cut', 5000);
  } finally {
    await f.done();
  }
});

test('a client that sends requests but never reads the responses is no longer read once its send queue is full (maxSendQueueBytes), then closed when idle', async () => {
  const f = await setup({ maxSendQueueBytes: 64 * 1024 });
  const big = 'x'.repeat(16 * 1024);
  f.server.parameterHandler = { get: () => big }; // a 16 KiB response per request
  let handled = 0;
  f.server.on('request', () => handled++);
  try {
    const c = await f.connect();
    c.socket.pause(); // never reads
    const batch = Buffer.from(`GET_PARAMETER ${f.url} RTSP/1.0\r\nCSeq: 1\r\nContent-Length: 1\r\n\r\nx`.repeat(32));
    // Batches below the pipelining cut, each once the last was handled, until the server stops taking them.
    let stalledAt = -1;
    for (let i = 0; i < 300 && stalledAt < 0; i++) {
      const before = handled;
      c.write(batch);
      const deadline = Date.now() + 1000;
      while (handled < before + 32 && Date.now() < deadline) await settle(2);
      if (handled < before + 32) stalledAt = handled;
    }
    assert.ok(stalledAt > 0, 'the server stopped reading requests');
    // Kernel buffers (both ways) and at most the queue limit hold the rest: nothing more is handled.
    await settle(1000);
    const unread = handled * (big.length + 200);
    assert.ok(handled - stalledAt <= 32, `${handled - stalledAt} handled after the stall`);
    const other = await f.connect();
    assert.equal((await other.request('OPTIONS', '*')).status, 200, 'others are served meanwhile');
    assert.equal(f.server.connectionCount, 2);
    f.scheduler.advance(30e6 + 1);
    // (The client, paused, may not notice; the server has let go of the connection.)
    await until(() => f.server.connectionCount === 0, `the non-reader to be closed as idle (${handled} requests, ~${(unread / 1e6).toFixed(1)} MB of responses unread)`);
  } finally {
    await f.done();
  }
});

test('control characters: a NUL in the URL\'s host or in a header is a 400, and the connection goes on', async () => {
  const f = await setup();
  const errors: unknown[] = [];
  f.server.on('error', (e) => errors.push(e));
  try {
    const c = await f.connect();
    const port = f.server.port;
    c.write(`DESCRIBE rtsp://127.0.0.1\0:${port}/s RTSP/1.0\r\nCSeq: 1\r\n\r\n`);
    assert.equal((await c.response()).status, 400);
    c.write(`DESCRIBE rtsp://127.0.0.1:${port}/s RTSP/1.0\r\nCSeq: 2\r\nRequire: a\0b\r\n\r\n`);
    assert.equal((await c.response()).status, 400);
    c.write(`OPTIONS rtsp://127.0.0.1:${port}/s\x01 RTSP/1.0\r\nCSeq: 3\r\n\r\n`);
    assert.equal((await c.response()).status, 400);
    assert.equal((await c.request('DESCRIBE', f.url)).status, 200);
    assert.deepEqual(errors, [], 'no internal error');
  } finally {
    await f.done();
  }
});

test('hostile: malformed requests pipelined behind a slow one count against the 64 unanswered requests (they used to queue their 400s without bound); a few are all answered', async () => {
  let release: () => void = () => undefined;
  let gate = new Promise<void>((r) => (release = r));
  const f = await setup({ accessCheck: async () => (await gate, true) });
  try {
    // A few: each gets its 400 once the slow request is answered, and the connection goes on.
    const few = await f.connect();
    few.write(`DESCRIBE ${f.url} RTSP/1.0\r\nCSeq: 1\r\n\r\n`);
    await settle(50);
    few.write('a\r\n\r\n'.repeat(10));
    await settle(50);
    release();
    assert.equal((await few.response()).status, 200);
    for (let i = 0; i < 10; i++) assert.equal((await few.response()).status, 400);
    assert.equal((await few.request('OPTIONS', '*')).status, 200);

    // A flood: 5 bytes each, thousands behind the slow request; the connection is cut.
    gate = new Promise<void>((r) => (release = r));
    const flood = await f.connect();
    flood.write(`DESCRIBE ${f.url} RTSP/1.0\r\nCSeq: 1\r\n\r\n`);
    await settle(50);
    flood.write('a\r\n\r\n'.repeat(20_000));
    await until(() => flood.closed, 'the flood to be cut');
    release();
    const other = await f.connect();
    assert.equal((await other.request('OPTIONS', '*')).status, 200, 'others are served');
  } finally {
    release();
    await f.done();
  }
});

test('maxSendQueueBytes must be a positive number: a string, zero, NaN or Infinity (no bound at all) is refused with ERR_SERVER_OPTION', () => {
  const scheduler = virtualScheduler();
  try {
    for (const bad of ['262144', 0, -1, Number.NaN, Number.POSITIVE_INFINITY, null]) {
      assert.throws(
        () => new RTSPServer({ scheduler, port: 0, maxSendQueueBytes: bad as number }),
        (e: unknown) => e instanceof Error && (e as { code?: string }).code === 'ERR_SERVER_OPTION' && e.message.includes('maxSendQueueBytes'),
        String(bad),
      );
    }
    void new RTSPServer({ scheduler, port: 0, maxSendQueueBytes: 64 * 1024 }).close();
  } finally {
    scheduler.close();
  }
});
