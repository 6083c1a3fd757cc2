import { AbstractTaskScheduler } from './AbstractTaskScheduler.js';

/** Wall-clock time at virtual time 0 unless told otherwise: 2026-11-24T10:00:00Z, in µs. */
const DEFAULT_WALL_CLOCK_ORIGIN_US = Date.UTC(2026, 10, 24, 10, 0, 0) * 1000;

/**
 * A scheduler on a manual clock, for deterministic tests: time moves only with {@link advance} or
 * {@link runUntilIdle}, which run every task due on the way, in order, with the clock reading each
 * task's own due time while it runs. Trigger handlers run at the next `advance`/`runUntilIdle`.
 */
export class VirtualTaskScheduler extends AbstractTaskScheduler {
  #now: number;
  readonly #wallOrigin: number;

  /**
   * @param startUs the clock's initial reading (default 0).
   * @param wallClockOriginUs wall-clock time (µs since the Unix epoch) when the clock reads 0;
   *   fixed by default so that RTCP/NTP output is reproducible.
   */
  constructor(startUs = 0, wallClockOriginUs = DEFAULT_WALL_CLOCK_ORIGIN_US) {
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

  /**
   * Move the clock forward by `us`, running each task due on the way at its due time (tasks they
   * schedule inside the window run too), then leave the clock at exactly `now + us`.
   * Returns the number of tasks run. Bounded by `maxTasks` so a task that reschedules itself with
   * no delay cannot hang a test.
   */
  advance(us: number, maxTasks = 10_000_000): number {
    const end = this.#now + (us > 0 ? us : 0);
    let n = 0;
    // Each round runs one task or one batch of trigger deliveries; bounded either way.
    for (let round = 0; round < maxTasks && !this.closed; round++) {
      if (this.hasPendingTriggers) {
        // Deliveries happen at the time they were triggered, before the clock moves on.
        this.runDue(this.#now, 0);
        continue;
      }
      const next = this.queue.peekTime();
      if (next === undefined || next > end) break;
      if (next > this.#now) this.#now = next;
      n += this.runDue(this.#now, 1);
    }
    if (!this.closed && end > this.#now) this.#now = end;
    return n;
  }

  /**
   * Run everything pending, jumping the clock to each task's due time, until no task or trigger
   * delivery is left — or until the next task lies more than `maxUs` ahead of the starting time,
   * or `maxTasks` tasks have run (periodic tasks never leave the queue empty). Returns the number
   * of tasks run.
   */
  runUntilIdle(maxUs = Infinity, maxTasks = 1_000_000): number {
    const end = this.#now + (maxUs > 0 ? maxUs : 0);
    let n = 0;
    // Each round runs one task or one batch of trigger deliveries; bounded either way.
    for (let round = 0; round < maxTasks && !this.closed; round++) {
      if (this.hasPendingTriggers) {
        // Deliveries happen at the time they were triggered, before the clock moves on.
        this.runDue(this.#now, 0);
        continue;
      }
      const next = this.queue.peekTime();
      if (next === undefined || next > end) break;
      if (next > this.#now) this.#now = next;
      n += this.runDue(this.#now, 1);
    }
    return n;
  }
}
