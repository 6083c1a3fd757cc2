import { EventEmitter } from 'eventemitter3';
import { DelayQueue } from './DelayQueue.js';
import type { EventTriggerId, Task, TaskScheduler, TaskSchedulerEvents, TaskToken } from './TaskScheduler.js';

/**
 * Shared implementation of the two schedulers: the delay queue, event triggers and error
 * isolation. Subclasses say what time it is and when to run.
 */
export abstract class AbstractTaskScheduler extends EventEmitter<TaskSchedulerEvents> implements TaskScheduler {
  protected readonly queue = new DelayQueue();
  readonly #triggers = new Map<EventTriggerId, (data: unknown) => void>();
  #pendingTriggers: Array<[EventTriggerId, unknown]> = [];
  #nextTrigger = 1;
  protected closed = false;

  abstract now(): number;
  abstract wallClockUs(): number;
  /** The queue's head or the pending triggers changed: (re)arm whatever runs them. */
  protected abstract wake(): void;

  scheduleDelayedTask(delayUs: number, task: Task): TaskToken {
    const t = this.queue.add(this.now() + Math.max(0, Number.isFinite(delayUs) ? delayUs : 0), task);
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

  /** Run pending triggers, then every task due at `now` (tasks scheduled meanwhile included). */
  protected runDue(now: number, maxTasks = 100_000): void {
    const triggers = this.#pendingTriggers;
    this.#pendingTriggers = [];
    for (const [id, data] of triggers) {
      const h = this.#triggers.get(id);
      if (h) this.#safely(() => h(data));
    }
    for (let n = 0; n < maxTasks && !this.closed; n++) {
      const task = this.queue.popDue(now);
      if (!task) break;
      this.#safely(task);
    }
  }

  protected get hasPendingTriggers(): boolean {
    return this.#pendingTriggers.length > 0;
  }

  #safely(f: () => void): void {
    try {
      f();
    } catch (err) {
      this.emit('error', err);
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

/**
 * live555's BasicTaskScheduler for Node: one monotonic microsecond clock (`performance.now()`)
 * and one Node timer armed for the earliest task. Tasks that throw are reported on `'error'` and
 * the others carry on.
 */
export class BasicTaskScheduler extends AbstractTaskScheduler {
  readonly #origin = performance.now();
  readonly #wallOrigin = Date.now() * 1000;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerAt = Infinity;
  #immediate: ReturnType<typeof setImmediate> | undefined;

  now(): number {
    return Math.floor((performance.now() - this.#origin) * 1000);
  }

  wallClockUs(): number {
    return this.#wallOrigin + this.now();
  }

  protected wake(): void {
    if (this.closed) return;
    if (this.hasPendingTriggers) {
      this.#immediate ??= setImmediate(() => {
        this.#immediate = undefined;
        this.#fire();
      });
    }
    const next = this.queue.peekTime();
    if (next === undefined) return;
    if (this.#timer !== undefined && this.#timerAt <= next) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timerAt = next;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#timerAt = Infinity;
      this.#fire();
    }, Math.max(0, (next - this.now()) / 1000));
  }

  #fire(): void {
    if (this.closed) return;
    this.runDue(this.now());
    this.wake();
  }

  override close(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (this.#immediate !== undefined) clearImmediate(this.#immediate);
    this.#timer = undefined;
    this.#immediate = undefined;
    super.close();
  }
}
