// Fail closed: a limit option that is not a positive number is refused at construction. NaN, a
// string from a config file or an environment variable, 0, a negative or an infinite number used to
// be taken as given, and most of them meant no limit at all: maxRequestSize NaN let a request line
// grow without bound (every `length > NaN` is false), maxSessions NaN let sessions grow without bound.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualTaskScheduler, isDorsvrError } from '@dorsvr/scheduler';
import { RTSPServer, type RTSPServerOptions } from '@dorsvr/rtspserver';

test('RTSPServer refuses a limit that is not a positive finite number (ERR_SERVER_OPTION): maxConnections, maxSessions, maxRequestSize, nonceLifetimeSeconds, reclamationSeconds', () => {
  const scheduler = new VirtualTaskScheduler();
  for (const name of ['maxConnections', 'maxSessions', 'maxRequestSize', 'nonceLifetimeSeconds', 'reclamationSeconds'] as const) {
    for (const bad of [Number.NaN, '1000', 0, -1, Number.POSITIVE_INFINITY, null, true]) {
      assert.throws(
        () => new RTSPServer({ scheduler, port: 0, [name]: bad } as unknown as RTSPServerOptions),
        (e: unknown) => isDorsvrError(e, 'ERR_SERVER_OPTION') && e.message.includes(name),
        `${name}: ${String(bad)}`,
      );
    }
    for (const good of [1, 30, undefined]) void new RTSPServer({ scheduler, port: 0, [name]: good }).close();
  }
  // maxRequestSize sizes each connection's RTSPParser, which refuses a fraction: refused here, once.
  assert.throws(
    () => new RTSPServer({ scheduler, port: 0, maxRequestSize: 1000.5 }),
    (e: unknown) => isDorsvrError(e, 'ERR_SERVER_OPTION') && e.message.includes('maxRequestSize'),
  );
  scheduler.close();
});
