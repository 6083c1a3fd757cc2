// The proxy's timing on the virtual clock (the back-end's I/O is real, on loopback): the
// reconnection back-off (doubling, capped, jittered by the injected random source), the no-RTP
// timeout, and the grace after the last reader.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BasicTaskScheduler, VirtualTaskScheduler } from '@dorsvr/scheduler';
import { ProxyServerMediaSession, proxyRetryDelayMs, type ProxyBackendState } from '@dorsvr/rtspclient';
import { fixture } from '../helpers/paths.js';
import { freePort, gatedOrigin } from './proxyHelpers.js';

test('proxyRetryDelayMs: 1, 2, 4, 8 s then the cap; the jitter spreads each delay by ±20 %', () => {
  const mid = () => 0.5;
  assert.deepEqual([0, 1, 2, 3, 4, 5, 40].map((n) => proxyRetryDelayMs(n, 1000, 10_000, 0.2, mid)), [1000, 2000, 4000, 8000, 10_000, 10_000, 10_000]);
  assert.equal(proxyRetryDelayMs(2, 1000, 10_000, 0.2, () => 0), 3200);
  assert.equal(proxyRetryDelayMs(2, 1000, 10_000, 0.2, () => 1), 4800);
  assert.equal(proxyRetryDelayMs(0, 1000, 10_000, 0, Math.random), 1000);
});

interface Timeline {
  events: Array<{ state: ProxyBackendState; at: number; why: string | undefined }>;
}

function watch(proxy: ProxyServerMediaSession, scheduler: VirtualTaskScheduler): Timeline {
  const t: Timeline = { events: [] };
  proxy.events.on('state', (state, why) => t.events.push({ state, at: scheduler.now(), why }));
  return t;
}

/** Advance the virtual clock in 50 ms steps (letting real I/O happen between) until `cond` or `maxUs`. */
async function advanceUntil(scheduler: VirtualTaskScheduler, cond: () => boolean, maxUs: number, what: string): Promise<void> {
  const end = scheduler.now() + maxUs;
  for (let turns = 0; !cond(); turns++) {
    assert.ok(scheduler.now() < end && turns < 100_000, `virtual clock passed ${maxUs / 1e6} s without ${what}`);
    await new Promise((r) => setTimeout(r, 2));
    if (cond()) break;
    scheduler.advance(50_000);
  }
}

test('a refused back-end is retried after 1, 2, 4, 8, 10, 10 s (virtual clock), each delay jittered by the injected random source', async () => {
  const port = await freePort(); // nothing listens: every connection is refused at once
  const scheduler = new VirtualTaskScheduler(1_000_000);
  const randoms = [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0, 1];
  let i = 0;
  const proxy = new ProxyServerMediaSession('p', `rtsp://127.0.0.1:${port}/x`, { scheduler, eager: true, random: () => randoms[i++ % randoms.length]!, requestTimeoutMs: 60_000 });
  const t = watch(proxy, scheduler);
  try {
    const connects = () => t.events.filter((e) => e.state === 'connecting').length;
    await advanceUntil(scheduler, () => connects() >= 9, 120_000_000, '9 attempts');
    const gaps: number[] = [];
    for (let k = 0; k + 1 < t.events.length; k++) {
      const e = t.events[k]!;
      const next = t.events[k + 1]!;
      if (e.state === 'retrying' && next.state === 'connecting') gaps.push((next.at - e.at) / 1000);
    }
    // A 50 ms step may run a due task late by less than a step: the task itself runs at its due time.
    assert.deepEqual(gaps.slice(0, 8), [1000, 2000, 4000, 8000, 10_000, 10_000, 8000, 12_000]);
    assert.match(t.events.find((e) => e.state === 'retrying')!.why!, /retry in 1\.0 s/);
    assert.equal(proxy.stats.failedAttempts >= 8, true);
    assert.equal(proxy.stats.reconnects, 0);
  } finally {
    proxy.close();
  }
  assert.equal(proxy.state, 'closed');
});

test('a live back-end that sends no RTP for 5 s is reconnected; a DESCRIBE opens the back-end and it closes 10 s after (no reader), and a later DESCRIBE opens it again (virtual clock)', async () => {
  const originScheduler = new BasicTaskScheduler();
  const origin = await gatedOrigin(originScheduler, fixture('test.264')); // never opened: no RTP
  const scheduler = new VirtualTaskScheduler(1_000_000);
  const proxy = new ProxyServerMediaSession('p', origin.url, { scheduler, transport: 'tcp', random: () => 0.5 });
  const t = watch(proxy, scheduler);
  try {
    assert.equal(proxy.state, 'idle');
    const sdp = await proxy.generateSDPDescription('127.0.0.1'); // a DESCRIBE
    assert.match(sdp, /a=rtpmap:96 H264\/90000/);
    assert.match(sdp, /a=fmtp:96 .*sprop-parameter-sets=/, sdp);
    assert.equal(proxy.state, 'live');
    const liveAt = scheduler.now();
    await advanceUntil(scheduler, () => proxy.state === 'retrying', 10_000_000, 'the no-RTP timeout');
    const failedAt = t.events.find((e) => e.state === 'retrying')!;
    assert.match(failedAt.why!, /no RTP from the back-end for 5 s/);
    assert.ok(failedAt.at - liveAt >= 5_000_000 && failedAt.at - liveAt <= 5_600_000, `${failedAt.at - liveAt} µs`);
    // No reader ever set up: 10 s after the DESCRIBE the back-end is closed, retry or not.
    await advanceUntil(scheduler, () => proxy.state === 'idle', 10_000_000, 'the grace to run out');
    const idle = t.events.find((e) => e.state === 'idle')!;
    assert.ok(idle.at - liveAt >= 10_000_000 && idle.at - liveAt <= 10_600_000, `${idle.at - liveAt} µs`);
    assert.equal(proxy.client, undefined);
    const before = origin.setups;
    const reconnects = proxy.stats.reconnects; // the one after the no-RTP failure, if its retry came before the grace ran out
    await proxy.generateSDPDescription('127.0.0.1');
    assert.equal(proxy.state, 'live');
    assert.equal(origin.setups, before + 1);
    assert.equal(proxy.stats.reconnects, reconnects, 'opened again after the grace: not a reconnection');
  } finally {
    proxy.close();
    await origin.close();
    originScheduler.close();
  }
});

test('an eager proxy stays connected with no reader; close() ends it', async () => {
  const originScheduler = new BasicTaskScheduler();
  const origin = await gatedOrigin(originScheduler, fixture('test.264'));
  const scheduler = new VirtualTaskScheduler(1_000_000);
  const proxy = new ProxyServerMediaSession('p', origin.url, { scheduler, eager: true, noDataTimeoutMs: 3_600_000 });
  try {
    await advanceUntil(scheduler, () => proxy.state === 'live', 5_000_000, 'eager connection');
    scheduler.advance(60_000_000);
    assert.equal(proxy.state, 'live');
    assert.equal(origin.setups, 1);
  } finally {
    proxy.close();
    await origin.close();
    originScheduler.close();
  }
});
