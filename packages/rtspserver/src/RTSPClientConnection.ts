import type { Socket } from 'node:net';
import createDebug from 'debug';
import type { TaskScheduler, TaskToken } from '@dorsvr/scheduler';
import { RTSPParser, type RTSPParsedItem, type ServerMediaStream } from '@dorsvr/livemedia';
import { interleavedWriteBatch } from './InterleavedWriteBatch.js';
import type { RTSPClientSession } from './RTSPClientSession.js';

const debug = createDebug('dorsvr:rtspserver:connection');

/** Options of one {@link RTSPClientConnection}. */
export interface RTSPClientConnectionOptions {
  /** Bytes of request (start line + headers + body) accepted (default 64 KiB). */
  maxRequestSize: number;
  /** Bytes the socket may have queued before interleaved packets are dropped (the server's default: 256 KiB). */
  maxSendQueueBytes: number;
  /** Consecutive dropped packets after which a reader is judged stuck and disconnected. */
  maxConsecutiveDrops: number;
  /** The scheduler the connection's timers run on (the server's). */
  scheduler: TaskScheduler;
  /**
   * Seconds a connection that carries no session may stay silent (nothing received) before it is
   * closed. A connection that carries a session is bounded by that session's own timeout instead.
   */
  idleTimeoutSeconds: number;
  /**
   * Seconds within which a request (or `$` frame), once begun, must be received whole; a client
   * sending one slowly (slowloris) is disconnected when they pass.
   */
  requestTimeoutSeconds: number;
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

/** Why the server closed a connection (see {@link RTSPClientConnection.closeReason}). */
export type ConnectionCloseReason = 'idle-timeout' | 'request-timeout' | 'stuck-reader' | 'too-many-requests';

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
  #readingPaused = false;
  #drainListening = false;
  readonly #scheduler: TaskScheduler;
  /** Scheduler time (µs) when bytes last arrived. */
  #lastActivity: number;
  /** Scheduler time (µs) when the request being received began (valid while `#partial`). */
  #requestStarted = 0;
  /** A request (or `$` frame) is partly received. */
  #partial = false;
  #idleTask: TaskToken = 0;
  #requestTask: TaskToken = 0;
  /** Ids of the sessions this connection carries (created, or addressed by a request on it). */
  readonly #sessions = new Set<string>();
  /** Why the server closed the connection, once it did (undefined while open or when the peer closed it). */
  closeReason: ConnectionCloseReason | undefined;

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
    this.#scheduler = options.scheduler;
    this.#lastActivity = this.#scheduler.now();
    this.#armIdle();
  }

  /** Number of sessions this connection carries (see {@link addSession}). */
  get sessionCount(): number {
    return this.#sessions.size;
  }

  /**
   * Note that this connection carries session `id`: while it carries one, the idle timeout does
   * not apply (the session's own timeout bounds it, and a UDP session's connection may be quiet
   * between keep-alives).
   */
  addSession(id: string): void {
    if (this.#sessions.has(id)) return;
    this.#sessions.add(id);
    this.#scheduler.unscheduleDelayedTask(this.#idleTask);
    this.#idleTask = 0;
  }

  /** The session ended (or moved away): with no session left, the idle timeout applies again from now. */
  removeSession(id: string): void {
    if (!this.#sessions.delete(id) || this.#sessions.size > 0 || this.closed) return;
    this.#lastActivity = this.#scheduler.now();
    this.#armIdle();
  }

  /**
   * The idle check: a timer at the deadline that re-arms itself for what is left when bytes came
   * meanwhile (one timer per connection, not one reschedule per chunk).
   */
  #armIdle(): void {
    if (this.#closed || this.#sessions.size > 0 || this.#idleTask !== 0) return;
    const timeoutUs = this.#options.idleTimeoutSeconds * 1e6;
    const due = this.#lastActivity + timeoutUs - this.#scheduler.now();
    this.#idleTask = this.#scheduler.scheduleDelayedTask(due, () => {
      this.#idleTask = 0;
      if (this.#closed || this.#sessions.size > 0) return;
      if (this.#scheduler.now() - this.#lastActivity >= timeoutUs) {
        debug('connection %d: idle for %d s without a session, closing', this.id, this.#options.idleTimeoutSeconds);
        this.close('idle-timeout');
      } else this.#armIdle();
    });
  }

  /** True once closed. */
  get closed(): boolean {
    return this.#closed || this.socket.destroyed;
  }

  /**
   * Feed received bytes; returns what they completed. Also drives the timers: bytes reset the
   * idle clock, and a message left partial starts (or, when another completed first, restarts)
   * the request clock.
   */
  parse(chunk: Uint8Array): RTSPParsedItem[] {
    const now = this.#scheduler.now();
    this.#lastActivity = now;
    const wasIdle = this.#parser.idle;
    const items = this.#parser.push(chunk);
    if (this.#closed) return items;
    if (this.#parser.idle) this.#partial = false;
    else {
      // A message began in this chunk (an earlier one may have completed in it): time it from now.
      if (wasIdle || items.length > 0 || !this.#partial) this.#requestStarted = now;
      this.#partial = true;
      this.#armRequestTimer();
    }
    return items;
  }

  /** One timer per connection, re-armed for what is left when it fires early (no work per chunk). */
  #armRequestTimer(): void {
    if (this.#requestTask !== 0 || this.#closed) return;
    const due = this.#requestStarted + this.#options.requestTimeoutSeconds * 1e6 - this.#scheduler.now();
    this.#requestTask = this.#scheduler.scheduleDelayedTask(due, this.#onRequestTimer);
  }

  readonly #onRequestTimer = (): void => {
    this.#requestTask = 0;
    if (this.#closed || !this.#partial) return;
    const elapsed = this.#scheduler.now() - this.#requestStarted;
    if (elapsed < this.#options.requestTimeoutSeconds * 1e6) {
      this.#armRequestTimer();
      return;
    }
    debug('connection %d: request not complete %d s after it began (%d bytes), closing', this.id, elapsed / 1e6, this.#parser.bufferedBytes);
    this.close('request-timeout');
  };

  /**
   * Write a response (never dropped). A client that does not read its responses is not read
   * either: once more than `maxSendQueueBytes` wait to be sent, the connection stops reading until
   * the socket drains (its requests then back up in the kernel, and the idle and request timeouts
   * bound how long it may hold the connection).
   */
  writeResponse(bytes: Uint8Array): void {
    if (this.closed) return;
    interleavedWriteBatch.flushFor(this.socket); // what was sent before goes before
    this.socket.write(bytes);
    if (this.socket.writableLength > this.#options.maxSendQueueBytes && !this.#readingPaused) {
      debug('connection %d: %d bytes unread, pausing reading', this.id, this.socket.writableLength);
      this.#readingPaused = true;
      this.socket.pause();
      if (!this.#drainListening) {
        this.#drainListening = true;
        this.socket.once('drain', this.#onDrain);
      }
    }
  }

  readonly #onDrain = (): void => {
    this.#drainListening = false;
    this.#resumeReading();
  };

  #resumeReading(): void {
    if (!this.#readingPaused || this.closed) return;
    this.#readingPaused = false;
    this.socket.resume();
  }

  /**
   * Send one `$`-interleaved packet made of `chunks` on `channel`. Returns false when it was
   * dropped because the connection's send queue is full (or the connection is closed).
   */
  sendInterleaved(channel: number, chunks: readonly Uint8Array[]): boolean {
    if (this.closed) return false;
    // A reader whose queue never empties (RTP keeps it near the limit) never sees 'drain': resume
    // reading its requests and RTCP as soon as the queue is back under the limit.
    if (this.#readingPaused && this.socket.writableLength <= this.#options.maxSendQueueBytes) this.#resumeReading();
    if (this.socket.writableLength > this.#options.maxSendQueueBytes) {
      this.droppedPackets++;
      if (++this.#consecutiveDrops >= this.#options.maxConsecutiveDrops) {
        debug('connection %d: reader stuck (%d drops in a row), closing', this.id, this.#consecutiveDrops);
        this.close('stuck-reader');
      }
      return false;
    }
    this.#consecutiveDrops = 0;
    let len = 0;
    for (let i = 0; i < chunks.length; i++) len += chunks[i]!.length;
    if (len > 0xffff) return false;
    // Copied into the process's one interleaved batch (the sender may reuse its buffers as soon as
    // we return): this connection's packets of one turn leave in one write.
    interleavedWriteBatch.append(this.socket, channel, chunks, len);
    return true;
  }

  /** Close the connection and stop its timers; `reason` says why when the server decided it. Idempotent. */
  close(reason?: ConnectionCloseReason): void {
    if (this.#closed) return;
    this.#closed = true;
    this.closeReason = reason;
    this.#scheduler.unscheduleDelayedTask(this.#idleTask);
    this.#scheduler.unscheduleDelayedTask(this.#requestTask);
    this.#idleTask = 0;
    this.#requestTask = 0;
    this.#sessions.clear();
    interleavedWriteBatch.discardFor(this.socket);
    this.socket.destroy();
  }
}

/** `::ffff:1.2.3.4` → `1.2.3.4` (an IPv4 client on a dual-stack socket). */
export function normalizeAddress(a: string): string {
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}
