// A minimal manual-clock TaskScheduler for these tests, until @dorsvr/scheduler's VirtualTaskScheduler
// lands; it implements the same interface, so the code under test cannot tell the difference.
import { EventEmitter } from 'eventemitter3';
import type { EventTriggerId, Task, TaskScheduler, TaskSchedulerEvents, TaskToken } from '@dorsvr/scheduler';

export class ManualScheduler extends EventEmitter<TaskSchedulerEvents> implements TaskScheduler {
  #now = 0;
  #next = 1;
  readonly #tasks = new Map<TaskToken, { at: number; seq: number; task: Task }>();
  readonly #triggers = new Map<EventTriggerId, (d: unknown) => void>();
  constructor(readonly wallOffsetUs = Date.UTC(2026, 10, 24, 12) * 1000) {
    super();
  }
  now(): number {
    return this.#now;
  }
  wallClockUs(): number {
    return this.wallOffsetUs + this.#now;
  }
  scheduleDelayedTask(delayUs: number, task: Task): TaskToken {
    const t = this.#next++;
    this.#tasks.set(t, { at: this.#now + Math.max(0, delayUs), seq: t, task });
    return t;
  }
  unscheduleDelayedTask(token: TaskToken | null | undefined): void {
    if (token) this.#tasks.delete(token);
  }
  rescheduleDelayedTask(token: TaskToken | null | undefined, delayUs: number, task: Task): TaskToken {
    this.unscheduleDelayedTask(token);
    return this.scheduleDelayedTask(delayUs, task);
  }
  createEventTrigger<T = unknown>(handler: (data: T | undefined) => void): EventTriggerId {
    const id = this.#next++;
    this.#triggers.set(id, handler as (d: unknown) => void);
    return id;
  }
  triggerEvent(id: EventTriggerId, data?: unknown): void {
    const h = this.#triggers.get(id);
    if (h) this.scheduleDelayedTask(0, () => h(data));
  }
  deleteEventTrigger(id: EventTriggerId): void {
    this.#triggers.delete(id);
  }
  /** Tasks pending. */
  get pending(): number {
    return this.#tasks.size;
  }
  /** Advance the clock by `us`, running every task due on the way, in time order. */
  advance(us: number): void {
    const end = this.#now + us;
    for (let guard = 0; guard < 1_000_000; guard++) {
      let best: [TaskToken, { at: number; seq: number; task: Task }] | undefined;
      for (const e of this.#tasks) {
        if (e[1].at <= end && (!best || e[1].at < best[1].at || (e[1].at === best[1].at && e[1].seq < best[1].seq))) best = e;
      }
      if (!best) break;
      this.#tasks.delete(best[0]);
      this.#now = best[1].at;
      best[1].task();
    }
    this.#now = end;
  }
  close(): void {
    this.#tasks.clear();
    this.#triggers.clear();
  }
}
