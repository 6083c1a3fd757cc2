import { randomBytes } from 'node:crypto';
import createDebug from 'debug';
import { DorsvrError, type TaskScheduler } from '@dorsvr/scheduler';
import {
  parseSessionHeader,
  formatSessionHeader,
  type RTSPRequest,
  type ServerMediaSession,
  type ServerMediaStream,
  type ServerMediaSubsession,
} from '@dorsvr/livemedia';
import { RTSPClientSession, type SessionCloseReason, type SessionStats } from './RTSPClientSession.js';
import { clientAddressKey } from './clientAddressKey.js';

const debug = createDebug('dorsvr:rtspserver:sessions');

/** Options of an {@link RTSPSessionRegistry}. */
export interface RTSPSessionRegistryOptions {
  /**
   * Seconds of silence after which a session is reclaimed (advertised in `Session: …;timeout=`).
   * This and `maxSessions` must be positive finite numbers, else the constructor throws `ERR_SERVER_OPTION`.
   */
  reclamationSeconds: number;
  /** Most simultaneous sessions; {@link RTSPSessionRegistry.create} answers 453 beyond. */
  maxSessions: number;
  /** Most simultaneous sessions created from one address (an IPv6 /64, see `clientAddressKey`) (default: no limit of its own); 453 beyond. */
  maxSessionsPerAddress?: number;
  /** A session ended (after its streams were deleted). */
  onClosed(session: RTSPClientSession, reason: SessionCloseReason, stats: SessionStats): void;
  /** Deleting a stream failed (reported, the session still ends). */
  onError(err: unknown): void;
}

/**
 * The server's live RTSP sessions: ids, liveness (a session silent for its timeout is
 * reclaimed), and the orderly end of a session, which deletes each of its streams (freeing their
 * ports, files and interleaved channels).
 */
export class RTSPSessionRegistry {
  readonly #scheduler: TaskScheduler;
  readonly #options: RTSPSessionRegistryOptions;
  readonly #sessions = new Map<string, RTSPClientSession>();
  readonly #perAddress = new Map<string, number>();

