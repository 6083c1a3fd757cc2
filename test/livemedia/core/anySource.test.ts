// A sink or filter a user writes takes any source, RTP sources (which add events of their own)
// included: this file compiles only if the typing allows it, and the frames must flow.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualTaskScheduler } from '@dorsvr/scheduler';
import { FramedFilter, H264VideoRTPSource, MediaSink, writeRTPHeader, type Frame } from '@dorsvr/livemedia';

class CollectingSink extends MediaSink {
  readonly sizes: number[] = [];
  protected consumeFrame(f: Frame): void {
    this.sizes.push(f.data.length);
  }
}

/** Passes frames through, counting them. */
class CountingFilter extends FramedFilter {
  count = 0;
  protected async readFrame(): Promise<Frame | null> {
    const f = await this.inputSource.getNextFrame();
    if (f) this.count++;
    return f;
  }
}

test('a user MediaSink plays an H264VideoRTPSource, directly and through a user FramedFilter', async () => {
  const sched = new VirtualTaskScheduler();
  for (const viaFilter of [false, true]) {
    const source = new H264VideoRTPSource({ scheduler: sched, payloadType: 96 });
    const sink = new CollectingSink();
    const filter = viaFilter ? new CountingFilter(source) : undefined;
    const playing = sink.startPlaying(filter ?? source);
    for (let i = 0; i < 5; i++) {
      const pkt = new Uint8Array(12 + 10 + i);
      writeRTPHeader({ marker: true, payloadType: 96, sequenceNumber: 100 + i, timestamp: 3000 * i, ssrc: 0x1234 }, pkt, 0);
      pkt.fill(0x5a, 12);
      pkt[12] = 0x41; // a single non-IDR slice NAL unit
      source.injectPacket(pkt);
    }
    sched.advance(1_000_000); // past the reorder buffer's wait
    source.endOfStream();
    await playing;
    assert.deepEqual(sink.sizes, [10, 11, 12, 13, 14]);
    if (filter) assert.equal(filter.count, 5);
    sink.close();
    (filter ?? source).close();
  }
});
