// Fail closed: a client timeout that is not a positive finite number is refused with
// ERR_RTSP_CLIENT_OPTION. Infinity, NaN or a string (from a config file or an environment variable)
// used to be taken as given and meant no timeout at all: `NaN * 1000` or `Infinity` as a delay never
// fires, so a server that never answers held the request (and its socket) forever.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualTaskScheduler, isDorsvrError } from '@dorsvr/scheduler';
import { RTSPSessionRegistry, type RTSPSessionRegistryOptions } from '@dorsvr/rtspserver';
import { ProxyServerMediaSession, RTSPClient, type ProxyServerMediaSessionOptions, type RTSPClientOptions } from '@dorsvr/rtspclient';

const BAD: unknown[] = [Number.POSITIVE_INFINITY, Number.NaN, '5000', 0, -1, null, true];
const isOptionError = (name: string) => (e: unknown) => isDorsvrError(e, 'ERR_RTSP_CLIENT_OPTION') && e.message.includes(name);

test('RTSPClient refuses a timeout that is not a positive finite number: requestTimeoutMs, connectTimeoutMs, fallbackTimeoutMs, teardownTimeoutMs, keepAliveIntervalMs', async () => {
  const scheduler = new VirtualTaskScheduler();
  for (const name of ['requestTimeoutMs', 'connectTimeoutMs', 'fallbackTimeoutMs', 'teardownTimeoutMs', 'keepAliveIntervalMs'] as const) {
    for (const bad of BAD) {
      assert.throws(() => new RTSPClient('rtsp://127.0.0.1/x', { scheduler, [name]: bad } as unknown as RTSPClientOptions), isOptionError(name), `${name}: ${String(bad)}`);
    }
    for (const good of [1, 2500.5, undefined]) await new RTSPClient('rtsp://127.0.0.1/x', { scheduler, [name]: good }).close();
  }
  // The per-request timeout of request(): refused before anything is sent.
  const client = new RTSPClient('rtsp://127.0.0.1:1/x', { scheduler });
  for (const bad of BAD) {
    await assert.rejects(client.request('OPTIONS', '*', {}, undefined, bad as number), isOptionError('timeoutMs'), String(bad));
  }
  await client.close();
  scheduler.close();
});

test('ProxyServerMediaSession refuses the same at construction (not later, when its back-end client is made): requestTimeoutMs, fallbackTimeoutMs, noDataTimeoutMs', () => {
  const scheduler = new VirtualTaskScheduler();
  for (const name of ['requestTimeoutMs', 'fallbackTimeoutMs', 'noDataTimeoutMs'] as const) {
    for (const bad of BAD) {
      assert.throws(
        () => new ProxyServerMediaSession('p', 'rtsp://127.0.0.1/x', { scheduler, [name]: bad } as unknown as ProxyServerMediaSessionOptions),
        isOptionError(name),
        `${name}: ${String(bad)}`,
      );
    }
    for (const good of [1, 30_000, undefined]) new ProxyServerMediaSession('p', 'rtsp://127.0.0.1/x', { scheduler, [name]: good }).close();
  }
  scheduler.close();
});

test('ProxyServerMediaSession refuses bad relay limits at construction, not once the back-end answered: maxTracks, maxReaders (positive integers), keyFrameWaitUs, byeDelayUs (finite, >= 0)', () => {
  const scheduler = new VirtualTaskScheduler();
  for (const name of ['maxTracks', 'maxReaders', 'keyFrameWaitUs', 'byeDelayUs'] as const) {
    const count = name === 'maxTracks' || name === 'maxReaders';
    for (const bad of ['abc', Number.NaN, -1, Number.POSITIVE_INFINITY, null, ...(count ? [0, 1.5] : [])]) {
      assert.throws(
        () => new ProxyServerMediaSession('p', 'rtsp://127.0.0.1/x', { scheduler, [name]: bad } as unknown as ProxyServerMediaSessionOptions),
        isOptionError(name),
        `${name}: ${String(bad)}`,
      );
    }
    for (const good of [1, 30_000, undefined]) new ProxyServerMediaSession('p', 'rtsp://127.0.0.1/x', { scheduler, [name]: good }).close();
  }
  scheduler.close();
});

test('RTSPSessionRegistry (exported, usable without RTSPServer) refuses a reclamationSeconds or maxSessions that is not a positive finite number (NaN: sessions never reclaimed, no limit)', () => {
  const scheduler = new VirtualTaskScheduler();
  const base: RTSPSessionRegistryOptions = { reclamationSeconds: 65, maxSessions: 10, onClosed: () => {}, onError: () => {} };
  for (const name of ['reclamationSeconds', 'maxSessions'] as const) {
    for (const bad of BAD) {
      assert.throws(
        () => new RTSPSessionRegistry(scheduler, { ...base, [name]: bad } as unknown as RTSPSessionRegistryOptions),
        (e: unknown) => isDorsvrError(e, 'ERR_SERVER_OPTION') && e.message.includes(name),
        `${name}: ${String(bad)}`,
      );
    }
  }
  void new RTSPSessionRegistry(scheduler, base);
  scheduler.close();
});
