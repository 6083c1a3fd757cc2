/** Views per ring: a send that did not keep a packet is done with its payload header when it returns. */
const SLOTS = 4;

/**
 * A few small payload-header buffers (FU headers, AU header sections) that an RTP sink writes in
 * place, packet after packet, each view made once: no object per packet. When a send keeps a
 * packet (see `RTPPacketSender`), {@link replace} gives the ring fresh memory, and the queued send
 * keeps the old one.
 */
export class PayloadHeaderRing {
  readonly #size: number;
  #views: Uint8Array[] = [];
  #memory: Uint8Array;
  #next = 0;

  /** A ring of headers of `size` bytes. */
  constructor(size: number) {
    this.#size = size;
    this.#memory = new Uint8Array(size * SLOTS);
  }

  /** The next header to write. */
  next(): Uint8Array {
    const i = this.#next;
    this.#next = i + 1 === SLOTS ? 0 : i + 1;
    let v = this.#views[i];
    if (v === undefined) {
      v = this.#memory.subarray(i * this.#size, (i + 1) * this.#size);
      this.#views[i] = v; // made on first use, in order
    }
    return v;
  }

  /** The header last handed out is still held by a queued send: never write into this memory again. */
  replace(): void {
    this.#memory = new Uint8Array(this.#size * SLOTS);
    this.#views = [];
    this.#next = 0;
  }
}
