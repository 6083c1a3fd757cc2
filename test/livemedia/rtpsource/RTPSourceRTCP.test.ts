import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'eventemitter3';
import { RTCPInstance, SimpleRTPSource, parseRTCP, serializeRTCP, ntpFromUnixMicros, ntpMiddle32, type RTCPPacket } from '@dorsvr/livemedia';
import { VirtualTaskScheduler } from '@dorsvr/scheduler';
import { rtp } from './rtpPackets.js';

class Wire extends EventEmitter<{ packet: [data: Uint8Array] }> {
  readonly sent: RTCPPacket[][] = [];
  send(chunks: readonly Uint8Array[]): void {
    this.sent.push(parseRTCP(chunks[0]!));
  }
}

test('receiver reports carry the source statistics: known drops, fraction per interval, LSR/DLSR of the SR', async () => {
  const sched = new VirtualTaskScheduler();
  const rtpWire = new Wire();
  const rtcpWire = new Wire();
  const src = new SimpleRTPSource({ scheduler: sched, rtpInterface: rtpWire, encodingName: 'PCMU', reorder: { maxDelayUs: 40_000 } });
  const rtcp = new RTCPInstance({ scheduler: sched, rtcpInterface: rtcpWire, source: src, cname: 'rx', ssrc: 0xfeed, random: () => 0.5 });
  const senderSSRC = 0x01020304;
  // The sender's SR arrives first.
  const srNtp = ntpFromUnixMicros(1_760_000_000_000_000);
  rtcpWire.emit('packet', serializeRTCP([{ type: 'sr', ssrc: senderSSRC, ntp: srNtp, rtpTimestamp: 0, packetCount: 0, octetCount: 0, reports: [] }]));
  const srArrival = sched.now();
  // 100 packets of 20 ms, 5 of them dropped on purpose, starting near the sequence wrap.
  const dropped = new Set([65_530, 65_535, 0, 17, 42]);
  for (let i = 0; i < 100; i++) {
    const seq = (65_500 + i) & 0xffff;
    if (!dropped.has(seq)) rtpWire.emit('packet', rtp({ seq, ts: i * 160, pt: 0, payload: new Uint8Array(160).fill(0xff) }));
    sched.advance(20_000);
  }
  // First RR at 2.5 s / 1.21828 ≈ 2.05 s, i.e. after all 100 packets.
  sched.advance(100_000);
  const rrs = rtcpWire.sent.map((c) => c[0]!).filter((p) => p.type === 'rr');
  assert.equal(rrs.length, 1);
  const rr = rrs[0]!;
  assert.equal(rr.type, 'rr');
  if (rr.type !== 'rr') return;
  assert.equal(rr.ssrc, 0xfeed);
  assert.equal(rr.reports.length, 1);
  const b = rr.reports[0]!;
  assert.equal(b.ssrc, senderSSRC);
  // The first packet is RFC 3550's probation packet: 99 expected from the second on, 5 lost.
  assert.equal(b.cumulativeLost, 5);
  assert.equal(b.fractionLost, Math.floor((5 * 256) / 99));
  assert.equal(b.extendedHighestSeq, 65_536 + ((65_500 + 99) & 0xffff));
  assert.equal(b.jitter, 0, 'packets arrived exactly on their 20 ms schedule');
  assert.equal(b.lastSR, ntpMiddle32(srNtp));
  const sentAt = Math.round(2_500_000 / (Math.E - 1.5));
  assert.equal(b.delaySinceLastSR, Math.floor(((sentAt - srArrival) * 65536) / 1e6));
  // The next interval has no new loss.
  for (let i = 100; i < 400; i++) {
    rtpWire.emit('packet', rtp({ seq: (65_500 + i) & 0xffff, ts: i * 160, pt: 0, payload: new Uint8Array(160) }));
    sched.advance(20_000);
  }
  const next = rtcpWire.sent.map((c) => c[0]!).filter((p) => p.type === 'rr')[1]!;
  assert.equal(next.type === 'rr' && next.reports[0]!.fractionLost, 0);
  assert.equal(next.type === 'rr' && next.reports[0]!.cumulativeLost, 5);
  assert.equal(src.lostPackets, 5);
  // A BYE from the sender ends the source once its frames are read and its grace for packets
  // still in flight (250 ms) is over.
  rtcpWire.emit('packet', serializeRTCP([{ type: 'rr', ssrc: senderSSRC, reports: [] }, { type: 'bye', ssrcs: [senderSSRC] }]));
  sched.advance(250_000);
  let frames = 0;
  while ((await src.getNextFrame()) !== null) frames++;
  assert.equal(frames, 395);
  rtcp.close();
  src.close();
  assert.equal(rtpWire.listenerCount('packet'), 0);
  // Nothing left scheduled: running until idle does not move the clock.
  const t = sched.now();
  sched.runUntilIdle();
  assert.equal(sched.now(), t);
});
