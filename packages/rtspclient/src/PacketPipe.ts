import { EventEmitter } from 'eventemitter3';

/** Events of a {@link PacketPipe}. */
export interface PacketPipeEvents {
  packet: [data: Uint8Array, from?: unknown];
}

/**
 * A tiny RTP/RTCP interface: `'packet'` events for what arrives, `send` for what we send. It lets
 * one RTCPInstance work the same over a UDP socket or an interleaved channel. Internal.
 */
export class PacketPipe extends EventEmitter<PacketPipeEvents> {
  readonly #send: (chunks: readonly Uint8Array[]) => unknown;

  constructor(send: (chunks: readonly Uint8Array[]) => unknown) {
    super();
    this.#send = send;
  }

  /** Sends one packet given as chunks. */
  send(chunks: readonly Uint8Array[]): unknown {
    return this.#send(chunks);
  }

  /** Hands an arrived packet to the listeners. */
  deliver(data: Uint8Array, from?: unknown): void {
    this.emit('packet', data, from);
  }
}
