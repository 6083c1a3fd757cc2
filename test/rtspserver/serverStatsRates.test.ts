// The statistics' clockwork on a virtual clock: bit rates are growth over a window (a burst then
// silence reads 0, not an average since the start), snapshots asked for more often than the window
// repeat the last window's rate, counters of ended sessions stay in the totals, and the 'stats'
// event runs on the server's scheduler only when statsIntervalMs is set (no timer otherwise, none
// after close).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualTaskScheduler } from '@dorsvr/scheduler';
import { RTSPServer, ServerStatsCollector, type RTSPClientSession, type RTSPServerStats, type SessionStats } from '@dorsvr/rtspserver';

/** A reader session whose one track's counters the test sets. */
function fakeSession(id: string): { session: RTSPClientSession; set: (packets: number, bytes: number) => void } {
  const counters = { packets: 0, bytes: 0 };
  const stats = (): SessionStats => ({
    tracks: { track1: { ...counters, fractionLost: undefined, cumulativeLost: undefined, jitterSeconds: undefined, rttSeconds: undefined, receiverReports: 0 } },
    ...counters,
  });
  const session = { id, closed: false, streamName: 'cam', remoteAddress: '127.0.0.1', transport: 'udp', playing: true, stats } as unknown as RTSPClientSession;
  return { session, set: (p, b) => Object.assign(counters, { packets: p, bytes: b }) };
}

test('rates are the growth over a window of at least a second, not totals; ended sessions stay in the totals', () => {
  const scheduler = new VirtualTaskScheduler();
  const sessions = new Map<string, RTSPClientSession>();
  const collector = new ServerStatsCollector({ scheduler, clientSessions: sessions, connectionCount: 1, streamCount: 1, publishedStreams: undefined });
  const a = fakeSession('A');
  sessions.set('A', a.session);
  collector.sessionCreated(a.session, false);
  const rate = (s: RTSPServerStats): number => s.readerSessions[0]!.tracks[0]!.bitsPerSecond;

  // 0.5 s in, 50 kB sent: before any window ended, the rate since the session began (800 kbit/s).
  scheduler.advance(500_000);
  a.set(50, 50_000);
  assert.equal(rate(collector.snapshot()), 800_000);
  // 1 s in, 100 kB: the first window ends here (800 kbit/s over it) and a new one starts.
  scheduler.advance(500_000);
  a.set(100, 100_000);
  let s = collector.snapshot();
  assert.equal(rate(s), 800_000);
  assert.equal(s.readerSessions[0]!.tracks[0]!.packetsPerSecond, 100);
  assert.equal(s.sentBitsPerSecond, 800_000);
  // A burst of 1 MB within the next 0.2 s: asked again inside the window, the last window's rate.
  scheduler.advance(200_000);
  a.set(1100, 1_100_000);
  assert.equal(rate(collector.snapshot()), 800_000);
  // The window ends 1 s after it began: 1 MB over it is 8 Mbit/s.
  scheduler.advance(800_000);
  assert.equal(rate(collector.snapshot()), 8_000_000);
  // Then silence: 0 over the next window, though the session's average is still high.
  scheduler.advance(1_000_000);
  s = collector.snapshot();
  assert.equal(rate(s), 0);
  assert.equal(s.sentBitsPerSecond, 0);
  assert.equal(s.readerSessions[0]!.bytes, 1_100_000);
  assert.equal(s.readerSessions[0]!.durationSeconds, 3);

  // The session ends: its counters move to the totals; the server-wide counter does not go back.
  sessions.delete('A');
  collector.sessionClosed(a.session, a.session.stats());
  s = collector.snapshot();
  assert.equal(s.readers, 0);
  assert.equal(s.totals.packetsSent, 1100);
  assert.equal(s.totals.bytesSent, 1_100_000);
  assert.equal(s.totals.readerSessions, 1);
  scheduler.close();
});

test("'stats' events run on the server's scheduler only with statsIntervalMs, and stop at close", async () => {
  const scheduler = new VirtualTaskScheduler();
  const quiet = new RTSPServer({ scheduler, port: 0, host: '127.0.0.1' });
  await quiet.listen();
  let quietEvents = 0;
  quiet.on('stats', () => quietEvents++);
  scheduler.advance(10_000_000);
  assert.equal(quietEvents, 0);
  await quiet.close();

  const pending = scheduler.pendingCount;
  const server = new RTSPServer({ scheduler, port: 0, host: '127.0.0.1', statsIntervalMs: 1000 });
  const events: RTSPServerStats[] = [];
  server.on('stats', (s) => events.push(s));
  scheduler.advance(5_000_000);
  assert.equal(events.length, 0, 'no events before listen()');
  await server.listen();
  assert.equal(scheduler.pendingCount, pending + 1, 'one timer for the stats event');
  scheduler.advance(3_500_000);
  assert.equal(events.length, 3);
  assert.equal(events[2]!.connections, 0);
  assert.equal(events[2]!.rateWindowSeconds, 1);
  await server.close();
  assert.equal(scheduler.pendingCount, pending, 'the stats timer is gone after close');
  scheduler.advance(3_000_000);
  assert.equal(events.length, 3);
  scheduler.close();
});
