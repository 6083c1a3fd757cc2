import type { VirtualTaskScheduler } from '@dorsvr/scheduler';
import type { AnyFramedSource, MediaSink } from '@dorsvr/livemedia';

/**
 * Play `input` into `sink` on the virtual clock: let promise continuations run, then move the
 * clock `stepUs`, until the sink is done (at most `maxSteps` steps); then one more second so
 * that whatever waits on a timer (a reorder buffer) lets go.
 */
export async function playOnVirtualClock(sched: VirtualTaskScheduler, sink: MediaSink, input: AnyFramedSource, stepUs = 10_000, maxSteps = 5000): Promise<void> {
  let done = false;
  const playing = sink.startPlaying(input).then(() => (done = true));
  for (let i = 0; i < maxSteps && !done; i++) {
    await new Promise((r) => setImmediate(r));
    sched.advance(stepUs);
  }
  await playing;
  sched.advance(1_000_000);
}
