import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'eventemitter3';
import {
  RTCPInstance,
  parseRTCP,
  serializeRTCP,
  ntpMiddle32,
  ntpFromUnixMicros,
  type RTCPPacket,
  type RTCPReceptionReport,
  type RTCPReportBlock,
  type RTCPSenderInfo,
  type NTPTimestamp,
} from '@dorsvr/livemedia';
import { VirtualTaskScheduler } from '@dorsvr/scheduler';

const COMP = Math.E - 1.5;

class FakeTransport extends EventEmitter<{ packet: [data: Uint8Array] }> {
  readonly sent: { t: number; packets: RTCPPacket[] }[] = [];
  constructor(private readonly sched: VirtualTaskScheduler) {
    super();
  }
  send(chunks: readonly Uint8Array[]): boolean {
    assert.equal(chunks.length, 1);
    this.sent.push({ t: this.sched.now(), packets: parseRTCP(chunks[0]!) });
    return true;
  }
}

function makeSink(): { ssrc: number; packetCount: number; octetCount: number; rtpTimestampFrequency: number; rtpTimestampAt(n: number): number } {
  return {
    ssrc: 0x11111111,
    packetCount: 0,
    octetCount: 0,
    rtpTimestampFrequency: 90_000,
    rtpTimestampAt: (nowUs: number) => (5000 + Math.floor((nowUs * 9) / 100)) >>> 0,
  };
}

