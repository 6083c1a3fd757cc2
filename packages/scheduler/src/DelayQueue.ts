import type { Task, TaskToken } from './TaskScheduler.js';

interface Entry {
  at: number;
  seq: number;
  token: TaskToken;
  task: Task;
}

/**
 * live555's DelayQueue: pending tasks ordered by due time, then by scheduling order (so tasks due
 * at the same time run first-in first-out), in a binary heap.
 *
 * Cancellation is lazy: the token leaves the live map at once (O(1)) and its heap entry is dropped
 * when it reaches the top. When dead entries outnumber live ones the heap is rebuilt in O(n), so
 * a task rescheduled forever (a session timeout pushed back on every keep-alive) cannot grow it.
 */
export class DelayQueue {
  #heap: Entry[] = [];
  readonly #live = new Map<TaskToken, Entry>();
  #seq = 0;
  #nextToken = 1;

  /** Number of tasks still pending (cancelled ones excluded). */
  get size(): number {
    return this.#live.size;
  }

  /** Queue `task` to run at time `at` (µs, on the owner's clock); returns its token (never 0). */
  add(at: number, task: Task): TaskToken {
    const token = this.#nextToken++;
    if (this.#nextToken > Number.MAX_SAFE_INTEGER) this.#nextToken = 1;
    const e: Entry = { at, seq: this.#seq++, token, task };
    this.#live.set(token, e);
    this.#heap.push(e);
    this.#up(this.#heap.length - 1);
    return token;
  }

  /** Cancel a pending task; unknown, already-run and falsy tokens are ignored. */
  remove(token: TaskToken | null | undefined): boolean {
    if (!token || !this.#live.delete(token)) return false;
    if (this.#heap.length > 64 && this.#heap.length > 2 * this.#live.size) this.#compact();
    return true;
  }

  /** True while `token`'s task is pending. */
  has(token: TaskToken | null | undefined): boolean {
    return !!token && this.#live.has(token);
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
    this.#pop();
    this.#live.delete(top.token);
    return top.task;
  }

  /** Drop every task. */
  clear(): void {
    this.#heap.length = 0;
    this.#live.clear();
  }

  #prune(): void {
    const heap = this.#heap;
    while (heap.length > 0 && this.#live.get(heap[0]!.token) !== heap[0]) this.#pop();
  }

  #compact(): void {
    const heap: Entry[] = [];
    for (const e of this.#heap) if (this.#live.get(e.token) === e) heap.push(e);
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
