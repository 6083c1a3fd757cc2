import { BasicTaskScheduler, VirtualTaskScheduler, type TaskScheduler } from '@dorsvr/scheduler';

/** A virtual-clock scheduler: time moves only by `advance(us)`. */
export type VirtualScheduler = VirtualTaskScheduler;

export function virtualScheduler(): VirtualTaskScheduler {
  return new VirtualTaskScheduler(1_000_000);
}

/** A real-time scheduler. */
export function realScheduler(): TaskScheduler {
  return new BasicTaskScheduler();
}
