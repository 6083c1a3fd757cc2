import type { Socket } from 'node:net';
import createDebug from 'debug';
import { RTSPParser, type RTSPParsedItem, type ServerMediaStream } from '@dorsvr/livemedia';
import type { RTSPClientSession } from './RTSPClientSession.js';

const debug = createDebug('dorsvr:rtspserver:connection');

/** Options of one {@link RTSPClientConnection}. */
export interface RTSPClientConnectionOptions {
  /** Bytes of request (start line + headers + body) accepted (default 64 KiB). */
  maxRequestSize: number;
  /** Bytes the socket may have queued before interleaved packets are dropped (default 1 MiB). */
  maxSendQueueBytes: number;
  /** Consecutive dropped packets after which a reader is judged stuck and disconnected. */
  maxConsecutiveDrops: number;
}

/** What one `$`-interleaved channel of a connection is bound to (by a SETUP over TCP). */
export interface InterleavedBinding {
  /** The session the channel belongs to: a packet on it is a sign of the session's life. */
  readonly session: RTSPClientSession;
  /** The server stream the channel carries, when it is a reader's (its deletion unbinds it). */
  readonly stream?: ServerMediaStream | undefined;
  /** A `$` frame arrived on the channel. */
  receive(channel: number, payload: Uint8Array): void;
}

let nextId = 1;

/**
 * One client's TCP connection: parses its byte stream into requests and `$` frames, writes
 * responses, and carries interleaved RTP/RTCP (it is the server side of `InterleavedChannel`).
 * Interleaved packets go through a bounded queue: when the reader is slow, packets are dropped
 * (and after many drops in a row the connection is closed) so one slow reader never stalls others.
 */
export class RTSPClientConnection {
  /** Small number identifying the connection in logs and events. */
  readonly id = nextId++;
  readonly socket: Socket;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** The local address the client connected to (for SDP `o=` and URLs). */
  readonly localAddress: string;
  readonly #parser: RTSPParser;
  readonly #options: RTSPClientConnectionOptions;
  #closed = false;
  /** Interleaved channel → what it is bound to (both the RTP and the RTCP channel are keys). */
  readonly channels = new Map<number, InterleavedBinding>();
  /** Interleaved packets dropped because the send queue was full. */
  droppedPackets = 0;
  #consecutiveDrops = 0;

  constructor(socket: Socket, options: RTSPClientConnectionOptions) {
    this.socket = socket;
    this.remoteAddress = normalizeAddress(socket.remoteAddress ?? '');
    this.remotePort = socket.remotePort ?? 0;
    this.localAddress = normalizeAddress(socket.localAddress ?? '');
    this.#options = options;
    this.#parser = new RTSPParser({
      maxHeaderBytes: options.maxRequestSize,
      maxBodySize: options.maxRequestSize,
      maxLineLength: Math.min(8192, options.maxRequestSize),
    });
  }

  /** True once closed. */
  get closed(): boolean {
    return this.#closed || this.socket.destroyed;
  }

  /** Feed received bytes; returns what they completed. */
  parse(chunk: Uint8Array): RTSPParsedItem[] {
    return this.#parser.push(chunk);
  }

  /** Write a response (never dropped). */
  writeResponse(bytes: Uint8Array): void {
    if (this.closed) return;
    this.socket.write(bytes);
  }

  /**
   * Send one `$`-interleaved packet made of `chunks` on `channel`. Returns false when it was
   * dropped because the connection's send queue is full (or the connection is closed).
   */
  sendInterleaved(channel: number, chunks: readonly Uint8Array[]): boolean {
    if (this.closed) return false;
    if (this.socket.writableLength > this.#options.maxSendQueueBytes) {
      this.droppedPackets++;
      if (++this.#consecutiveDrops >= this.#options.maxConsecutiveDrops) {
        debug('connection %d: reader stuck (%d drops in a row), closing', this.id, this.#consecutiveDrops);
        this.close();
      }
      return false;
    }
    this.#consecutiveDrops = 0;
    let len = 0;
    for (const c of chunks) len += c.length;
    if (len > 0xffff) return false;
    // One copy into a fresh buffer: the sender may reuse its header buffers as soon as we return,
    // while the socket may hold these bytes until the kernel takes them.
    const out = Buffer.allocUnsafe(4 + len);
    out[0] = 0x24;
    out[1] = channel;
    out[2] = len >> 8;
    out[3] = len & 0xff;
    let off = 4;
    for (const c of chunks) {
      out.set(c, off);
      off += c.length;
    }
    this.socket.write(out);
    return true;
  }

  /** Close the connection. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.socket.destroy();
  }
}

/** `::ffff:1.2.3.4` → `1.2.3.4` (an IPv4 client on a dual-stack socket). */
export function normalizeAddress(a: string): string {
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}