/** A seeded PRNG so "random" intervals are reproducible. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4_294_967_296);
}

test('sender: first SR after 2.5 s / 1.21828, then every 5 s / 1.21828 (random fixed at the middle)', () => {
  const sched = new VirtualTaskScheduler();
  const tr = new FakeTransport(sched);
  const sink = makeSink();
  sink.packetCount = 10;
  sink.octetCount = 12_000;
  const rtcp = new RTCPInstance({ scheduler: sched, rtcpInterface: tr, sink, cname: 'me@host', random: () => 0.5 });
  sched.advance(30_000_000);
  const times = tr.sent.map((s) => s.t);
  const first = Math.round(2_500_000 / COMP);
  const step = Math.round(5_000_000 / COMP);
  assert.equal(times[0], first);
  for (let i = 1; i < times.length; i++) assert.equal(times[i]! - times[i - 1]!, step, `interval ${i}`);
  assert.equal(times.length, 1 + Math.floor((30_000_000 - first) / step));
  const [sr, sdes] = tr.sent[0]!.packets;
  assert.equal(sr?.type, 'sr');
  if (sr?.type === 'sr') {
    assert.equal(sr.ssrc, 0x11111111);
    assert.equal(sr.packetCount, 10);
    assert.equal(sr.octetCount, 12_000);
    assert.deepEqual(sr.ntp, ntpFromUnixMicros(sched.wallClockUs() - sched.now() + first));
    assert.equal(sr.rtpTimestamp, sink.rtpTimestampAt(first));
  }
  assert.deepEqual(sdes, { type: 'sdes', chunks: [{ ssrc: 0x11111111, items: [{ type: 1, value: 'me@host' }] }] });
  rtcp.close();
  sched.close();
});

test('intervals are randomised over [0.5, 1.5] × 5 s / 1.21828; with reconsideration the mean is 5 s', () => {
  const sched = new VirtualTaskScheduler();
  const tr = new FakeTransport(sched);
  const rtcp = new RTCPInstance({ scheduler: sched, rtcpInterface: tr, cname: 'r', random: lcg(42) });
  sched.advance(4_000_000_000);
  const gaps = tr.sent.slice(1).map((s, i) => s.t - tr.sent[i]!.t);
  assert.ok(gaps.length > 700, `${gaps.length} reports`);
  const lo = (0.5 * 5_000_000) / COMP;
  const hi = (1.5 * 5_000_000) / COMP;
  for (const g of gaps) assert.ok(g >= lo - 1 && g <= hi + 1, `gap ${g}`);
  assert.ok(Math.min(...gaps) < lo * 1.3 && Math.max(...gaps) > hi * 0.95, 'the range is used');
  // Timer reconsideration redraws T at expiry and waits when tp + T is still ahead, which lengthens
  // the mean; the 1/(e − 3/2) compensation exists to bring it back to the nominal 5 s (RFC 3550 A.7).
  const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
  assert.ok(Math.abs(mean / 5_000_000 - 1) < 0.05, `mean ${mean}`);
  // A receiver-only instance sends RRs.
  assert.equal(tr.sent[0]!.packets[0]!.type, 'rr');
  rtcp.close();
});

test('maxIntervalUs caps the randomised interval (cameras that want an RR at least every 5 s)', () => {
  const sched = new VirtualTaskScheduler();
  const tr = new FakeTransport(sched);
  const rtcp = new RTCPInstance({ scheduler: sched, rtcpInterface: tr, cname: 'r', random: lcg(7), maxIntervalUs: 5_000_000 });
  sched.advance(600_000_000);
  const gaps = tr.sent.slice(1).map((s, i) => s.t - tr.sent[i]!.t);
  assert.ok(gaps.length > 100);
  assert.ok(Math.max(...gaps) <= 5_000_000, `max gap ${Math.max(...gaps)}`);
  assert.ok(Math.min(...gaps) >= (0.5 * 5_000_000) / COMP - 1);
  rtcp.close();
});

test('an RR about our stream gives loss, jitter in seconds and RTT from LSR/DLSR against our SR', () => {
  const sched = new VirtualTaskScheduler();
  const tr = new FakeTransport(sched);
  const sink = makeSink();
  sink.packetCount = 1;
  const rtcp = new RTCPInstance({ scheduler: sched, rtcpInterface: tr, sink, cname: 's', random: () => 0.5 });
  const reports: RTCPReceptionReport[] = [];
  rtcp.on('rr', (r) => reports.push(r));
  sched.advance(2_100_000);
  const sr = tr.sent[0]!.packets[0]!;
  assert.equal(sr.type, 'sr');
  const lsr = sr.type === 'sr' ? ntpMiddle32(sr.ntp) : 0;
  const block = (lastSR: number): RTCPReportBlock => ({
    ssrc: sink.ssrc,
    fractionLost: 64,
    cumulativeLost: 7,
    extendedHighestSeq: 0x10002,
    jitter: 900,
    lastSR,
    delaySinceLastSR: 16_384, // 0.25 s held at the receiver
  });
  // Arrives 400 ms after our SR was sent: RTT = 0.4 − 0.25 = 0.15 s.
  const sentAt = tr.sent[0]!.t;
  sched.advance(sentAt + 400_000 - sched.now());
  const from = { address: '127.0.0.1', port: 5001 };
  rtcp.injectPacket(serializeRTCP([{ type: 'rr', ssrc: 0x2222, reports: [block(lsr), { ...block(lsr), ssrc: 0x999 }] }]), undefined, from);
  assert.equal(reports.length, 1, 'only the block about our SSRC');
  const r = reports[0]!;
  assert.equal(r.reporterSSRC, 0x2222);
  assert.equal(r.from, from, 'the sender address travels with the report');
  assert.equal(r.fractionLost, 0.25);
  assert.equal(r.cumulativeLost, 7);
  assert.equal(r.jitterSeconds, 0.01);
  assert.ok(Math.abs(r.rttSeconds! - 0.15) < 1e-6, `rtt ${r.rttSeconds}`);
  assert.equal(rtcp.lastReceiverReports.get(0x2222), r);
  // An LSR that is none of our SRs gives no RTT; LSR 0 neither.
  rtcp.injectPacket(serializeRTCP([{ type: 'rr', ssrc: 0x2222, reports: [block((lsr + 5) >>> 0)] }]));
  rtcp.injectPacket(serializeRTCP([{ type: 'rr', ssrc: 0x2222, reports: [block(0)] }]));
  assert.equal(reports[1]!.rttSeconds, undefined);
  assert.equal(reports[2]!.rttSeconds, undefined);
  rtcp.close();
});

test('receiver side: SR feeds the source, report blocks come from it, BYE/APP/SDES become events', () => {
  const sched = new VirtualTaskScheduler();
  const tr = new FakeTransport(sched);
  const noted: [number, NTPTimestamp, number, number][] = [];
  const byes: number[] = [];
  const myBlock: RTCPReportBlock = {
    ssrc: 0xabc, fractionLost: 3, cumulativeLost: 1, extendedHighestSeq: 77, jitter: 5, lastSR: 0, delaySinceLastSR: 0,
  };
  const source = {
    makeReportBlocks: () => [myBlock],
    noteSenderReport: (s: number, ntp: NTPTimestamp, ts: number, at: number) => void noted.push([s, ntp, ts, at]),
    handleBye: (s: number) => void byes.push(s),
  };
  const rtcp = new RTCPInstance({ scheduler: sched, rtcpInterface: tr, source, cname: 'c', ssrc: 0x5555, random: () => 0.5 });
  const srs: RTCPSenderInfo[] = [];
  const events: string[] = [];
  rtcp.on('sr', (i) => srs.push(i));
  rtcp.on('bye', (b) => events.push(`bye ${b.ssrcs.join()} ${b.reason}`));
  rtcp.on('app', (a) => events.push(`app ${a.name}`));
  sched.advance(1_000_000);
  const ntp = ntpFromUnixMicros(1_700_000_000_000_000);
  tr.emit(
    'packet',
    serializeRTCP([
      { type: 'sr', ssrc: 0xabc, ntp, rtpTimestamp: 1234, packetCount: 5, octetCount: 500, reports: [] },
      { type: 'sdes', chunks: [{ ssrc: 0xabc, items: [{ type: 1, value: 'cam@x' }] }] },
      { type: 'app', subtype: 1, ssrc: 0xabc, name: 'ABCD', data: new Uint8Array(4) },
    ]),
  );
  assert.deepEqual(noted, [[0xabc, ntp, 1234, 1_000_000]]);
  assert.equal(srs[0]!.wallClockUs, 1_700_000_000_000_000);
  assert.equal(rtcp.cnames.get(0xabc), 'cam@x');
  assert.equal(rtcp.senders, 1);
  sched.advance(2_000_000);
  const rr = tr.sent[0]!.packets[0]!;
  assert.deepEqual(rr, { type: 'rr', ssrc: 0x5555, reports: [myBlock] });
  tr.emit('packet', serializeRTCP([{ type: 'rr', ssrc: 0xabc, reports: [] }, { type: 'bye', ssrcs: [0xabc], reason: 'done' }]));
  assert.deepEqual(byes, [0xabc]);
  assert.deepEqual(events, ['app ABCD', 'bye 2748 done']);
  assert.equal(rtcp.members, 1);
  rtcp.close();
});

test('liveness: RTCP every 5 s keeps it alive; silence raises timeout once, at the timeout', () => {
  const sched = new VirtualTaskScheduler();
  const tr = new FakeTransport(sched);
  let calls = 0;
  const timeouts: number[] = [];
  const rtcp = new RTCPInstance({
    scheduler: sched, rtcpInterface: tr, cname: 'x', livenessTimeoutUs: 10_000_000, onTimeout: () => calls++,
  });
  rtcp.on('timeout', () => timeouts.push(sched.now()));
  const rr = serializeRTCP([{ type: 'rr', ssrc: 7, reports: [] }]);
  for (let i = 0; i < 6; i++) {
    sched.advance(5_000_000);
    tr.emit('packet', rr);
  }
  assert.deepEqual(timeouts, []);
  // Malformed packets are not a sign of life.
  let malformed = 0;
  rtcp.on('malformed', () => malformed++);
  sched.advance(5_000_000);
  tr.emit('packet', Uint8Array.of(1, 2, 3));
  sched.advance(20_000_000);
  assert.equal(malformed, 1);
  assert.equal(rtcp.malformedPackets, 1);
  assert.deepEqual(timeouts, [40_000_000]);
  assert.equal(calls, 1);
  // Another sign of life re-arms it.
  rtcp.noteLiveness();
  sched.advance(10_000_000);
  assert.deepEqual(timeouts, [40_000_000, 65_000_000]);
  rtcp.close();
});

test('close sends a report then BYE with the reason, once, and leaves nothing scheduled', () => {
  const sched = new VirtualTaskScheduler();
  const tr = new FakeTransport(sched);
  const sink = makeSink();
  sink.packetCount = 3;
  const rtcp = new RTCPInstance({ scheduler: sched, rtcpInterface: tr, sink, cname: 'x', livenessTimeoutUs: 65_000_000 });
  sched.advance(1_000);
  rtcp.close('teardown');
  rtcp.close();
  assert.equal(tr.sent.length, 1);
  assert.deepEqual(tr.sent[0]!.packets.map((p) => p.type), ['sr', 'sdes', 'bye']);
  assert.deepEqual(tr.sent[0]!.packets[2], { type: 'bye', ssrcs: [0x11111111], reason: 'teardown' });
  // Nothing left scheduled: running until idle does not move the clock.
  const t = sched.now();
  sched.runUntilIdle();
  assert.equal(sched.now(), t);
  assert.equal(tr.listenerCount('packet'), 0);
  sched.advance(100_000_000);
  assert.equal(tr.sent.length, 1);
});

test('a large group stretches the interval (RFC 3550 A.7 bandwidth share)', () => {
  const sched = new VirtualTaskScheduler();
  const tr = new FakeTransport(sched);
  const rtcp = new RTCPInstance({ scheduler: sched, rtcpInterface: tr, cname: 'x', random: () => 0.5, totalSessionBandwidthKbps: 64 });
  sched.advance(3_000_000);
  for (let s = 1; s <= 300; s++) tr.emit('packet', serializeRTCP([{ type: 'rr', ssrc: s, reports: [] }]));
  assert.equal(rtcp.members, 301);
  const before = tr.sent.length;
  const t0 = tr.sent[before - 1]!.t;
  sched.advance(60_000_000);
  const next = tr.sent[before]!.t;
  // 301 members sharing 75 % of 400 B/s: avg_size × 301 / 300 B/s ≈ a minute, far over the 5 s floor.
  const bw = ((64_000 / 8) * 0.05 * 0.75);
  const expected = ((rtcp.averageRTCPSize * 301) / bw / COMP) * 1e6;
  assert.ok(next - t0 > 20_000_000, `interval ${next - t0}`);
  assert.ok(Math.abs(next - t0 - expected) / expected < 0.1, `interval ${next - t0}, expected ≈ ${expected}`);
  rtcp.close();
});
