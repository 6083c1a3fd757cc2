import { AbstractTaskScheduler } from './BasicTaskScheduler.js';

/**
 * A scheduler on a manual clock, for deterministic tests: time moves only with {@link advance},
 * which runs every task due on the way, in order, at its own time.
 */
export class VirtualTaskScheduler extends AbstractTaskScheduler {
  #now: number;
  readonly #wallOrigin: number;

  /** `startUs`: the clock's initial reading; `wallClockOriginUs`: wall-clock time at it. */
  constructor(startUs = 0, wallClockOriginUs = Date.UTC(2026, 10, 24, 10, 0, 0) * 1000) {
    super();
    this.#now = startUs;
    this.#wallOrigin = wallClockOriginUs;
  }

  now(): number {
    return this.#now;
  }

  wallClockUs(): number {
    return this.#wallOrigin + this.#now;
  }

  protected wake(): void {
    // Nothing runs by itself on a virtual clock.
  }

  /** Move the clock forward by `us`, running each task due on the way at its due time. */
  advance(us: number): void {
    const end = this.#now + Math.max(0, us);
    for (let guard = 0; guard < 10_000_000 && !this.closed; guard++) {
      const next = this.queue.peekTime();
      if (next === undefined || next > end) break;
      if (next > this.#now) this.#now = next;
      this.runDue(this.#now, 1);
    }
    this.runDue(this.#now, 0);
    this.#now = end;
  }

  /** Run everything pending now and later, jumping the clock (bounded). */
  runUntilIdle(maxTasks = 1_000_000): void {
    for (let n = 0; n < maxTasks && !this.closed; n++) {
      const next = this.queue.peekTime();
      if (next === undefined && !this.hasPendingTriggers) break;
      if (next !== undefined && next > this.#now) this.#now = next;
      this.runDue(this.#now, 1);
    }
  }
}
