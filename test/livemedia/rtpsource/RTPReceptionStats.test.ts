import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RTPReceptionStats } from '@dorsvr/livemedia';

test('jitter follows RFC 3550 A.8 on a hand-computed 8 kHz example', () => {
  const s = new RTPReceptionStats(1, 8000);
  // 20 ms packets (160 ticks); arrivals in ticks 0, 160, 360, 480, 640.
  const arrivalsUs = [0, 20_000, 45_000, 60_000, 80_000];
  arrivalsUs.forEach((a, i) => s.noteIncomingPacket(100 + i, 1_000_000 + 160 * i, a, 160));
  // D = 0, 40, -40, 0  →  J = 0, 2.5, 4.84375, 4.541015625
  assert.equal(s.jitter, 4.541015625);
  assert.equal(s.jitterSeconds, 4.541015625 / 8000);
  assert.equal(s.makeReportBlock(100_000).jitter, 4);
});

test('jitter is unaffected by RTP timestamp wrap', () => {
  const s = new RTPReceptionStats(1, 90_000);
  for (let i = 0; i < 50; i++) s.noteIncomingPacket(i, (0xffffffff - 3000 * 20 + 3000 * i) >>> 0, (i * 1_000_000) / 30, 100);
  assert.ok(s.jitter < 1e-6, `jitter ${s.jitter}`);
});

test('loss statistics across the 65535 wrap when known packets are dropped', () => {
  const s = new RTPReceptionStats(0xabc, 90_000);
  const sent = [65530, 65531, 65532, 65533, 65534, 65535, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const dropped = new Set([65534, 2, 3]);
  let t = 0;
  for (const seq of sent) if (!dropped.has(seq)) s.noteIncomingPacket(seq, seq * 3000, (t += 33_000), 1000);
  // The first packet is the probation packet (RFC 3550 A.1): counting starts at 65531.
  assert.equal(s.packetsExpected, 15);
  assert.equal(s.packetsReceived, 12);
  assert.equal(s.packetsLost, 3);
  assert.equal(s.extendedHighestSeq, 0x10009);
  // What a user reads adds the probation packet back: 13 arrived, 3 lost, 16 expected.
  assert.equal(s.packetsBeforeBase, 1);
  assert.equal(s.packetsReceived + s.packetsBeforeBase, sent.length - dropped.size);
  assert.equal(s.packetsExpected + s.packetsBeforeBase, sent.length);
  const rb = s.makeReportBlock(t);
  assert.equal(rb.ssrc, 0xabc);
  assert.equal(rb.fractionLost, Math.floor((3 * 256) / 15));
  assert.equal(rb.cumulativeLost, 3);
  assert.equal(rb.extendedHighestSeq, 0x10009);
  assert.equal(rb.lastSR, 0);
  assert.equal(rb.delaySinceLastSR, 0);

  // Next interval: 10..19 plus a duplicate of 12 and one reordered pair: no new loss.
  for (const seq of [10, 11, 12, 12, 14, 13, 15, 16, 17, 18, 19]) s.noteIncomingPacket(seq, seq * 3000, (t += 33_000), 1000);
  const rb2 = s.makeReportBlock(t);
  assert.equal(rb2.fractionLost, 0);
  assert.equal(rb2.cumulativeLost, 2, 'the duplicate offsets one loss, as RFC 3550 counts');
  assert.equal(rb2.extendedHighestSeq, 0x10013);
});

test('a large jump is believed only when the next packet confirms it (sender restart)', () => {
  const s = new RTPReceptionStats(1, 8000);
  for (let seq = 0; seq < 10; seq++) s.noteIncomingPacket(seq, seq * 160, seq * 20_000, 160);
  assert.equal(s.noteIncomingPacket(30_000, 0, 300_000, 160), false);
  assert.equal(s.packetsExpected, 9);
  assert.equal(s.noteIncomingPacket(30_001, 160, 320_000, 160), true);
  assert.equal(s.packetsReceived, 1);
  assert.equal(s.packetsExpected, 1);
  assert.equal(s.packetsLost, 0);
});

test('a new source is on probation until two packets arrive in sequence', () => {
  const s = new RTPReceptionStats(1, 8000);
  assert.equal(s.noteIncomingPacket(500, 0, 0, 160), false);
  assert.equal(s.valid, false);
  assert.equal(s.noteIncomingPacket(700, 0, 0, 160), false, 'not in sequence: probation restarts');
  assert.equal(s.packetsBeforeBase, 1, 'the run so far: 700');
  assert.equal(s.noteIncomingPacket(701, 0, 0, 160), true);
  assert.equal(s.valid, true);
  assert.equal(s.packetsBeforeBase, 1, '700, before the base 701');
  assert.equal(s.packetsExpected, 1);
});

test('packetsBeforeBase counts the probation run: minSequential − 1 once valid', () => {
  const s = new RTPReceptionStats(1, 8000, { minSequential: 3 });
  assert.equal(s.packetsBeforeBase, 0);
  s.noteIncomingPacket(10, 0, 0, 160);
  s.noteIncomingPacket(11, 160, 20_000, 160);
  assert.equal(s.packetsBeforeBase, 2);
  assert.equal(s.packetsExpected, 0, 'not valid yet');
  s.noteIncomingPacket(12, 320, 40_000, 160);
  s.noteIncomingPacket(14, 640, 80_000, 160);
  assert.equal(s.packetsBeforeBase, 2);
  assert.equal(s.packetsExpected + s.packetsBeforeBase, 5, '10..14');
  assert.equal(s.packetsReceived + s.packetsBeforeBase + s.packetsLost, 5, '4 arrived, 1 lost (13)');
});

test('LSR is the middle 32 bits of the last SR, DLSR the delay since it in 1/65536 s', () => {
  const s = new RTPReceptionStats(1, 90_000);
  s.noteIncomingPacket(1, 0, 0, 10);
  s.noteIncomingPacket(2, 0, 0, 10);
  s.noteSenderReport({ seconds: 0xe5a1b2c3, fraction: 0x80000000 }, 12345, 1_000_000);
  const rb = s.makeReportBlock(2_500_000);
  assert.equal(rb.lastSR, 0xb2c38000);
  assert.equal(rb.delaySinceLastSR, 98_304);
  assert.equal(s.lastSenderReport?.rtpTimestamp, 12345);
});

test('cumulative lost saturates at the signed 24-bit limit', () => {
  const s = new RTPReceptionStats(1, 8000, { maxDropout: 60_000 });
  s.noteIncomingPacket(0, 0, 0, 1);
  s.noteIncomingPacket(1, 0, 0, 1);
  // 200 wraps of almost a whole cycle each: ~13 million lost.
  let seq = 1;
  for (let i = 0; i < 260; i++) {
    seq = (seq + 50_000) & 0xffff;
    s.noteIncomingPacket(seq, 0, 0, 1);
  }
  assert.ok(s.packetsLost > 0x7fffff);
  assert.equal(s.makeReportBlock(0).cumulativeLost, 0x7fffff);
});
