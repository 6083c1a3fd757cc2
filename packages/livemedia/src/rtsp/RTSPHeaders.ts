/**
 * What {@link RTSPHeaders} can be built from: another instance, `[name, value]` pairs (order and
 * repeats kept), or a record (an array value gives one header line per element).
 */
export type RTSPHeadersInit =
  | RTSPHeaders
  | Iterable<readonly [string, string | number]>
  | Readonly<Record<string, string | number | readonly (string | number)[] | undefined>>;

/**
 * The header block of an RTSP message: an ordered list of lines, looked up case-insensitively.
 *
 * Original spelling and order are kept so a message re-serializes as it arrived, and repeated
 * names (several `WWW-Authenticate` challenges, say) stay separate lines rather than being joined,
 * because comma-joining is wrong for headers whose values contain commas.
 */
export class RTSPHeaders implements Iterable<[string, string]> {
  private readonly names: string[] = [];
  private readonly values: string[] = [];

  constructor(init?: RTSPHeadersInit) {
    if (init === undefined) return;
    if (init instanceof RTSPHeaders) {
      for (const [n, v] of init) this.append(n, v);
    } else if (typeof (init as Iterable<unknown>)[Symbol.iterator] === 'function') {
      for (const [n, v] of init as Iterable<readonly [string, string | number]>) this.append(n, v);
    } else {
      for (const [n, v] of Object.entries(init as Record<string, string | number | readonly (string | number)[] | undefined>)) {
        if (v === undefined) continue;
        if (Array.isArray(v)) for (const x of v as readonly (string | number)[]) this.append(n, x);
        else this.append(n, v as string | number);
      }
    }
  }

  /** Number of header lines. */
  get size(): number {
    return this.names.length;
  }

  /** Adds a line, keeping any existing lines of the same name. */
  append(name: string, value: string | number): this {
    this.names.push(name);
    this.values.push(String(value));
    return this;
  }

  /** Replaces every line of this name by one line (in place of the first, else at the end). */
  set(name: string, value: string | number): this {
    const lower = name.toLowerCase();
    let first = -1;
    for (let i = 0; i < this.names.length; i++) {
      if (this.names[i]!.toLowerCase() === lower) {
        if (first < 0) {
          first = i;
          this.names[i] = name;
          this.values[i] = String(value);
        } else {
          this.names.splice(i, 1);
          this.values.splice(i, 1);
          i--;
        }
      }
    }
    if (first < 0) this.append(name, value);
    return this;
  }

  /** The first value of this name, or undefined. */
  get(name: string): string | undefined {
    const lower = name.toLowerCase();
    for (let i = 0; i < this.names.length; i++) if (this.names[i]!.toLowerCase() === lower) return this.values[i];
    return undefined;
  }

  /** Every value of this name, in order. */
  getAll(name: string): string[] {
    const lower = name.toLowerCase();
    const out: string[] = [];
    for (let i = 0; i < this.names.length; i++) if (this.names[i]!.toLowerCase() === lower) out.push(this.values[i]!);
    return out;
  }

  /** True when at least one line has this name. */
  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /** Removes every line of this name; returns how many were removed. */
  delete(name: string): number {
    const lower = name.toLowerCase();
    let n = 0;
    for (let i = this.names.length - 1; i >= 0; i--) {
      if (this.names[i]!.toLowerCase() === lower) {
        this.names.splice(i, 1);
        this.values.splice(i, 1);
        n++;
      }
    }
    return n;
  }

  /** `[name, value]` pairs in wire order, names as spelled when added. */
  *entries(): IterableIterator<[string, string]> {
    for (let i = 0; i < this.names.length; i++) yield [this.names[i]!, this.values[i]!];
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }

  /** A plain object (lower-case names; repeated names joined with `, `), for logging and tests. */
  toJSON(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [n, v] of this) {
      const k = n.toLowerCase();
      out[k] = k in out ? `${out[k]}, ${v}` : v;
    }
    return out;
  }
}
