import { DorsvrError } from '@dorsvr/scheduler';

/** 6-bit value of each base64 character; -1 not base64, -2 whitespace (skipped), -3 `=`. */
const VALUES = new Int8Array(256).fill(-1);
for (let i = 0; i < 64; i++) VALUES['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.charCodeAt(i)] = i;
for (const c of [0x20, 0x09, 0x0d, 0x0a]) VALUES[c] = -2;
VALUES[0x3d] = -3;

/**
 * Decodes base64 that arrives in pieces split anywhere, as the POST half of an RTSP-over-HTTP
 * tunnel carries it: a chunk may end inside a 4-character quantum (the rest comes with the next
 * chunk), and padded blocks may follow one another (clients encode each request on its own, so
 * `=` may end a quantum in the middle of the stream). Whitespace is skipped. A state machine over
 * the characters of one quantum: up to 3 characters are held between chunks.
 *
 * A character outside the base64 alphabet, or `=` where it cannot be (first or second in a
 * quantum, or followed by data within it), throws `ERR_BASE64` (status 400); the decoder is then
 * unusable (a tunnel that sent garbage is closed).
 */
export class Base64StreamDecoder {
  /** The 6-bit values of the current quantum so far. */
  readonly #quantum = new Uint8Array(4);
  /** Characters of the current quantum received (0..3 between chunks). */
  #count = 0;
  /** `=` characters in the current quantum (they are its last ones). */
  #pads = 0;
  #failed = false;
  /** Bytes decoded so far. */
  decodedBytes = 0;

  /** Characters of an incomplete quantum held until the next chunk. */
  get pendingCharacters(): number {
    return this.#count;
  }

  /** Decodes `chunk`; returns the bytes it completed (possibly none). */
  push(chunk: Uint8Array): Uint8Array {
    if (this.#failed) throw new DorsvrError('ERR_BASE64', 'base64 decoder used after an error', { status: 400 });
    const out = Buffer.allocUnsafe((((this.#count + chunk.length) >> 2) + 1) * 3);
    let o = 0;
    const q = this.#quantum;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!;
      const v = VALUES[c]!;
      if (v === -2) continue;
      if (v === -1) return this.#fail(`byte 0x${c.toString(16).padStart(2, '0')} is not base64`);
      if (v === -3) {
        if (this.#count < 2) return this.#fail('"=" at the start of a base64 quantum');
        this.#pads++;
      } else {
        if (this.#pads > 0) return this.#fail('base64 data after "=" within a quantum');
        q[this.#count] = v;
      }
      if (++this.#count < 4) continue;
      // A whole quantum: 3 bytes, or 2 / 1 when padded.
      out[o++] = (q[0]! << 2) | (q[1]! >> 4);
      if (this.#pads < 2) out[o++] = ((q[1]! & 0x0f) << 4) | (q[2]! >> 2);
      if (this.#pads < 1) out[o++] = ((q[2]! & 0x03) << 6) | q[3]!;
      this.#count = 0;
      this.#pads = 0;
    }
    this.decodedBytes += o;
    return out.subarray(0, o);
  }

  #fail(why: string): never {
    this.#failed = true;
    throw new DorsvrError('ERR_BASE64', `bad base64 in the tunnel: ${why}`, { status: 400 });
  }
}
