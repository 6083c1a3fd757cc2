// RTCP during PAUSE (issue #11): a sender report must not pair an advancing NTP time with a frozen
// RTP time. Our sinks keep RTP time advancing with the clock while paused, and PLAY presets the
// first timestamp after the pause to the same clock (live555's presetNextTimestamp), so every SR —
// before, during and after the pause — and every packet sit on one NTP↔RTP line: a receiver sees
// no jump on resume. On the virtual clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualTaskScheduler } from '@dorsvr/scheduler';
import { FramedSource, RTCPInstance, SimpleRTPSink, parseRTPHeader, unixMicrosFromNTP, type Frame, type RTCPPacket } from '@dorsvr/livemedia';
import { concatChunks as concat } from '../../helpers/bytes.js';

class Tone extends FramedSource {
  #n = 0;
  protected readFrame(): Frame | null {
    return { data: new Uint8Array(160), presentationTime: this.#n++ * 20_000, duration: 20_000 };
  }
}

const RATE = 8000;

test('sender reports in a pause keep NTP and RTP time on one line, and the first packet after resume lies on it too (no jump)', async () => {
  const sched = new VirtualTaskScheduler();
  const packets: Array<{ ts: number; wallUs: number }> = [];
  const sink = new SimpleRTPSink({
    scheduler: sched,
    rtpInterface: { send: (c) => void packets.push({ ts: parseRTPHeader(concat(c)).timestamp, wallUs: sched.wallClockUs() }) },
    payloadType: 96,
    sdpMediaType: 'audio',
    rtpTimestampFrequency: RATE,
    rtpPayloadFormatName: 'L16',
  });
  const srs: Array<{ ntpUs: number; rtp: number }> = [];
  const rtcp = new RTCPInstance({ scheduler: sched, rtcpInterface: { send() {}, on() {}, off() {} }, sink, cname: 'tx', random: () => 0.5 });
  rtcp.on('sent', (list: readonly RTCPPacket[]) => {
    for (const p of list) if (p.type === 'sr') srs.push({ ntpUs: unixMicrosFromNTP(p.ntp), rtp: p.rtpTimestamp });
  });
  const source = new Tone();
  const run = async (ms: number): Promise<void> => {
    for (let t = 0; t < ms; t += 5) {
      await new Promise((r) => setImmediate(r));
      sched.advance(5_000);
    }
  };

  const announced0 = sink.presetNextTimestamp();
  const playing = sink.startPlaying(source);
  await run(1000);
  assert.equal(packets[0]!.ts, announced0, 'the first packet carries what PLAY announced');
  rtcp.sendReport();
  sink.stopPlaying(); // PAUSE
  await playing;
  const pausedAt = packets.length;
  await run(1500);
  rtcp.sendReport(); // in the pause
  await run(3000);
  rtcp.sendReport(); // still in the pause
  const announced = sink.presetNextTimestamp(); // PLAY again, 4.5 s after the pause began
  const resumed = sink.startPlaying(source);
  await run(1000);
  rtcp.sendReport();
  sink.stopPlaying();
  await resumed;
  rtcp.close();

  assert.ok(srs.length >= 4, `${srs.length} SRs`);
  assert.ok(packets.length > pausedAt, 'packets after resume');
  const first = packets[pausedAt]!;
  assert.equal(first.ts, announced, 'the first packet after the pause carries the announced rtptime');
  // The line of the first SR: every other SR and every packet after the resume lie on it (to a
  // frame's 20 ms at most for packets, which are sent at their frame's time).
  const base = srs[0]!;
  const onLine = (wallUs: number): number => (base.rtp + Math.round(((wallUs - base.ntpUs) * RATE) / 1e6)) >>> 0;
  const diffTicks = (a: number, b: number): number => ((a - b + 2 ** 31) >>> 0) - 2 ** 31;
  for (const sr of srs.slice(1)) {
    assert.ok(Math.abs(diffTicks(sr.rtp, onLine(sr.ntpUs))) <= 1, `SR off the line by ${diffTicks(sr.rtp, onLine(sr.ntpUs))} ticks`);
  }
  const jump = diffTicks(first.ts, onLine(first.wallUs));
  assert.ok(Math.abs(jump) <= (RATE * 20) / 1000, `the first packet after the resume is ${jump} ticks off the SR line`);
});
