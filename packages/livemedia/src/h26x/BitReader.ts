import { DorsvrError } from '@dorsvr/scheduler';

/**
 * Reads an RBSP (a NAL unit payload with emulation-prevention bytes removed) bit by bit, with the
 * Exp-Golomb codes of H.264/H.265. Reading past the end throws `DorsvrError` `ERR_H26X_PARSE`, never
 * a RangeError, so parsers of untrusted bitstreams fail cleanly.
 */
export class BitReader {
  #buf: Uint8Array;
  #bit = 0;
  #startBit = 0;
  #totalBits = 0;
  /** Name used in error messages (e.g. `'H.264 SPS'`). */
  readonly what: string;

  /** Reads `buf[start, end)` (bytes; the whole buffer by default). */
  constructor(buf: Uint8Array, what = 'bitstream', start = 0, end = buf.length) {
    this.#buf = buf;
    this.what = what;
    this.reset(buf, start, end);
  }

  /**
   * Start over on `buf[start, end)`: one reader serves many short reads (a slice header per NAL
   * unit) without a view or a new reader each time.
   */
  reset(buf: Uint8Array, start = 0, end = buf.length): this {
    this.#buf = buf;
    this.#startBit = this.#bit = Math.max(0, start) * 8;
    this.#totalBits = Math.min(end, buf.length) * 8;
    return this;
  }

  /** Bits not yet read. */
  get bitsLeft(): number {
    return this.#totalBits - this.#bit;
  }

  /** Bits read so far. */
  get position(): number {
    return this.#bit - this.#startBit;
  }

  #fail(need: number): never {
    throw new DorsvrError('ERR_H26X_PARSE', `${this.what}: truncated (needed ${need} more bits at bit ${this.position})`);
  }

  /** One bit. */
  u1(): number {
    if (this.#bit >= this.#totalBits) this.#fail(1);
    const b = (this.#buf[this.#bit >> 3]! >> (7 - (this.#bit & 7))) & 1;
    this.#bit++;
    return b;
  }

  /** A flag bit. */
  flag(): boolean {
    return this.u1() === 1;
  }

  /** `n` bits (0..32) as an unsigned number. */
  u(n: number): number {
    if (n < 0 || n > 32) throw new DorsvrError('ERR_H26X_PARSE', `${this.what}: cannot read ${n} bits at once`);
    if (this.#bit + n > this.#totalBits) this.#fail(n);
    const buf = this.#buf;
    let bit = this.#bit;
    let v = 0;
    if (Number.isInteger(n)) {
      // Whole runs of bits within a byte at a time (slice headers are read per NAL unit).
      for (let left = n; left > 0; ) {
        const off = bit & 7;
        const take = left < 8 - off ? left : 8 - off;
        v = v * (1 << take) + ((buf[bit >> 3]! >> (8 - off - take)) & ((1 << take) - 1));
        bit += take;
        left -= take;
      }
    } else {
      for (let i = 0; i < n; i++) {
        v = v * 2 + ((buf[bit >> 3]! >> (7 - (bit & 7))) & 1);
        bit++;
      }
    }
    this.#bit = bit;
    return v;
  }

  /** Skip `n` bits. */
  skip(n: number): void {
    if (this.#bit + n > this.#totalBits) this.#fail(n);
    this.#bit += n;
  }

  /** ue(v): unsigned Exp-Golomb (at most 32 bits of value). */
  ue(): number {
    // The leading zeros counted a byte at a time (Math.clz32), not bit by bit.
    const buf = this.#buf;
    let bit = this.#bit;
    let zeros = 0;
    for (;;) {
      if (bit >= this.#totalBits) {
        this.#bit = bit;
        this.#fail(1);
      }
      const off = bit & 7;
      const rest = buf[bit >> 3]! & (0xff >> off);
      const lz = rest === 0 ? 8 - off : Math.clz32(rest) - 24 - off;
      if (zeros + lz > 32) {
        this.#bit = bit + (33 - zeros);
        throw new DorsvrError('ERR_H26X_PARSE', `${this.what}: Exp-Golomb code longer than 32 bits`);
      }
      zeros += lz;
      bit += lz;
      if (rest !== 0) break;
    }
    this.#bit = bit + 1; // the 1 that ends the zeros
    return zeros === 0 ? 0 : 2 ** zeros - 1 + this.u(zeros);
  }

  /** se(v): signed Exp-Golomb. */
  se(): number {
    const k = this.ue();
    return k % 2 === 1 ? (k + 1) / 2 : -(k / 2);
  }

  /** ue(v) that must not exceed `max` (a limit on every length read). */
  ueMax(max: number, field: string): number {
    const v = this.ue();
    if (v > max) throw new DorsvrError('ERR_H26X_PARSE', `${this.what}: ${field} = ${v} exceeds ${max}`);
    return v;
  }
}
