/** How an H.264/H.265 framer times access units from one point on: `pt0` at access unit `n0`, then `frameDurationUs` each. */
export interface H26xTiming {
  /** Presentation time of access unit n0, µs. */
  pt0: number;
  n0: number;
  /** Frame duration, µs (may be fractional). */
  frameDurationUs: number;
}

/** One key frame of a {@link H26xKeyFrameTable}, with the timing in force there (what a seek restores). */
export interface H26xKeyFrameEntry {
  accessUnit: number;
  presentationTime: number;
  byteOffset: number;
  timing: H26xTiming;
}

/**
 * Most key frames a table keeps (28 bytes each, so at most 28 MiB): past it, every other one is
 * dropped and from then on only every 2nd (then 4th, …) is kept — seeks land on a key frame a
 * little further back in an all-intra stream, but a file's index stays small whatever its length.
 */
export const MAX_H26X_KEY_FRAMES = 1 << 20;

/**
 * The key frames of an H.264/H.265 stream, as columns of typed arrays (access unit number,
 * presentation time, byte offset, timing), not an object per key frame. Built by
 * {@link H26xKeyFrameTableBuilder} in one pass over the stream.
 */
export class H26xKeyFrameTable {
  readonly count: number;
  readonly #accessUnits: Float64Array;
  readonly #presentationTimes: Float64Array;
  readonly #byteOffsets: Float64Array;
  readonly #timingIndex: Uint32Array;
  readonly #timings: readonly H26xTiming[];

  constructor(count: number, accessUnits: Float64Array, presentationTimes: Float64Array, byteOffsets: Float64Array, timingIndex: Uint32Array, timings: readonly H26xTiming[]) {
    this.count = count;
    this.#accessUnits = accessUnits;
    this.#presentationTimes = presentationTimes;
    this.#byteOffsets = byteOffsets;
    this.#timingIndex = timingIndex;
    this.#timings = timings;
  }

  /** Bytes the table holds. */
  get byteLength(): number {
    return this.#accessUnits.byteLength * 3 + this.#timingIndex.byteLength + this.#timings.length * 32;
  }

  /** Number of the last key frame whose presentation time is at or before `us`, else -1. */
  findAtOrBefore(us: number): number {
    const pts = this.#presentationTimes;
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (pts[mid]! <= us) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /** Key frame `i` as an object (made on demand: seeks, listings). */
  entry(i: number): H26xKeyFrameEntry {
    return {
      accessUnit: this.#accessUnits[i]!,
      presentationTime: this.#presentationTimes[i]!,
      byteOffset: this.#byteOffsets[i]!,
      timing: { ...this.#timings[this.#timingIndex[i]!]! },
    };
  }
}

/** Collects a {@link H26xKeyFrameTable}, key frame by key frame, in stream order. */
export class H26xKeyFrameTableBuilder {
  #count = 0;
  #accessUnits = new Float64Array(256);
  #presentationTimes = new Float64Array(256);
  #byteOffsets = new Float64Array(256);
  #timingIndex = new Uint32Array(256);
  readonly #timings: H26xTiming[] = [];
  #lastTiming: H26xTiming | undefined;
  /** Key frames seen, and how many of them are kept: one in `#stride`. */
  #seen = 0;
  #stride = 1;
  readonly #max: number;

  constructor(max = MAX_H26X_KEY_FRAMES) {
    this.#max = Math.max(2, max);
  }

  /** Key frames recorded (kept). */
  get count(): number {
    return this.#count;
  }

  /** A key frame, with the timing in force (an object the framer replaces when the timing changes). */
  push(accessUnit: number, presentationTime: number, byteOffset: number, timing: H26xTiming): void {
    if (this.#seen++ % this.#stride !== 0) return;
    if (timing !== this.#lastTiming) {
      this.#timings.push({ ...timing });
      this.#lastTiming = timing;
    }
    if (this.#count === this.#max) this.#halve();
    if (this.#count === this.#accessUnits.length) this.#grow();
    const i = this.#count++;
    this.#accessUnits[i] = accessUnit;
    this.#presentationTimes[i] = presentationTime;
    this.#byteOffsets[i] = byteOffset;
    this.#timingIndex[i] = this.#timings.length - 1;
  }

  #grow(): void {
    const n = Math.min(this.#max, this.#accessUnits.length * 2);
    const grow = <A extends Float64Array | Uint32Array>(a: A): A => {
      const b = new (a.constructor as new (len: number) => A)(n);
      b.set(a);
      return b;
    };
    this.#accessUnits = grow(this.#accessUnits);
    this.#presentationTimes = grow(this.#presentationTimes);
    this.#byteOffsets = grow(this.#byteOffsets);
    this.#timingIndex = grow(this.#timingIndex);
  }

  /** Full: keep every other key frame, and from now on one in twice as many. */
  #halve(): void {
    const n = this.#count;
    let k = 0;
    for (let i = 0; i < n; i += 2, k++) {
      this.#accessUnits[k] = this.#accessUnits[i]!;
      this.#presentationTimes[k] = this.#presentationTimes[i]!;
      this.#byteOffsets[k] = this.#byteOffsets[i]!;
      this.#timingIndex[k] = this.#timingIndex[i]!;
    }
    this.#count = k;
    this.#stride *= 2;
  }

  finish(): H26xKeyFrameTable {
    const n = this.#count;
    return new H26xKeyFrameTable(
      n,
      this.#accessUnits.slice(0, n),
      this.#presentationTimes.slice(0, n),
      this.#byteOffsets.slice(0, n),
      this.#timingIndex.slice(0, n),
      this.#timings,
    );
  }
}
