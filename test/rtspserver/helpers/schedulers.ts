import { EventEmitter } from 'eventemitter3';
import type { EventTriggerId, Task, TaskScheduler, TaskSchedulerEvents, TaskToken } from '@dorsvr/scheduler';

/** A virtual-clock scheduler as the server tests need it: time moves only by `advance(us)`. */
export interface VirtualScheduler extends TaskScheduler {
  advance(us: number): void;
}

/**
 * Minimal manual-clock TaskScheduler for the server's protocol tests (the foundation's
 * VirtualTaskScheduler had not landed when these were written; swap it in when it does).
 */
class ManualScheduler extends EventEmitter<TaskSchedulerEvents> implements VirtualScheduler {
  protected nowUs = 1_000_000;
  #next = 1;
  readonly #tasks = new Map<TaskToken, { at: number; task: Task }>();
  readonly #triggers = new Map<EventTriggerId, (d: unknown) => void>();

  now(): number {
    return this.nowUs;
  }
  wallClockUs(): number {
    return 1_795_000_000_000_000 + this.nowUs;
  }
  scheduleDelayedTask(delayUs: number, task: Task): TaskToken {
    const t = this.#next++;
    this.#tasks.set(t, { at: this.nowUs + Math.max(0, delayUs), task });
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
    if (h) queueMicrotask(() => h(data));
  }
  deleteEventTrigger(id: EventTriggerId): void {
    this.#triggers.delete(id);
  }
  /** Time of the earliest pending task. */
  protected nextDue(): number | undefined {
    let best: number | undefined;
    for (const e of this.#tasks.values()) if (best === undefined || e.at < best) best = e.at;
    return best;
  }
  advance(us: number): void {
    const end = this.nowUs + us;
    for (let guard = 0; guard < 1_000_000; guard++) {
      let best: [TaskToken, { at: number; task: Task }] | undefined;
      for (const e of this.#tasks) if (e[1].at <= end && (!best || e[1].at < best[1].at)) best = e;
      if (!best) break;
      this.#tasks.delete(best[0]);
      this.nowUs = best[1].at;
      try {
        best[1].task();
      } catch (err) {
        this.emit('error', err);
      }
    }
    this.nowUs = end;
  }
  close(): void {
    this.#tasks.clear();
    this.#triggers.clear();
  }
}

export function virtualScheduler(): VirtualScheduler {
  return new ManualScheduler();
}

/**
 * Real-time variant: `now()` follows the monotonic clock and due tasks run from one Node timer
 * (stand-in for the foundation's BasicTaskScheduler in these tests).
 */
class RealTimeScheduler extends ManualScheduler {
  readonly #origin = performance.now();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;
  readonly #wallOrigin = Date.now() * 1000;

  constructor() {
    super();
    this.nowUs = 0;
  }
  override now(): number {
    return Math.round((performance.now() - this.#origin) * 1000);
  }
  override wallClockUs(): number {
    return this.#wallOrigin + this.now();
  }
  override scheduleDelayedTask(delayUs: number, task: Task): TaskToken {
    const t = super.scheduleDelayedTask(delayUs + (this.now() - this.nowUs), task);
    this.#arm();
    return t;
  }
  #arm(): void {
    if (this.#closed) return;
    if (this.#timer) clearTimeout(this.#timer);
    const next = this.nextDue();
    if (next === undefined) {
      this.#timer = undefined;
      return;
    }
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      const now = this.now();
      this.advance(Math.max(0, now - this.nowUs));
      this.#arm();
    }, Math.max(0, (next - this.now()) / 1000));
  }
  override close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    super.close();
  }
}

export function realScheduler(): TaskScheduler {
  return new RealTimeScheduler();
}
