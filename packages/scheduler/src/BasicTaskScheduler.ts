import { performance } from 'node:perf_hooks';
import { AbstractTaskScheduler } from './AbstractTaskScheduler.js';

/** Node's longest timer delay (ms); longer ones would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * live555's BasicTaskScheduler for Node: one monotonic microsecond clock (`performance.now()`),
 * one queue of delayed tasks and ONE Node timer, re-armed for the earliest task, that runs every
 * task due when it fires. Scheduling a million tasks creates no more timers than scheduling one.
 * Event-trigger handlers run from a `setImmediate`, never inside `triggerEvent`.
 *
 * The pending timer keeps the process alive, as live555's event loop does; {@link close} releases it.
 */
export class BasicTaskScheduler extends AbstractTaskScheduler {
  readonly #origin = performance.now();
  readonly #wallOrigin = Date.now() * 1000;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerAt = Infinity;
  #immediate: ReturnType<typeof setImmediate> | undefined;
  readonly #onTimer = (): void => {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    this.#fire();
  };
  readonly #onImmediate = (): void => {
    this.#immediate = undefined;
    this.#fire();
  };

  now(): number {
    return Math.floor((performance.now() - this.#origin) * 1000);
  }

  wallClockUs(): number {
    return this.#wallOrigin + this.now();
  }

  protected wake(): void {
    if (this.closed) return;
    if (this.hasPendingTriggers) this.#immediate ??= setImmediate(this.#onImmediate);
    const next = this.queue.peekTime();
    if (next === undefined) {
      // Everything was cancelled: let the process exit.
      if (this.#timer !== undefined) clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#timerAt = Infinity;
      return;
    }
    if (this.#timer !== undefined && this.#timerAt <= next) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timerAt = next;
    // Round up: a timer that fires early finds nothing due and re-arms.
    const ms = Math.min(MAX_TIMER_MS, Math.max(0, Math.ceil((next - this.now()) / 1000)));
    this.#timer = setTimeout(this.#onTimer, ms);
  }

  override unscheduleDelayedTask(token: number | null | undefined): void {
    super.unscheduleDelayedTask(token);
    if (this.queue.size === 0) this.wake();
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
    this.#timerAt = Infinity;
    this.#immediate = undefined;
    super.close();
  }
}
