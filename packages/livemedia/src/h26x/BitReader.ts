import { DorsvrError } from '@dorsvr/scheduler';

/**
 * Reads an RBSP (a NAL unit payload with emulation-prevention bytes removed) bit by bit, with the
 * Exp-Golomb codes of H.264/H.265. Reading past the end throws `DorsvrError` `ERR_H26X_PARSE`, never
 * a RangeError, so parsers of untrusted bitstreams fail cleanly.
 */
export class BitReader {
  readonly #buf: Uint8Array;
  #bit = 0;
  readonly #totalBits: number;
  /** Name used in error messages (e.g. `'H.264 SPS'`). */
  readonly what: string;

  constructor(buf: Uint8Array, what = 'bitstream') {
    this.#buf = buf;
    this.#totalBits = buf.length * 8;
    this.what = what;
  }

  /** Bits not yet read. */
  get bitsLeft(): number {
    return this.#totalBits - this.#bit;
  }

  /** Bits read so far. */
  get position(): number {
    return this.#bit;
  }

  #fail(need: number): never {
    throw new DorsvrError('ERR_H26X_PARSE', `${this.what}: truncated (needed ${need} more bits at bit ${this.#bit})`);
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
    let v = 0;
    for (let i = 0; i < n; i++) {
      v = v * 2 + ((this.#buf[this.#bit >> 3]! >> (7 - (this.#bit & 7))) & 1);
      this.#bit++;
    }
    return v;
  }

  /** Skip `n` bits. */
  skip(n: number): void {
    if (this.#bit + n > this.#totalBits) this.#fail(n);
    this.#bit += n;
  }

  /** ue(v): unsigned Exp-Golomb (at most 32 bits of value). */
  ue(): number {
    let zeros = 0;
    while (this.u1() === 0) {
      if (++zeros > 32) throw new DorsvrError('ERR_H26X_PARSE', `${this.what}: Exp-Golomb code longer than 32 bits`);
    }
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
