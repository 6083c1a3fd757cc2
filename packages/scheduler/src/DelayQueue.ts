import type { Task, TaskToken } from './TaskScheduler.js';

/** Slots (entries pending or cancelled but still in the heap) a queue can have at once. */
const SLOTS = 2 ** 24;
/** Generations per slot before its numbering starts again (tokens stay below 2^53). */
const MAX_GENERATION = 2 ** 28;

/** One slot: reused for task after task, so that scheduling allocates nothing. */
interface Entry {
  at: number;
  seq: number;
  task: Task | undefined;
  /** Slot index and generation make the token: a stale token (an earlier use of the slot) matches no entry. */
  readonly slot: number;
  gen: number;
  live: boolean;
}

/**
 * live555's DelayQueue: pending tasks ordered by due time, then by scheduling order (so tasks due
 * at the same time run first-in first-out), in a binary heap.
 *
 * Entries are slots reused from task to task, and a token is the slot's index and generation, so
 * that scheduling and running a task allocate nothing (a paced stream schedules one task per
 * frame: an object and a map entry per task made the scheduler a top source of garbage).
 * Cancellation is lazy: the token stops matching at once (O(1)) and the entry is dropped when it
 * reaches the top. When dead entries outnumber live ones the heap is rebuilt in O(n), so a task
 * rescheduled forever (a session timeout pushed back on every keep-alive) cannot grow it.
 */
export class DelayQueue {
  #heap: Entry[] = [];
  readonly #slots: Entry[] = [];
  readonly #free: number[] = [];
  #size = 0;
  #seq = 0;

  /** Number of tasks still pending (cancelled ones excluded). */
  get size(): number {
    return this.#size;
  }

  /** Queue `task` to run at time `at` (µs, on the owner's clock); returns its token (never 0). */
  add(at: number, task: Task): TaskToken {
    let e: Entry;
    const slot = this.#free.pop();
    if (slot !== undefined) e = this.#slots[slot]!;
    else {
      if (this.#slots.length >= SLOTS) throw new RangeError(`more than ${SLOTS} delayed tasks at once`);
      e = { at: 0, seq: 0, task: undefined, slot: this.#slots.length, gen: 1, live: false };
      this.#slots.push(e);
    }
    e.at = at;
    e.seq = this.#seq++;
    e.task = task;
    e.live = true;
    this.#size++;
    this.#heap.push(e);
    this.#up(this.#heap.length - 1);
    return e.gen * SLOTS + e.slot;
  }

  /** Cancel a pending task; unknown, already-run and falsy tokens are ignored. */
  remove(token: TaskToken | null | undefined): boolean {
    const e = this.#entry(token);
    if (!e) return false;
    e.live = false;
    e.task = undefined;
    this.#size--;
    if (this.#heap.length > 64 && this.#heap.length > 2 * this.#size) this.#compact();
    return true;
  }

  /** True while `token`'s task is pending. */
  has(token: TaskToken | null | undefined): boolean {
    return this.#entry(token) !== undefined;
  }

  /** Due time of the earliest live task, or undefined when empty. */
  peekTime(): number | undefined {
    this.#prune();
    return this.#heap[0]?.at;
  }

  /** Remove and return the earliest live task due at or before `now`. */
  popDue(now: number): Task | undefined {
    this.#prune();
    const top = this.#heap[0];
    if (!top || top.at > now) return undefined;
    const task = top.task;
    this.#pop();
    this.#size--;
    this.#release(top);
    return task;
  }

  /** Drop every task. */
  clear(): void {
    for (const e of this.#heap) this.#release(e);
    this.#heap.length = 0;
    this.#size = 0;
  }

  #entry(token: TaskToken | null | undefined): Entry | undefined {
    if (!token || token < SLOTS) return undefined;
    const e = this.#slots[token % SLOTS];
    return e !== undefined && e.live && e.gen === Math.floor(token / SLOTS) ? e : undefined;
  }

  /** The entry left the heap: its slot (and a new generation of tokens) is free for another task. */
  #release(e: Entry): void {
    e.live = false;
    e.task = undefined;
    e.gen = e.gen >= MAX_GENERATION ? 1 : e.gen + 1;
    this.#free.push(e.slot);
  }

  #prune(): void {
    const heap = this.#heap;
    while (heap.length > 0 && !heap[0]!.live) {
      const dead = heap[0]!;
      this.#pop();
      this.#release(dead);
    }
  }

  #compact(): void {
    const heap: Entry[] = [];
    for (const e of this.#heap) {
      if (e.live) heap.push(e);
      else this.#release(e);
    }
    this.#heap = heap;
    for (let i = (heap.length >> 1) - 1; i >= 0; i--) this.#down(i);
  }

  #less(a: Entry, b: Entry): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop()!;
    if (heap.length === 0) return;
    heap[0] = last;
    this.#down(0);
  }

  #down(i: number): void {
    const heap = this.#heap;
    const n = heap.length;
    const e = heap[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && this.#less(heap[r]!, heap[l]!) ? r : l;
      if (!this.#less(heap[c]!, e)) break;
      heap[i] = heap[c]!;
      i = c;
    }
    heap[i] = e;
  }

  #up(i: number): void {
    const heap = this.#heap;
    const e = heap[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.#less(e, heap[p]!)) break;
      heap[i] = heap[p]!;
      i = p;
    }
    heap[i] = e;
  }
}
