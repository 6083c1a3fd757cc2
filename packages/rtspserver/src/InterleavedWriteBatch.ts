import { Socket } from 'node:net';

/** Bytes of one arena: room for a batch of {@link FLUSH_BATCH_BYTES} plus the largest `$` frame. */
const ARENA_BYTES = 160 * 1024;

/** Interleaved bytes batched for one connection before they are handed to the kernel anyway. */
export const FLUSH_BATCH_BYTES = 64 * 1024;

/**
 * The `$`-interleaved write path of every server connection in the process: each packet is copied
 * (`$`, channel, length, then its chunks) into one shared arena, and the packets one connection
 * is sent back to back (a video frame's, a catch-up burst's) leave in ONE `socket.write` — when a
 * packet for another connection comes, when the batch reaches {@link FLUSH_BATCH_BYTES}, or at
 * the end of the turn (one `process.nextTick` for all connections).
 *
 * An MPEG-TS stream sends one packet per connection per turn: that is then one plain `write` per
 * packet, with no cork, no per-connection tick and no buffer allocated per packet (a corked socket
 * queues each chunk in its Writable's buffer and needs an uncork per turn).
 *
 * Buffer lifetime: a write the kernel took synchronously leaves the socket with nothing queued
 * (`writableLength` 0): the arena's bytes are free again. A socket that already has bytes queued
 * (a slow reader) is given a copy of its own, so that it never pins the shared arena; and when the
 * kernel's buffer fills up during a write from the arena, the socket keeps a reference to those
 * bytes: they are never written again, the arena goes on after them and is replaced by a fresh one
 * when full (at most one arena per connection that starts queueing, until that write drains).
 * Sockets other than `net.Socket` (and its subclasses, TLS included) always get a copy.
 * @internal
 */
class InterleavedWriteBatch {
  #arena: Buffer = Buffer.allocUnsafeSlow(ARENA_BYTES);
  /** First byte of the open batch, and the end of the bytes written into the arena. */
  #start = 0;
  #end = 0;
  /** No socket holds bytes of this arena: once a batch went out, writing starts again at 0. */
  #reusable = true;
  /** The socket of the open batch (the bytes from #start to #end), if any. */
  #socket: Socket | undefined;
  /** The view of the arena the last batch was written from (reused when the next one has the same bounds). */
  #view: Buffer = Buffer.alloc(0);
  #tickQueued = false;
  readonly #onTick = (): void => {
    this.#tickQueued = false;
    this.flush();
  };

  /** Copy one `$` frame of `len` bytes (the chunks' total, ≤ 65535) for `socket` into the batch. */
  append(socket: Socket, channel: number, chunks: readonly Uint8Array[], len: number): void {
    if (this.#socket !== socket) this.flush();
    const need = 4 + len;
    if (this.#end + need > this.#arena.length) {
      this.flush();
      if (this.#end + need > this.#arena.length) {
        // Bytes of this arena are still held by sockets that queued them: a fresh one.
        this.#arena = Buffer.allocUnsafeSlow(ARENA_BYTES);
        this.#start = this.#end = 0;
        this.#reusable = true;
      }
    }
    const out = this.#arena;
    let off = this.#end;
    out[off] = 0x24;
    out[off + 1] = channel;
    out[off + 2] = len >> 8;
    out[off + 3] = len & 0xff;
    off += 4;
    for (let i = 0; i < chunks.length; i++) {
      const c = chunks[i]!;
      out.set(c, off);
      off += c.length;
    }
    this.#end = off;
    this.#socket = socket;
    if (off - this.#start >= FLUSH_BATCH_BYTES) this.flush();
    else if (!this.#tickQueued) {
      this.#tickQueued = true;
      process.nextTick(this.#onTick);
    }
  }

  /** Hand the open batch to its socket now (before anything else is written to it). */
  flushFor(socket: Socket): void {
    if (this.#socket === socket) this.flush();
  }

  /** Forget the open batch of `socket` (closed): its bytes are not sent. */
  discardFor(socket: Socket): void {
    if (this.#socket !== socket) return;
    this.#socket = undefined;
    this.#start = this.#end;
  }

  /** Hand the open batch, if any, to its socket. */
  flush(): void {
    const socket = this.#socket;
    if (socket === undefined) return;
    this.#socket = undefined;
    const start = this.#start;
    const end = this.#end;
    let held = false;
    if (socket.destroyed || socket.writableEnded) {
      // Nothing to write to.
    } else if (!(socket instanceof Socket) || socket.writableLength > 0) {
      // The socket queues this write (a reader behind, or a stream that may keep what it is given):
      // it gets a copy of its own, so that a slow reader never pins the shared arena, only its bytes
      // (bounded by maxSendQueueBytes).
      const copy = Buffer.allocUnsafeSlow(end - start);
      copy.set(this.#arena.subarray(start, end));
      socket.write(copy);
    } else {
      // The same bytes of the arena as last time (one packet of the usual size from its start): the
      // same view, no new Buffer object per write.
      let view = this.#view;
      if (view.byteOffset !== start || view.length !== end - start || view.buffer !== this.#arena.buffer) view = this.#view = this.#arena.subarray(start, end);
      socket.write(view);
      // Nothing queued: the kernel took these bytes synchronously. Otherwise (the kernel's buffer
      // filled up in this write) the socket holds them, and this arena is never written again.
      held = socket.writableLength > 0;
    }
    if (!held && this.#reusable) {
      this.#start = this.#end = 0;
      return;
    }
    if (held) this.#reusable = false;
    this.#start = end;
  }
}

/** The one batch of the process (writes are synchronous JavaScript: one open batch at a time). */
export const interleavedWriteBatch = new InterleavedWriteBatch();
