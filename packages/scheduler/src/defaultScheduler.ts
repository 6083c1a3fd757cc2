import { BasicTaskScheduler } from './BasicTaskScheduler.js';
import type { TaskScheduler } from './TaskScheduler.js';

let shared: BasicTaskScheduler | undefined;

/**
 * The one {@link BasicTaskScheduler} every dorsvr object uses when it is given no scheduler (an
 * `RTSPServer`, a subsession, a sink): made on first use and shared by all, as live555 programs
 * share one `TaskScheduler`. It holds a Node timer only while tasks are pending, so it never keeps
 * a process alive by itself. Pass your own scheduler (a {@link VirtualTaskScheduler} in tests)
 * where you need another clock; closing the shared one makes the next call create a fresh one.
 *
 * @example
 * ```ts
 * import { defaultScheduler } from '@dorsvr/scheduler';
 * defaultScheduler().scheduleDelayedTask(1_000_000, () => console.log('one second later'));
 * ```
 */
export function defaultScheduler(): TaskScheduler {
  if (shared === undefined || shared.isClosed) shared = new BasicTaskScheduler();
  return shared;
}
