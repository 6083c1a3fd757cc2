// The per-address connection cap counts TCP connections from accept, also under TLS (before the
// handshake) and on the RTSP-over-HTTP port: one address cannot hold every place of a server with
// connections it never speaks on. 127.0.0.2 stands for another client on loopback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { connect as connectTLS } from 'node:tls';
import { BasicTaskScheduler } from '@dorsvr/scheduler';
import { RTSPServer } from '@dorsvr/rtspserver';
import { makeTestCertificate } from '../helpers/tlsCertificate.js';

/** A TCP connection that sends nothing; resolves once connected. */
function silent(port: number, localAddress = '127.0.0.1'): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1', localAddress }, () => resolve(s));
    s.on('error', () => undefined);
    s.once('error', reject);
  });
}

/** Resolves true when `s` is closed by the server within `ms`, false when still open then. */
function closedWithin(s: Socket, ms: number): Promise<boolean> {
  if (s.destroyed || s.readableEnded) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    s.once('close', () => (clearTimeout(t), resolve(true)));
    s.once('end', () => (clearTimeout(t), resolve(true)));
    s.resume();
  });
}

/** One RTSP OPTIONS over TLS from `localAddress`: the status line of its answer. */
function optionsOverTLS(port: number, ca: string, localAddress: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const tcp = connect({ port, host: '127.0.0.1', localAddress });
    const s = connectTLS({ socket: tcp, ca, servername: 'localhost' }, () => {
      s.write(`OPTIONS rtsps://127.0.0.1:${port}/ RTSP/1.0\r\nCSeq: 1\r\n\r\n`);
    });
    let text = '';
    s.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      if (text.includes('\r\n\r\n')) {
        s.destroy();
        resolve(text.split('\r\n')[0]!);
      }
    });
    s.once('error', reject);
  });
}

test('hostile: under TLS, connections that never finish their handshake count against maxConnectionsPerAddress (one address could hold all maxConnections places), on the RTSPS and the HTTPS tunnel port; another address is served', async () => {
  const cert = makeTestCertificate();
  const scheduler = new BasicTaskScheduler();
  // Handshakes may take 30 s here: the cap, not the timeout, must be what refuses the 4th.
  const server = new RTSPServer({ scheduler, port: 0, host: '127.0.0.1', httpPort: 0, tls: { key: cert.key, cert: cert.cert }, maxConnectionsPerAddress: 3, requestTimeoutSeconds: 30 });
  const sockets: Socket[] = [];
  try {
    await server.listen();
    for (const port of [server.port, server.httpPort]) {
      const held = await Promise.all([silent(port), silent(port), silent(port)]);
      sockets.push(...held);
      const fourth = await silent(port);
      sockets.push(fourth);
      assert.equal(await closedWithin(fourth, 3000), true, `port ${port}: a 4th silent connection from one address is closed at accept`);
      for (const s of held) assert.equal(await closedWithin(s, 50), false, 'the three within the cap stay');
      // One of them goes: its place is free again.
      held[0]!.destroy();
      await new Promise((r) => setTimeout(r, 100));
      const again = await silent(port);
      sockets.push(again);
      assert.equal(await closedWithin(again, 300), false, 'a place freed by a closed connection is taken again');
    }
    assert.equal(await optionsOverTLS(server.port, cert.cert, '127.0.0.2'), 'RTSP/1.0 200 OK', 'another address is served');
  } finally {
    for (const s of sockets) s.destroy();
    await server.close();
    scheduler.close();
    cert.cleanup();
  }
});

test('hostile: on the plain RTSP-over-HTTP port too, connections whose head never comes count against maxConnectionsPerAddress (they were capped only by maxConnections)', async () => {
  const scheduler = new BasicTaskScheduler();
  const server = new RTSPServer({ scheduler, port: 0, host: '127.0.0.1', httpPort: 0, maxConnectionsPerAddress: 2, requestTimeoutSeconds: 30 });
  const sockets: Socket[] = [];
  try {
    await server.listen();
    sockets.push(await silent(server.httpPort), await silent(server.httpPort));
    const third = await silent(server.httpPort);
    sockets.push(third);
    assert.equal(await closedWithin(third, 3000), true, 'a 3rd silent connection from one address is closed at accept');
    const other = await silent(server.httpPort, '127.0.0.2');
    sockets.push(other);
    other.write('GET /x HTTP/1.0\r\nx-sessioncookie: abcdef\r\n\r\n');
    const answer = await new Promise<string>((resolve) => other.once('data', (d: Buffer) => resolve(d.toString('latin1'))));
    assert.match(answer, /^HTTP\/1\.0 200 OK/, 'another address opens a tunnel');
  } finally {
    for (const s of sockets) s.destroy();
    await server.close();
    scheduler.close();
  }
});
