// The metrics endpoint's answer to a client that does not read it: the connection (and the answer
// it holds in memory) goes after the endpoint's idle deadline, instead of lasting as long as the
// client likes while it takes one of the few connections the endpoint allows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { MetricsHTTPListener, resolveMetricsOptions } from '@dorsvr/rtspserver';

test('metrics: a client that asks for /metrics and stops reading is disconnected after the idle deadline (2 × headersTimeoutMs), its answer cut short', async () => {
  // An answer far larger than the loopback socket buffers can take, so that most of it waits.
  const big = `${'# '.padEnd(1023, 'x')}\n`.repeat(48 * 1024);
  const listener = new MetricsHTTPListener(resolveMetricsOptions({ port: 0, headersTimeoutMs: 300 }), () => big);
  const port = await listener.listen();
  try {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined); // a reset is what is expected
    socket.pause(); // not reading…
    socket.write('GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise((r) => setTimeout(r, 2500)); // …for 4 × the deadline
    let received = 0;
    const ended = await new Promise<boolean>((resolve) => {
      const t = setTimeout(() => resolve(false), 10_000);
      socket.on('data', (d: Buffer) => (received += d.length));
      socket.once('close', () => {
        clearTimeout(t);
        resolve(true);
      });
      socket.resume();
    });
    socket.destroy();
    assert.ok(ended, `the connection stayed open (${received} bytes read once the client read again)`);
    assert.ok(received < big.length, `the whole answer (${received} bytes) was kept for a client that did not read it`);
  } finally {
    await listener.close();
  }
});
