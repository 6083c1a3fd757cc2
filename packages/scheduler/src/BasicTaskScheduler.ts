import { performance } from 'node:perf_hooks';
import { AbstractTaskScheduler } from './AbstractTaskScheduler.js';
import { DorsvrError } from './DorsvrError.js';

/** Node's longest timer delay (ms); longer ones would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Passes over the due tasks one timer firing makes at most (tasks falling due meanwhile included). */
const MAX_PASSES_PER_FIRING = 4;
/** Tasks one timer firing runs at most, over all its passes (then the next timer turn goes on). */
const MAX_TASKS_PER_FIRING = 100_000;
/**
 * Milliseconds of tasks one firing of a {@link BasicTaskScheduler} runs at most (the clock is read
 * every 32 tasks): past it, the due tasks left run, in order, from a `setImmediate`, after the event
 * loop has polled I/O — so that a backlog of due tasks (a starved process whose streams all fell
 * behind) never keeps sockets unread for longer than that.
 */
export const FIRING_BUDGET_MS = 4;
/** Tasks run between two readings of the clock against {@link FIRING_BUDGET_MS}. */
const TASKS_PER_CLOCK_CHECK = 32;

/** Default {@link BasicTaskSchedulerOptions.granularityUs}. */
export const DEFAULT_TIMER_GRANULARITY_US = 4000;

/** Options of a {@link BasicTaskScheduler}. */
export interface BasicTaskSchedulerOptions {
  /**
   * Width (µs) of the slots the clock is cut into for waking up: every delayed task due in one
   * slot runs when its Node timer fires at the slot's end, so that many paced streams cost one
   * wake-up per slot rather than one per packet (a wake-up of Node's event loop costs ~50–65 µs of
   * CPU on a small 2-core VM — an idle timer firing every 5 ms — against ~20 µs for a C `select()`
   * loop: more than sending a packet). A task never runs before its due time and runs at most this
   * much (plus Node's own timer lateness, ~1 ms) after it; a task due at once (delay 0) is not held
   * back, and tasks falling due while a firing runs are run by it. Default
   * {@link DEFAULT_TIMER_GRANULARITY_US} (4 ms, less than a video frame's or an audio packet's
   * duration; a player's jitter buffer absorbs it). Wider slots trade lateness for wake-ups: with
   * 8 ms a server pacing ten MPEG-TS files wakes ~130 instead of ~250 times a second and spends
   * ~25 % less CPU per packet over TCP (`dorsvr-server` uses 8 ms: it paces only files), but a live
   * source paced through an RTP sink gets up to that much later too (a frame that arrives before its
   * time waits for the slot's end). 0 or 1000 wakes for each task's own millisecond (Node's timers
   * have no finer resolution).
   */
  granularityUs?: number;
}

/**
 * live555's BasicTaskScheduler for Node: one monotonic microsecond clock (`performance.now()`),
 * one queue of delayed tasks and ONE Node timer, re-armed for the earliest task, that runs every
 * task due when it fires. Scheduling a million tasks creates no more timers than scheduling one,
 * and tasks due close together share a wake-up ({@link BasicTaskSchedulerOptions.granularityUs}).
 * Event-trigger handlers run from a `setImmediate`, never inside `triggerEvent`. A firing runs for
 * {@link FIRING_BUDGET_MS} at most; due tasks left then run after the event loop has polled I/O.
 *
 * The pending timer keeps the process alive, as live555's event loop does; {@link close} releases it.
 */
