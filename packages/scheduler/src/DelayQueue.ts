import type { Task, TaskToken } from './TaskScheduler.js';

interface Entry {
  at: number;
  seq: number;
  token: TaskToken;
  task: Task;
}

/**
 * live555's DelayQueue: pending tasks ordered by due time (then by scheduling order), in a binary
 * heap; cancelled entries are dropped lazily when they reach the top.
 */
export class DelayQueue {
  readonly #heap: Entry[] = [];
  readonly #live = new Map<TaskToken, Entry>();
  #seq = 0;
  #nextToken = 1;

  get size(): number {
    return this.#live.size;
  }

  add(at: number, task: Task): TaskToken {
    const token = this.#nextToken++;
    if (this.#nextToken > Number.MAX_SAFE_INTEGER) this.#nextToken = 1;
    const e: Entry = { at, seq: this.#seq++, token, task };
    this.#live.set(token, e);
    this.#heap.push(e);
    this.#up(this.#heap.length - 1);
    return token;
  }

  remove(token: TaskToken | null | undefined): void {
    if (token) this.#live.delete(token);
  }

  /** Due time of the earliest live task. */
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

  clear(): void {
    this.#heap.length = 0;
    this.#live.clear();
  }

  #prune(): void {
    while (this.#heap.length > 0 && !this.#live.has(this.#heap[0]!.token)) this.#pop();
  }

  #less(a: Entry, b: Entry): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  #pop(): void {
    const last = this.#heap.pop()!;
    if (this.#heap.length === 0) return;
    this.#heap[0] = last;
    let i = 0;
    const n = this.#heap.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.#less(this.#heap[l]!, this.#heap[m]!)) m = l;
      if (r < n && this.#less(this.#heap[r]!, this.#heap[m]!)) m = r;
      if (m === i) break;
      [this.#heap[i], this.#heap[m]] = [this.#heap[m]!, this.#heap[i]!];
      i = m;
    }
  }

  #up(i: number): void {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.#less(this.#heap[i]!, this.#heap[p]!)) break;
      [this.#heap[i], this.#heap[p]] = [this.#heap[p]!, this.#heap[i]!];
      i = p;
    }
  }
}
