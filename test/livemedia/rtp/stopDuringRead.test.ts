// PAUSE while the sink waits on a read that is still out (a file chunk being read): the frame
// that read brings is not lost but goes out first on resume; after a seek it is dropped instead.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualTaskScheduler } from '@dorsvr/scheduler';
import { FramedSource, SimpleRTPSink, type Frame } from '@dorsvr/livemedia';
import { concatChunks } from '../../helpers/bytes.js';

/** Frame i carries the byte i; every read stays out until the test releases it. */
class ManualSource extends FramedSource {
  #next = 0;
  #pending: Array<() => void> = [];
  protected readFrame(): Promise<Frame | null> {
    const i = this.#next++;
    return new Promise((resolve) => this.#pending.push(() => resolve(i < 10 ? { data: Uint8Array.of(i), presentationTime: 0, duration: 0 } : null)));
  }
  /** Let the outstanding read answer; true if there was one. */
  release(): boolean {
    const r = this.#pending.shift();
    r?.();
    return r !== undefined;
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

function setup(): { source: ManualSource; sink: SimpleRTPSink; sent: number[] } {
  const sched = new VirtualTaskScheduler();
  const sent: number[] = [];
  const sink = new SimpleRTPSink({
    scheduler: sched,
    rtpInterface: { send: (chunks: readonly Uint8Array[]) => void sent.push(concatChunks(chunks)[12]!) },
    payloadType: 96,
    sdpMediaType: 'audio',
    rtpTimestampFrequency: 8000,
    rtpPayloadFormatName: 'L8',
  });
  return { source: new ManualSource(), sink, sent };
}

test('stopped while a read was out: the frame it brings is sent first when playing resumes', async () => {
  const { source, sink, sent } = setup();
  let playing = sink.startPlaying(source);
  for (let i = 0; i < 3; i++) {
    source.release();
    await settle();
  }
  assert.deepEqual(sent, [0, 1, 2]);
  sink.stopPlaying(); // a read (frame 3) is out
  source.release();
  await playing;
  assert.deepEqual(sent, [0, 1, 2], 'nothing is sent while stopped');
  playing = sink.startPlaying(source);
  await settle();
  assert.deepEqual(sent, [0, 1, 2, 3], 'frame 3 goes out at once on resume');
  while (source.release()) await settle();
  await playing;
  assert.deepEqual(sent, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 'no frame lost, none twice');
  sink.close();
});

test('stopped while a read was out, then repositioned (seek): the stale frame is dropped', async () => {
  const { source, sink, sent } = setup();
  let playing = sink.startPlaying(source);
  source.release();
  await settle();
  sink.stopPlaying();
  sink.notePlayPosition(0); // the stream was sought: what the outstanding read brings is from before
  source.release();
  await playing;
  playing = sink.startPlaying(source);
  while (source.release()) await settle();
  await playing;
  assert.deepEqual(sent, [0, 2, 3, 4, 5, 6, 7, 8, 9]);
  sink.close();
});