export class BasicTaskScheduler extends AbstractTaskScheduler {
  readonly #origin = performance.now();
  readonly #wallOrigin = Date.now() * 1000;
  readonly #granularityUs: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** When the armed timer is meant to fire (µs, this clock); Infinity when none is armed. */
  #timerAt = Infinity;
  #immediate: ReturnType<typeof setImmediate> | undefined;
  /** True while {@link runDue} runs: the timer is armed once, after it, for what is left. */
  #running = false;
  readonly #onTimer = (): void => {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    this.#fire();
  };
  readonly #onImmediate = (): void => {
    this.#immediate = undefined;
    this.#overtime = false;
    this.#fire();
  };
  /** The last firing stopped at {@link FIRING_BUDGET_MS} with tasks due: the immediate runs them. */
  #overtime = false;

  /** @throws DorsvrError `ERR_SCHEDULER_OPTIONS` for a granularity that is not a finite number ≥ 0. */
  constructor(options: BasicTaskSchedulerOptions = {}) {
    super();
    const g = options.granularityUs ?? DEFAULT_TIMER_GRANULARITY_US;
    if (typeof g !== 'number' || !Number.isFinite(g) || g < 0) {
      throw new DorsvrError('ERR_SCHEDULER_OPTIONS', `granularityUs must be a finite number ≥ 0, not ${String(g)}`);
    }
    this.#granularityUs = Math.round(g);
  }

  /** The wake-up slot width in µs ({@link BasicTaskSchedulerOptions.granularityUs}). */
  get granularityUs(): number {
    return this.#granularityUs;
  }

  now(): number {
    return Math.floor((performance.now() - this.#origin) * 1000);
  }

  wallClockUs(): number {
    return this.#wallOrigin + this.now();
  }

  protected wake(): void {
    if (this.closed) return;
    if (this.hasPendingTriggers) this.#immediate ??= setImmediate(this.#onImmediate);
    // A task scheduling another while due tasks run: the timer is armed when they are done (arming
    // it now, for a task this very run is about to take, would cost a wake-up for nothing).
    if (this.#running) return;
    const next = this.queue.peekTime();
    if (next === undefined) {
      // Everything was cancelled: let the process exit.
      if (this.#timer !== undefined) clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#timerAt = Infinity;
      return;
    }
    const now = this.now();
    // Due tasks left by a firing that ran out of time: the immediate armed for them runs them.
    if (this.#overtime && next <= now) return;
    const g = this.#granularityUs;
    // The end of the slot the task is due in (a task already due is not held back).
    const at = g > 1 && next > now ? Math.ceil(next / g) * g : next;
    if (this.#timer !== undefined && this.#timerAt <= at) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timerAt = at;
    // Round up: a timer that fires early finds nothing due and re-arms.
    const ms = Math.min(MAX_TIMER_MS, Math.max(0, Math.ceil((at - now) / 1000)));
    this.#timer = setTimeout(this.#onTimer, ms);
  }

  override unscheduleDelayedTask(token: number | null | undefined): void {
    super.unscheduleDelayedTask(token);
    if (this.queue.size === 0) this.wake();
  }

  #fire(): void {
    if (this.closed) return;
    this.#running = true;
    try {
      // Tasks that fall due while the due ones run are run by this firing too: each would otherwise
      // arm a 0 ms timer, a wake-up of its own (a quarter of the firings of a server pacing ten
      // MPEG-TS streams, whose runs take ~0.1–0.2 ms). Bounded, so that timers and I/O still get
      // their turn when tasks keep falling due.
      // Bounded in time too: a backlog of due tasks (a starved process whose streams all fell
      // behind) must not keep the event loop from polling sockets for more than a few ms.
      let budget = MAX_TASKS_PER_FIRING;
      const deadline = performance.now() + FIRING_BUDGET_MS;
      passes: for (let pass = 0; pass < MAX_PASSES_PER_FIRING && budget > 0; pass++) {
        const now = this.now();
        for (;;) {
          const ran = this.runDue(now, Math.min(TASKS_PER_CLOCK_CHECK, budget));
          budget -= ran;
          if (ran < TASKS_PER_CLOCK_CHECK || budget <= 0 || this.closed) break;
          if (performance.now() >= deadline) {
            this.#overtime = true;
            break passes;
          }
        }
        const next = this.queue.peekTime();
        if (this.closed || next === undefined || next > this.now()) break;
      }
    } finally {
      this.#running = false;
    }
    if (this.#overtime && !this.closed) this.#immediate ??= setImmediate(this.#onImmediate);
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
