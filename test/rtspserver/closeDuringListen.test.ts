// close() while listen() is still under way (the host name being looked up, a port not bound yet)
// leaves nothing listening, and listen() settles: it rejects with ERR_SERVER_CLOSED instead of
// resolving with a port nobody serves, or never settling at all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BasicTaskScheduler, isDorsvrError } from '@dorsvr/scheduler';
import { HTTPTunnelListener, MetricsHTTPListener, RTSPServer, resolveMetricsOptions } from '@dorsvr/rtspserver';

/** TCP servers (listening sockets) this process holds. */
const listening = (): number => process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap').length;

/** How `p` settled within 2 s: 'resolved', the rejection's code, or 'pending'. */
async function outcome(p: Promise<unknown>): Promise<string> {
  const timeout = new Promise<string>((r) => setTimeout(() => r('pending'), 2000).unref());
  return Promise.race([p.then(() => 'resolved', (err: unknown) => (isDorsvrError(err) ? err.code : String(err))), timeout]);
}

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

test('MetricsHTTPListener and HTTPTunnelListener closed while listen() is under way: listen() rejects ERR_SERVER_CLOSED and no port stays open', async () => {
  const before = listening();
  const metrics = new MetricsHTTPListener(resolveMetricsOptions({ port: 0, host: 'localhost' }), () => '');
  const m = metrics.listen();
  await metrics.close();
  assert.equal(await outcome(m), 'ERR_SERVER_CLOSED');
  const scheduler = new BasicTaskScheduler();
  const tunnel = new HTTPTunnelListener({
    scheduler,
    tls: undefined,
    requestTimeoutSeconds: 5,
    maxConnections: 8,
    serverName: 'test',
    maxSendQueueBytes: 1 << 20,
    postFromAnyAddress: false,
    openTunnel: () => undefined,
  });
  const t = tunnel.listen(0, 'localhost');
  await tunnel.close();
  assert.equal(await outcome(t), 'ERR_SERVER_CLOSED');
  scheduler.close();
  await settle();
  assert.equal(listening(), before, 'a listener closed during listen() went on listening');
});

test('RTSPServer closed while listen() is under way (its RTSP port, its tunnel or metrics port being opened): listen() settles and nothing stays listening', async () => {
  const before = listening();
  // Closed at once: the RTSP port itself was not listening yet.
  const a = new RTSPServer({ port: 0, host: 'localhost' });
  const pa = a.listen();
  await a.close();
  assert.equal(await outcome(pa), 'ERR_SERVER_CLOSED');
  // Closed once the RTSP port listens, while the tunnel and metrics ports are being opened.
  for (let i = 0; i < 4; i++) {
    const s = new RTSPServer({ port: 0, host: 'localhost', httpPort: 0, metrics: { port: 0, host: 'localhost' } });
    const p = s.listen();
    for (let k = 0; k < 1000 && s.port === 0; k++) await new Promise((r) => setImmediate(r));
    assert.notEqual(s.port, 0);
    await s.close();
    assert.equal(await outcome(p), 'ERR_SERVER_CLOSED');
  }
  await settle();
  assert.equal(listening(), before, 'a server closed during listen() left ports listening');
});

test('RTSPServer.listen() called again while the first call is under way resolves with the same port, not 0', async () => {
  const s = new RTSPServer({ port: 0, host: '127.0.0.1' });
  try {
    const first = s.listen();
    const second = s.listen();
    const [a, b] = await Promise.all([first, second]);
    assert.notEqual(a, 0);
    assert.equal(b, a);
    assert.equal(await s.listen(), a, 'and once listening');
  } finally {
    await s.close();
  }
});
