// A sink's packet buffer is reused only when the sender is done with it: a sender that says it
// still holds a packet (a UDP send Node had to queue) must find that packet's bytes unchanged however
// many packets follow. Packets it did not hold are assembled in the same buffer, one after another.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualTaskScheduler } from '@dorsvr/scheduler';
import {
  AsyncIterableSource,
  H264VideoRTPSink,
  H265VideoRTPSink,
  MPEG1or2AudioRTPSink,
  MPEG4GenericRTPSink,
  SimpleRTPSink,
  type Frame,
  type MultiFramedRTPSink,
  type RTPPacketSender,
} from '@dorsvr/livemedia';

interface Held {
  chunks: readonly Uint8Array[];
  snapshot: Buffer;
}

/** Holds every `holdEvery`-th packet (answers true), as a busy socket would; remembers all headers. */
class HoldingSender implements RTPPacketSender {
  readonly held: Held[] = [];
  readonly headers: Uint8Array[] = [];
  #n = 0;
  constructor(readonly holdEvery: number) {}
  send(chunks: readonly Uint8Array[]): boolean {
    this.headers.push(chunks[0]!);
    if (++this.#n % this.holdEvery !== 0) return false;
    this.held.push({ chunks: [...chunks], snapshot: Buffer.concat(chunks) });
    return true;
  }
}

function sameMemory(a: Uint8Array, b: Uint8Array): boolean {
  return a.buffer === b.buffer && a.byteOffset === b.byteOffset;
}

async function run(makeSink: (s: HoldingSender, sched: VirtualTaskScheduler) => MultiFramedRTPSink, frames: () => Generator<Frame>): Promise<HoldingSender> {
  const sched = new VirtualTaskScheduler();
  const sender = new HoldingSender(7);
  const sink = makeSink(sender, sched);
  // Every frame is due at once (same presentation time), so no clock is needed.
  await sink.startPlaying(new AsyncIterableSource(frames()));
  sink.close();
  return sender;
}

function check(sender: HoldingSender, what: string): void {
  assert.ok(sender.headers.length > 2000, `${what}: only ${sender.headers.length} packets`);
  assert.ok(sender.held.length > 200);
  for (const [i, h] of sender.held.entries()) {
    assert.ok(Buffer.concat(h.chunks).equals(h.snapshot), `${what}: held packet ${i} was overwritten by a later one`);
  }
  // The packet buffer really is reused for packets nobody held (so the check above can fail).
  let reused = 0;
  for (let i = 1; i < sender.headers.length; i++) if (sameMemory(sender.headers[i]!, sender.headers[i - 1]!)) reused++;
  assert.ok(reused > 1000, `${what}: the packet buffer was not reused (${reused})`);
}

function* nalFrames(count: number, size: number, header: number[]): Generator<Frame> {
  for (let i = 0; i < count; i++) {
    const data = new Uint8Array(size).fill(i & 0xff);
    data.set(header);
    yield { data, presentationTime: 0, duration: 0 };
  }
}

test('H.264 FU-A and H.265 FU: packets the sender holds keep their RTP and FU headers', async () => {
  check(await run((s, sched) => new H264VideoRTPSink({ scheduler: sched, rtpInterface: s, payloadType: 96 }), () => nalFrames(800, 4000, [0x41])), 'H.264');
  check(await run((s, sched) => new H265VideoRTPSink({ scheduler: sched, rtpInterface: s, payloadType: 96 }), () => nalFrames(800, 4000, [0x02, 0x01])), 'H.265');
});

test('AAC (AU headers), MPEG audio (offset headers) and simple payloads: held packets stay intact', async () => {
  check(
    await run(
      (s, sched) => new MPEG4GenericRTPSink({ scheduler: sched, rtpInterface: s, payloadType: 97, samplingFrequency: 44_100, numChannels: 2, configHex: '1210' }),
      () => nalFrames(2500, 300, []),
    ),
    'AAC',
  );
  check(await run((s, sched) => new MPEG1or2AudioRTPSink({ scheduler: sched, rtpInterface: s }), () => nalFrames(2500, 400, [0xff, 0xfb])), 'MPA');
  check(
    await run(
      (s, sched) => new SimpleRTPSink({ scheduler: sched, rtpInterface: s, payloadType: 33, sdpMediaType: 'video', rtpTimestampFrequency: 90_000, rtpPayloadFormatName: 'MP2T', unitSize: 188 }),
      () => nalFrames(2500, 1316, [0x47]),
    ),
    'MP2T',
  );
});
