import type { Frame, FrameOwner } from '../core/Frame.js';

const END_OF_ACCESS_UNIT = 1;
/** Entries the arrays keep room for once emptied (more are given back: ~60 B each). */
const KEEP = 64;
const KEY = 2;

/**
 * The NAL units an H.264/H.265 framer found and has not delivered yet, in stream order: entries
 * `[head, ready)` are timed and ready, `[ready, tail)` are the access unit being gathered. Each is
 * kept as numbers and references in arrays reused for the life of the framer — where its bytes are,
 * its owner, its timing — and its frame (the object and the view of its bytes) is made only when it
 * is taken ({@link take}). A frame made when its NAL unit is found lives as long as the slice of input
 * parsed ahead and the sink's wait for the frame's time: at a few hundred packets a second per client
 * that outlives the young generation's collections, so every frame would be promoted to the old
 * generation and wait there for a full collection (the old generation then grows with the number of
 * clients). Made when taken, the frame is sent and dropped while it is still young.
 */
export class H26xFrameQueue {
  /** Where entry i's bytes are: `new Uint8Array(#buffers[i], #offsets[i], #lengths[i])`. */
  readonly #buffers: ArrayBufferLike[] = [];
  readonly #offsets: number[] = [];
  readonly #lengths: number[] = [];
  readonly #owners: (FrameOwner | undefined)[] = [];
  readonly #times: number[] = [];
  readonly #durations: number[] = [];
  readonly #flags: number[] = [];
  #head = 0;
  #ready = 0;
  #tail = 0;

  /** Entries ready for delivery. */
  get readyCount(): number {
    return this.#ready - this.#head;
  }

  /** Entries of the access unit being gathered. */
  get pendingCount(): number {
    return this.#tail - this.#ready;
  }

  /** Add a NAL unit (its bytes are not copied) to the access unit being gathered. */
  push(data: Uint8Array, owner: FrameOwner | undefined): void {
    const i = this.#tail++;
    this.#buffers[i] = data.buffer;
    this.#offsets[i] = data.byteOffset;
    this.#lengths[i] = data.length;
    this.#owners[i] = owner;
    this.#times[i] = 0;
    this.#durations[i] = 0;
    this.#flags[i] = 0;
  }

  /**
   * The access unit gathered is complete: its NAL units all take presentation time `pt` (and `key`),
   * the last one `duration` and the end-of-access-unit mark; they become ready.
   */
  completeAccessUnit(pt: number, duration: number, key: boolean): void {
    const end = this.#tail;
    if (this.#ready === end) return;
    const flags = key ? KEY : 0;
    for (let i = this.#ready; i < end; i++) {
      this.#times[i] = pt;
      this.#flags[i] = flags;
    }
    this.#durations[end - 1] = duration;
    this.#flags[end - 1] = flags | END_OF_ACCESS_UNIT;
    this.#ready = end;
  }

  /** Drop the access unit being gathered, handing its NAL units back to their owners (indexing delivers nothing). */
  dropPending(): void {
    for (let i = this.#ready; i < this.#tail; i++) this.#drop(i);
    this.#tail = this.#ready;
  }

  /** Drop every entry, handing each back to its owner (a seek). */
  clear(): void {
    for (let i = this.#head; i < this.#tail; i++) this.#drop(i);
    this.#head = this.#ready = this.#tail = 0;
    if (this.#buffers.length > KEEP) this.#shrink();
  }

  /** The first ready entry as a frame (call only when {@link readyCount} > 0). */
  take(): Frame {
    const i = this.#head;
    const flags = this.#flags[i]!;
    const frame: Frame = {
      data: new Uint8Array(this.#buffers[i]!, this.#offsets[i]!, this.#lengths[i]!),
      presentationTime: this.#times[i]!,
      duration: this.#durations[i]!,
      endOfAccessUnit: (flags & END_OF_ACCESS_UNIT) !== 0,
      key: (flags & KEY) !== 0,
      owner: this.#owners[i],
    };
    this.#forget(i);
    this.#head = i + 1;
    if (this.#head === this.#ready) {
      // Every ready entry went out: the access unit being gathered moves to the front.
      const pending = this.#tail - this.#ready;
      for (let k = 0; k < pending; k++) this.#move(this.#ready + k, k);
      this.#head = this.#ready = 0;
      this.#tail = pending;
      // A slice of many small NAL units grew the arrays: give that room back once it is not needed.
      if (this.#buffers.length > KEEP && pending <= KEEP) this.#shrink();
    }
    return frame;
  }

  #shrink(): void {
    const n = this.#tail;
    this.#buffers.length = n;
    this.#offsets.length = n;
    this.#lengths.length = n;
    this.#owners.length = n;
    this.#times.length = n;
    this.#durations.length = n;
    this.#flags.length = n;
  }

  #drop(i: number): void {
    const owner = this.#owners[i];
    if (owner !== undefined) owner.releaseFrame({ data: new Uint8Array(this.#buffers[i]!, this.#offsets[i]!, this.#lengths[i]!), presentationTime: 0, duration: 0, owner });
    this.#forget(i);
  }

  /** No reference kept to what went out (its chunk, its owner). */
  #forget(i: number): void {
    this.#buffers[i] = EMPTY_BUFFER;
    this.#owners[i] = undefined;
  }

  #move(from: number, to: number): void {
    this.#buffers[to] = this.#buffers[from]!;
    this.#offsets[to] = this.#offsets[from]!;
    this.#lengths[to] = this.#lengths[from]!;
    this.#owners[to] = this.#owners[from];
    this.#times[to] = this.#times[from]!;
    this.#durations[to] = this.#durations[from]!;
    this.#flags[to] = this.#flags[from]!;
    this.#forget(from);
  }
}

const EMPTY_BUFFER = new ArrayBuffer(0);
