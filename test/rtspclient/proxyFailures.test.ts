// What makes the proxy reconnect, each on its own: a keep-alive the back-end refuses (454 after
// its session went away, while the connection and everything else stay up), and the back-end's
// RTCP BYE (our server's, at the end of a file).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type Socket } from 'node:net';
import { BasicTaskScheduler } from '@dorsvr/scheduler';
import { defaultStreamTransportFactory, H264VideoFileServerMediaSubsession, ServerMediaSession, type StreamTransportFactory } from '@dorsvr/livemedia';
import { RTSPClient } from '@dorsvr/rtspclient';
import { RTSPServer } from '@dorsvr/rtspserver';
import { fixture } from '../helpers/paths.js';
import { gatedOrigin, proxyServer, waitFor } from './proxyHelpers.js';

/** A TCP forwarder to `port` whose connections the test can cut (`cut()`), as a NAT or a server might. */
async function forwarder(port: number): Promise<{ port: number; connections: number; cut(): void; close(): void }> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createServer((client) => {
    connections++;
    const upstream = connect(port, '127.0.0.1');
    for (const [a, b] of [[client, upstream], [upstream, client]] as const) {
      sockets.add(a);
      a.on('data', (d) => b.write(d));
      a.on('close', () => b.destroy());
      a.on('error', () => b.destroy());
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    get connections() {
      return connections;
    },
    cut: () => {
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    close: () => {
      server.close();
      for (const s of sockets) s.destroy();
    },
  };
}

test('a keep-alive refused by the back-end (454: its session is gone) makes the proxy reconnect', async () => {
  const scheduler = new BasicTaskScheduler();
  // Session timeout 2 s: the back-end client keeps alive every second.
  const origin = new RTSPServer({ scheduler, port: 0, host: '127.0.0.1', reclamationSeconds: 2 });
  let setups = 0;
  class Counted extends H264VideoFileServerMediaSubsession {
    override getStreamParameters(...args: Parameters<H264VideoFileServerMediaSubsession['getStreamParameters']>) {
      setups++;
      return super.getStreamParameters(...args);
    }
  }
  const sms = () => new ServerMediaSession('cam').addSubsession(new Counted(fixture('test.264'), { scheduler }));
  origin.addServerMediaSession(sms());
  await origin.listen();
  const px = await proxyServer(scheduler, `rtsp://127.0.0.1:${origin.port}/cam`, 'p', { transport: 'tcp', eager: true, noDataTimeoutMs: 3_600_000, random: () => 0.5 });
  const states: string[] = [];
  px.proxy.events.on('state', (s, why) => states.push(why === undefined ? s : `${s}: ${why}`));
  try {
    await waitFor(() => px.proxy.state === 'live', 10_000, 'live');
    // The stream stays served (a new session would be set up), but this session is closed by the server.
    origin.removeServerMediaSession('cam');
    origin.addServerMediaSession(sms());
    await waitFor(() => states.some((s) => s.startsWith('retrying')), 10_000, `a retry (states: ${states.join(' | ')})`);
    assert.match(states.find((s) => s.startsWith('retrying'))!, /^retrying: (GET_PARAMETER|OPTIONS) \S+: 454 /, states.join(' | '));
    await waitFor(() => px.proxy.stats.reconnects === 1 && px.proxy.state === 'live', 10_000, 'live again');
    assert.equal(setups, 2);
  } finally {
    await px.close();
    await origin.close();
    scheduler.close();
  }
});

test('the back-end\'s RTCP BYE (the end of its file) makes the proxy reconnect after the first back-off delay', async () => {
  const scheduler = new BasicTaskScheduler();
  const origin = await gatedOrigin(scheduler, fixture('test.264')); // 2 s, then BYE
  const px = await proxyServer(scheduler, origin.url, 'p', { transport: 'udp', eager: true, random: () => 0.5, retryInitialMs: 300 });
  const states: string[] = [];
  px.proxy.events.on('state', (s, why) => states.push(why === undefined ? s : `${s}: ${why}`));
  try {
    await waitFor(() => px.proxy.state === 'live', 10_000, 'live');
    origin.open();
    await waitFor(() => states.some((s) => s.startsWith('retrying')), 10_000, 'the BYE');
    assert.equal(states.find((s) => s.startsWith('retrying')), 'retrying: the back-end sent an RTCP BYE; retry in 0.3 s');
    await waitFor(() => px.proxy.stats.reconnects === 1, 10_000, 'the reconnection');
    assert.equal(origin.setups, 2);
  } finally {
    await px.close();
    await origin.close();
    scheduler.close();
  }
});

test('a back-end whose RTSP connection is cut after PLAY while its UDP stream goes on: no reconnection (it answers on a new connection), the stream goes on', async () => {
  const scheduler = new BasicTaskScheduler();
  const origin = await gatedOrigin(scheduler, fixture('test.264'));
  const fwd = await forwarder(origin.server.port);
  const px = await proxyServer(scheduler, `rtsp://127.0.0.1:${fwd.port}/origin`, 'p', { transport: 'udp', eager: true, random: () => 0.5 });
  const states: string[] = [];
  px.proxy.events.on('state', (s) => states.push(s));
  try {
    await waitFor(() => px.proxy.state === 'live', 10_000, 'live');
    origin.open();
    await waitFor(() => (px.proxy.tracks[0]?.stats.packetsReceived ?? 0) > 20, 10_000, 'packets');
    fwd.cut();
    await waitFor(() => fwd.connections === 2, 5000, 'the proxy to connect again to ask');
    const before = px.proxy.tracks[0]!.stats.packetsReceived;
    await waitFor(() => px.proxy.tracks[0]!.stats.packetsReceived > before + 20, 5000, 'the stream to go on');
    assert.deepEqual(states, ['connecting', 'live']);
    assert.equal(origin.setups, 1);
  } finally {
    await px.close();
    fwd.close();
    await origin.close();
    scheduler.close();
  }
});

/** Our server's transports, except that RTP for UDP clients is never sent (a NAT eating it). */
const udpBlackhole: StreamTransportFactory = {
  create(request) {
    const t = defaultStreamTransportFactory.create(request);
    if (request.udp) t.addDestination = () => undefined;
    return t;
  },
};

test('back-end transport auto (default timeouts: fallback 5 s, no data 5 s): UDP that never arrives falls back to TCP inside the same proxy session, not a reconnection; the player gets the stream', async () => {
  const scheduler = new BasicTaskScheduler();
  const origin = new RTSPServer({ scheduler, port: 0, host: '127.0.0.1' });
  origin.addServerMediaSession(new ServerMediaSession('cam').addSubsession(new H264VideoFileServerMediaSubsession(fixture('test.264'), { scheduler, transportFactory: udpBlackhole })));
  await origin.listen();
  const px = await proxyServer(scheduler, `rtsp://127.0.0.1:${origin.port}/cam`, 'p', { transport: 'auto' });
  const states: string[] = [];
  px.proxy.events.on('state', (s) => states.push(s));
  const player = new RTSPClient(px.url, { scheduler, transport: 'udp' });
  try {
    const session = await player.describe();
    const sub = session.subsessions[0]!;
    await player.setup(sub);
    let frames = 0;
    sub.on('frame', () => frames++);
    await player.play();
    await waitFor(() => frames >= 20, 15_000, 'frames through the proxy');
    assert.equal(px.proxy.client?.fellBackToTCP, true);
    assert.equal(px.proxy.client?.session?.subsessions[0]?.transport?.mode, 'tcp');
    assert.deepEqual(states, ['connecting', 'live']);
  } finally {
    await player.close();
    await px.close();
    await origin.close();
    scheduler.close();
  }
});
