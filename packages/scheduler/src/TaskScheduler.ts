import type { EventEmitter } from 'eventemitter3';

/** A function run by the scheduler. It receives no arguments; bind state once and reuse it. */
export type Task = () => void;

/**
 * Opaque handle for a scheduled task, returned by {@link TaskScheduler.scheduleDelayedTask}.
 * `0` is never a valid token, so it can stand for "nothing scheduled".
 */
export type TaskToken = number;

/** Handle for an event trigger created by {@link TaskScheduler.createEventTrigger}. */
export type EventTriggerId = number;

/** Events every scheduler emits. */
export interface TaskSchedulerEvents {
  /**
   * A task or trigger handler threw; the scheduler carried on with the others. With no listener,
   * the error becomes a process warning (`DorsvrWarning`, see `warnUnheardError`), never silence.
   */
  error: [err: unknown];
}

/**
 * live555's TaskScheduler for Node: one clock, one queue of delayed tasks, event triggers.
 *
 * Every timing decision in dorsvr goes through this interface (never `setTimeout` or `Date.now()`
 * directly), so a {@link VirtualTaskScheduler} can drive the same code deterministically in tests.
 *
 * @example
 * ```ts
 * import { BasicTaskScheduler, VirtualTaskScheduler, type TaskScheduler } from '@dorsvr/scheduler';
 *
 * function every(scheduler: TaskScheduler, us: number, task: () => void): void {
 *   const run = (): void => {
 *     task();
 *     scheduler.scheduleDelayedTask(us, run);
 *   };
 *   scheduler.scheduleDelayedTask(us, run);
 * }
 *
 * const clock = new VirtualTaskScheduler(); // a test's clock: moves only with advance()
 * let ticks = 0;
 * every(clock, 100_000, () => ticks++);
 * clock.advance(1_000_000);
 * console.log(ticks); // 10, at once
 *
 * const real = new BasicTaskScheduler();
 * const token = real.scheduleDelayedTask(500_000, () => console.log('half a second later'));
 * real.unscheduleDelayedTask(token);
 * real.close();
 * ```
 */
export interface TaskScheduler extends EventEmitter<TaskSchedulerEvents> {
  /** Microseconds on a monotonic clock (unaffected by wall-clock changes). Only differences matter. */
  now(): number;
  /**
   * Microseconds since the Unix epoch, advancing with {@link now} (a fixed offset from it, so it
   * never jumps). Used where the wire needs wall-clock time, e.g. RTCP NTP timestamps.
   */
  wallClockUs(): number;
  /** Run `task` once, `delayUs` microseconds from now (negative counts as 0). */
  scheduleDelayedTask(delayUs: number, task: Task): TaskToken;
  /** Cancel a scheduled task. Unknown, already-run and `0` tokens are ignored. */
  unscheduleDelayedTask(token: TaskToken | null | undefined): void;
  /** Cancel `token` (if pending) and schedule `task` afresh; returns the new token. */
  rescheduleDelayedTask(token: TaskToken | null | undefined, delayUs: number, task: Task): TaskToken;
  /**
   * Register a handler that {@link triggerEvent} runs later on the scheduler, never inside the
   * `triggerEvent` call itself. Safe to trigger from any callback (capture device, worker message).
   */
  createEventTrigger<T = unknown>(handler: (data: T | undefined) => void): EventTriggerId;
  /**
   * Ask for the trigger's handler to run soon with `data`. Triggers fired several times before the
   * handler runs are delivered once per call, in order.
   */
  triggerEvent(id: EventTriggerId, data?: unknown): void;
  /** Forget a trigger; pending deliveries for it are dropped. */
  deleteEventTrigger(id: EventTriggerId): void;
  /** Cancel everything and release the Node timer. Idempotent. */
  close(): void;
}