  constructor(scheduler: TaskScheduler, options: RTSPSessionRegistryOptions) {
    this.#scheduler = scheduler;
    // NaN or Infinity would mean sessions never reclaimed, or no limit: refused (as RTSPServer does).
    for (const name of ['reclamationSeconds', 'maxSessions'] as const) {
      const v: unknown = options[name];
      if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) {
        throw new DorsvrError('ERR_SERVER_OPTION', `${name} must be a positive number, not ${String(v)}`);
      }
    }
    this.#options = options;
  }

  /** The sessions alive, by id. */
  get sessions(): ReadonlyMap<string, RTSPClientSession> {
    return this.#sessions;
  }

  /** Seconds a silent session lives. */
  get reclamationSeconds(): number {
    return this.#options.reclamationSeconds;
  }

  /**
   * A new session on `sms` for a client at `remoteAddress`, not yet registered (a SETUP registers
   * it with {@link add} once its first stream exists). 453 when the server is full.
   */
  create(sms: ServerMediaSession, remoteAddress: string): RTSPClientSession {
    if (this.#sessions.size >= this.#options.maxSessions) {
      throw new DorsvrError('ERR_RTSP_TOO_MANY_SESSIONS', `${this.#sessions.size} sessions already`, { status: 453 });
    }
    const fromAddress = this.#perAddress.get(clientAddressKey(remoteAddress)) ?? 0;
    if (fromAddress >= (this.#options.maxSessionsPerAddress ?? Infinity)) {
      debug('refusing a session to %s: it has %d already (maxSessionsPerAddress)', remoteAddress, fromAddress);
      throw new DorsvrError('ERR_RTSP_TOO_MANY_SESSIONS', `${fromAddress} sessions from ${remoteAddress} already`, { status: 453 });
    }
    let id: string;
    do id = randomBytes(8).toString('hex').toUpperCase();
    while (this.#sessions.has(id));
    return new RTSPClientSession(id, sms, remoteAddress);
  }

  /** Register a session made by {@link create} and start its liveness timer. */
  add(session: RTSPClientSession): void {
    this.#sessions.set(session.id, session);
    const key = clientAddressKey(session.remoteAddress);
    this.#perAddress.set(key, (this.#perAddress.get(key) ?? 0) + 1);
    this.touch(session);
  }

  /** The session named by a request's `Session:` header (renewing it): undefined when none; 454 when unknown. */
  fromRequest(req: RTSPRequest): RTSPClientSession | undefined {
    const v = req.headers.get('Session');
    if (v === undefined) return undefined;
    const { id } = parseSessionHeader(v);
    const s = this.#sessions.get(id);
    if (!s) throw new DorsvrError('ERR_RTSP_SESSION_NOT_FOUND', `no session ${id}`, { status: 454 });
    this.touch(s);
    return s;
  }

  /** As {@link fromRequest}, but a request without `Session:` is a 454 too. */
  requireFromRequest(req: RTSPRequest): RTSPClientSession {
    const s = this.fromRequest(req);
    if (!s) throw new DorsvrError('ERR_RTSP_SESSION_NOT_FOUND', `${req.method} without a Session header`, { status: 454 });
    return s;
  }

  /** A sign of life: the session's timeout starts again. */
  touch(s: RTSPClientSession): void {
    if (s.closed) return;
    // Enforce a little more than we advertise: some clients send their keep-alive exactly at the
    // advertised timeout (INTEROP.md).
    const r = this.#options.reclamationSeconds;
    const graceUs = Math.min(5, r * 0.1) * 1e6;
    s.livenessTask = this.#scheduler.rescheduleDelayedTask(s.livenessTask, r * 1e6 + graceUs, () => {
      s.livenessTask = 0;
      debug('session %s timed out', s.id);
      this.close(s, 'timeout');
    });
  }

  /** The `Session:` header value of a response for `s`. */
  sessionHeader(s: RTSPClientSession): string {
    return formatSessionHeader({ id: s.id, timeout: this.#options.reclamationSeconds });
  }

  /** End a session: delete its streams, stop its timer, forget it. Idempotent. */
  close(s: RTSPClientSession, reason: SessionCloseReason): void {
    if (s.closed) return;
    const stats = s.stats();
    s.closed = true;
    s.playing = false;
    this.#scheduler.unscheduleDelayedTask(s.livenessTask);
    s.livenessTask = 0;
    for (const [sub, stream] of s.streams) this.deleteStream(s, sub, stream);
    s.streams.clear();
    if (this.#sessions.delete(s.id)) {
      const key = clientAddressKey(s.remoteAddress);
      const left = (this.#perAddress.get(key) ?? 1) - 1;
      if (left > 0) this.#perAddress.set(key, left);
      else this.#perAddress.delete(key);
    }
    debug('session %s closed (%s)', s.id, reason);
    this.#options.onClosed(s, reason, stats);
  }

  /** Release one stream of a session (its interleaved channels, then the subsession's state). */
  deleteStream(s: RTSPClientSession, sub: ServerMediaSubsession, stream: ServerMediaStream): void {
    const conn = s.interleavedConnection;
    if (stream.transport.mode === 'tcp' && conn) {
      for (const [ch, b] of conn.channels) if (b.stream === stream) conn.channels.delete(ch);
    }
    stream.removeAllListeners();
    try {
      sub.deleteStream(stream);
    } catch (err) {
      this.#options.onError(err);
    }
  }

  /** End every session (the server is closing, or a stream is removed). */
  closeWhere(predicate: (s: RTSPClientSession) => boolean, reason: SessionCloseReason): void {
    for (const s of [...this.#sessions.values()]) if (predicate(s)) this.close(s, reason);
  }
}
