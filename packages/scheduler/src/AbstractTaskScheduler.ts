import { EventEmitter } from 'eventemitter3';
import { DelayQueue } from './DelayQueue.js';
import { warnUnheardError } from './warnUnheardError.js';
import type { EventTriggerId, Task, TaskScheduler, TaskSchedulerEvents, TaskToken } from './TaskScheduler.js';

/**
 * What {@link BasicTaskScheduler} and {@link VirtualTaskScheduler} share: the delay queue, event
 * triggers and error isolation (a task that throws is reported on the `'error'` event, or, with
 * no listener there, as a process warning: {@link warnUnheardError}). Subclasses say what time
 * it is and arrange for {@link runDue} to be called when something is due.
 */
export abstract class AbstractTaskScheduler extends EventEmitter<TaskSchedulerEvents> implements TaskScheduler {
  /** Every pending delayed task, earliest first. */
  protected readonly queue = new DelayQueue();
  readonly #triggers = new Map<EventTriggerId, (data: unknown) => void>();
  #pendingTriggers: Array<[EventTriggerId, unknown]> = [];
  #nextTrigger = 1;
  /** Set by {@link close}; nothing runs afterwards. */
  protected closed = false;

  abstract now(): number;
  abstract wallClockUs(): number;
  /** The queue's head or the pending triggers changed: (re)arm whatever runs them. */
  protected abstract wake(): void;

  /** Number of delayed tasks still pending (not counting trigger deliveries). */
  get pendingCount(): number {
    return this.queue.size;
  }

  /** True once {@link close} has been called. */
  get isClosed(): boolean {
    return this.closed;
  }

  scheduleDelayedTask(delayUs: number, task: Task): TaskToken {
    if (this.closed) return 0;
    const d = delayUs > 0 && delayUs !== Infinity ? delayUs : delayUs === Infinity ? Number.MAX_SAFE_INTEGER : 0;
    const t = this.queue.add(this.now() + d, task);
    this.wake();
    return t;
  }

  unscheduleDelayedTask(token: TaskToken | null | undefined): void {
    this.queue.remove(token);
  }

  rescheduleDelayedTask(token: TaskToken | null | undefined, delayUs: number, task: Task): TaskToken {
    this.queue.remove(token);
    return this.scheduleDelayedTask(delayUs, task);
  }

  /** True while the task behind `token` is still waiting to run. */
  isScheduled(token: TaskToken | null | undefined): boolean {
    return this.queue.has(token);
  }

  createEventTrigger<T = unknown>(handler: (data: T | undefined) => void): EventTriggerId {
    const id = this.#nextTrigger++;
    this.#triggers.set(id, handler as (data: unknown) => void);
    return id;
  }

  triggerEvent(id: EventTriggerId, data?: unknown): void {
    if (this.closed || !this.#triggers.has(id)) return;
    this.#pendingTriggers.push([id, data]);
    this.wake();
  }

  deleteEventTrigger(id: EventTriggerId): void {
    this.#triggers.delete(id);
  }

  /**
   * Deliver the triggers pending on entry (ones fired meanwhile wait for the next call), then run
   * up to `maxTasks` tasks due at or before `now`, tasks scheduled meanwhile included. Returns the
   * number of tasks run.
   */
  protected runDue(now: number, maxTasks = 100_000): number {
    if (this.#pendingTriggers.length > 0) {
      const triggers = this.#pendingTriggers;
      this.#pendingTriggers = [];
      for (const [id, data] of triggers) {
        if (this.closed) return 0;
        const h = this.#triggers.get(id);
        if (h) this.#safely(h, data);
      }
    }
    let n = 0;
    while (n < maxTasks && !this.closed) {
      const task = this.queue.popDue(now);
      if (!task) break;
      n++;
      this.#safely(task, undefined);
    }
    return n;
  }

  /** True when {@link triggerEvent} deliveries are waiting to run. */
  protected get hasPendingTriggers(): boolean {
    return this.#pendingTriggers.length > 0;
  }

  #safely(f: (data: unknown) => void, data: unknown): void {
    try {
      f(data);
    } catch (err) {
      if (this.listenerCount('error') === 0) {
        warnUnheardError(this, "a scheduled task threw (the scheduler has no 'error' listener)", err);
        return;
      }
      try {
        this.emit('error', err);
      } catch (err2) {
        warnUnheardError(this, "the scheduler's 'error' listener threw", err2);
      }
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.clear();
    this.#triggers.clear();
    this.#pendingTriggers = [];
  }
}
