// Frames are paced by the scheduler at their presentation times: no bursts, no drift. Ten minutes
// of stream on the virtual clock, stepped 5 ms at a time, with every packet's send time and RTP
// timestamp recorded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualTaskScheduler } from '@dorsvr/scheduler';
import { concatChunks } from '../../helpers/bytes.js';
import { FramedSource, H264VideoRTPSink, SimpleRTPSink, parseRTPHeader, type Frame, type MultiFramedRTPSink } from '@dorsvr/livemedia';

/** `count` frames of `bytes` bytes, `durationUs` apart (a fractional duration accumulates exactly). */
class SteadySource extends FramedSource {
  #i = 0;
  constructor(
    readonly count: number,
    readonly durationUs: number,
    readonly bytes: number,
  ) {
    super();
  }
  protected async readFrame(): Promise<Frame | null> {
    if (this.#i >= this.count) return null;
    const i = this.#i++;
    const data = new Uint8Array(this.bytes);
    data[0] = 0x41; // an H.264 non-IDR slice NAL header, for the video sink (PCM does not care)
    return { data, presentationTime: i * this.durationUs, duration: this.durationUs };
  }
}

interface Sent {
  atUs: number;
  seq: number;
  timestamp: number;
  marker: boolean;
  size: number;
}

async function play(source: FramedSource, sink: MultiFramedRTPSink, sched: VirtualTaskScheduler, sent: Sent[], stepUs: number, maxSteps: number): Promise<void> {
  let done = false;
  const playing = sink.startPlaying(source).then(() => (done = true));
  for (let i = 0; i < maxSteps && !done; i++) {
    // Let the sink's promise continuations run, then move the clock on.
    await new Promise((r) => setImmediate(r));
    sched.advance(stepUs);
  }
  assert.ok(done, 'the stream did not end within the bounded number of steps');
  await playing;
  void sent;
}

function sender(sched: VirtualTaskScheduler, sent: Sent[]): { send(chunks: readonly Uint8Array[]): void } {
  return {
    send(chunks) {
      const p = concatChunks(chunks);
      const h = parseRTPHeader(p);
      sent.push({ atUs: sched.now(), seq: h.sequenceNumber, timestamp: h.timestamp, marker: h.marker, size: p.length });
    },
  };
}

test('10 minutes of 20 ms audio frames: each sent within one clock step of its time, no drift, no burst', async () => {
  const sched = new VirtualTaskScheduler();
  const sent: Sent[] = [];
  const FRAMES = 30_000; // 600 s
  const STEP = 5_000;
  const sink = new SimpleRTPSink({
    scheduler: sched,
    rtpInterface: sender(sched, sent),
    payloadType: 96,
    sdpMediaType: 'audio',
    rtpTimestampFrequency: 8000,
    rtpPayloadFormatName: 'L16',
    initialSequenceNumber: 65_000, // wraps during the test
    initialTimestamp: 0xffff_0000, // wraps too
  });
  const t0 = sched.now();
  await play(new SteadySource(FRAMES, 20_000, 320), sink, sched, sent, STEP, 200_000);
  assert.equal(sent.length, FRAMES);
  let maxLate = 0;
  for (let i = 0; i < sent.length; i++) {
    const s = sent[i]!;
    const due = t0 + i * 20_000;
    assert.ok(s.atUs >= due, `frame ${i} sent ${due - s.atUs} µs early`);
    maxLate = Math.max(maxLate, s.atUs - due);
    assert.equal(s.seq, (65_000 + i) & 0xffff, `sequence number of packet ${i}`);
    assert.equal(s.timestamp, (0xffff_0000 + i * 160) >>> 0, `RTP timestamp of packet ${i}`);
  }
  // Lateness is bounded by the clock step, at the start as after ten minutes: absolute pacing.
  assert.ok(maxLate <= STEP, `a frame was ${maxLate} µs late`);
  const lastLate = sent[FRAMES - 1]!.atUs - (t0 + (FRAMES - 1) * 20_000);
  assert.ok(lastLate <= STEP, `drift after 10 minutes: ${lastLate} µs`);
  // No burst: within any one second of clock, at most the 50 frames that belong to it (+1 at a boundary).
  const perSecond = new Map<number, number>();
  for (const s of sent) perSecond.set(Math.floor((s.atUs - t0) / 1e6), (perSecond.get(Math.floor((s.atUs - t0) / 1e6)) ?? 0) + 1);
  for (const [sec, n] of perSecond) assert.ok(n <= 51, `${n} frames sent in second ${sec}`);
  sink.close();
});

test('29.97 fps video for 10 minutes: RTP timestamps are exact at 90 kHz (no rounding drift), frames never early', async () => {
  const sched = new VirtualTaskScheduler();
  const sent: Sent[] = [];
  const FRAMES = 17_982; // 600 s at 30000/1001
  const DURATION = 1e6 * (1001 / 30000); // 33366.66… µs: a rounded per-frame step would drift
  const sink = new H264VideoRTPSink({
    scheduler: sched,
    rtpInterface: sender(sched, sent),
    payloadType: 96,
    initialTimestamp: 0,
  });
  const t0 = sched.now();
  await play(new SteadySource(FRAMES, DURATION, 3000), sink, sched, sent, 10_000, 200_000);
  // 3000-byte NAL units go as 3 FU-A packets (1452-byte packets): all of a frame share its timestamp.
  assert.equal(sent.length, FRAMES * 3);
  for (let i = 0; i < FRAMES; i++) {
    const pkts = sent.slice(i * 3, i * 3 + 3);
    for (const p of pkts) assert.equal(p.timestamp, 3003 * i, `frame ${i}: RTP timestamp`);
    assert.deepEqual(pkts.map((p) => p.marker), [false, false, true], `frame ${i}: marker on the last packet only`);
    assert.ok(pkts.every((p) => p.size <= 1452), `frame ${i}: a packet over the max packet size`);
    const due = t0 + i * DURATION;
    assert.ok(pkts[0]!.atUs >= Math.floor(due) && pkts[0]!.atUs - due <= 10_000, `frame ${i} sent at ${pkts[0]!.atUs - due} µs from its time`);
  }
  sink.close();
});
