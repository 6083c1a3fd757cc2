import { createServer, type Server, type Socket, type AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { networkInterfaces } from 'node:os';
import { EventEmitter } from 'eventemitter3';
import createDebug from 'debug';
import { DorsvrError, isDorsvrError, type TaskScheduler } from '@dorsvr/scheduler';
import {
  RTSPHeaders,
  serializeRTSPResponse,
  parseTransportHeader,
  formatTransportSpec,
  parseSessionHeader,
  formatSessionHeader,
  parseRangeHeader,
  formatRangeHeader,
  formatRTPInfoHeader,
  formatRTSPDate,
  parseScale,
  formatScale,
  parseCommaList,
  formatCommaList,
  type RTSPRequest,
  type RTPInfoEntry,
  type TransportSpec,
  type ServerMediaSession,
  type ServerMediaSubsession,
  type ServerMediaStream,
  type ClientTransport,
} from '@dorsvr/livemedia';
import { RTSPClientConnection } from './RTSPClientConnection.js';
import { RTSPClientSession, type SessionCloseReason, type SessionStats } from './RTSPClientSession.js';
import { RTSPAuthenticator } from './RTSPAuthenticator.js';
import { UserAuthenticationDatabase } from './UserAuthenticationDatabase.js';
import { parseRequestURL } from './parseRequestURL.js';

const debug = createDebug('dorsvr:rtspserver:server');

/** Methods this server implements, in the order `Public:` lists them. */
export const RTSP_SERVER_METHODS = Object.freeze([
  'OPTIONS',
  'DESCRIBE',
  'SETUP',
  'TEARDOWN',
  'PLAY',
  'PAUSE',
  'GET_PARAMETER',
  'SET_PARAMETER',
]);
/** RTSP methods known but not accepted by a play-only resource (answered 405 with `Allow:`). */
const NOT_ALLOWED = new Set(['ANNOUNCE', 'RECORD', 'REDIRECT']);

/** Application hooks for GET_PARAMETER / SET_PARAMETER with named parameters. */
export interface RTSPParameterHandler {
  /** Value of parameter `name` for GET_PARAMETER, or undefined when unknown (451). */
  get?(name: string, session: RTSPClientSession | undefined): string | undefined;
  /** Apply `name: value` for SET_PARAMETER; return false when not understood (451). */
  set?(name: string, value: string, session: RTSPClientSession | undefined): boolean;
}

/** Options of an {@link RTSPServer}. */
export interface RTSPServerOptions {
  /** The scheduler every timer (session reclamation, nonce expiry, sending) runs on. */
  scheduler: TaskScheduler;
  /** TCP port (default 8554); 0 picks a free one, see {@link RTSPServer.port}. */
  port?: number;
  /** Address to listen on (default: all IPv6 and IPv4 addresses, `::` dual-stack). */
  host?: string;
  /** Server-wide credentials; a {@link ServerMediaSession}'s own `authDatabase` takes precedence. */
  authDatabase?: UserAuthenticationDatabase;
  /** Also offer and accept Basic authentication (default false: Digest only). */
  allowBasicAuth?: boolean;
  /** Seconds a Digest nonce stays valid after its last use (default 300); then `stale=true`. */
  nonceLifetimeSeconds?: number;
  /**
   * Seconds of silence (no request, no RTCP) after which a session is reclaimed (default 65, as
   * `Session: …;timeout=65` says; enforced with a grace of 10 %, at most 5 s).
   */
  reclamationSeconds?: number;
  /** Most simultaneous TCP connections (default 1000); more are refused at accept. */
  maxConnections?: number;
  /** Most simultaneous sessions (default 1000); SETUP beyond answers 453. */
  maxSessions?: number;
  /** Largest request (header block or body) in bytes (default 65536); larger gets 400/413. */
  maxRequestSize?: number;
  /** Bytes an interleaved connection may have queued before packets to it are dropped (default 1 MiB). */
  maxSendQueueBytes?: number;
  /** `Server:` header value (default `dorsvr/0.1`). */
  serverName?: string;
  /** Hooks for named GET_PARAMETER / SET_PARAMETER. */
  parameterHandler?: RTSPParameterHandler;
}

/** Who connected. */
export interface RTSPConnectionInfo {
  /** Connection number. */
  readonly id: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
}

/** Typed events of an {@link RTSPServer}. */
export interface RTSPServerEvents {
  /** A client connected. */
  connection: [info: RTSPConnectionInfo];
  /** A client's connection closed. */
  disconnect: [info: RTSPConnectionInfo];
  /** A request arrived (after parsing, before handling). */
  request: [info: RTSPConnectionInfo, method: string, uri: string];
  /** A session was created by a SETUP. */
  sessionCreated: [session: RTSPClientSession];
  /** A session ended; `stats` are its final statistics. */
  sessionClosed: [session: RTSPClientSession, reason: SessionCloseReason, stats: SessionStats];
  /** A session started or resumed playing. */
  play: [session: RTSPClientSession];
  /** A session paused. */
  pause: [session: RTSPClientSession];
  /** Something failed (a stream's source, a socket); the server carries on. */
  error: [err: unknown];
}

interface Response {
  status: number;
  headers: RTSPHeaders;
  body?: string | Uint8Array;
}

interface Target {
  sms: ServerMediaSession;
  subsession: ServerMediaSubsession | undefined;
  /** The URL of the aggregate stream as the client addresses it (no trailing slash). */
  baseURL: string;
}

interface ChannelBinding {
  session: RTSPClientSession;
  subsession: ServerMediaSubsession;
  stream: ServerMediaStream;
}

interface ConnectionState {
  conn: RTSPClientConnection;
  queue: Promise<void>;
  pending: number;
  /** Interleaved channel → stream (both the RTP and the RTCP channel are keys). */
  channels: Map<number, ChannelBinding>;
}

/**
 * live555's RTSPServer: serves the {@link ServerMediaSession}s added to it to RTSP 1.0 clients
 * (ffmpeg, GStreamer, VLC, openRTSP), over UDP or `$`-interleaved TCP.
 *
 * ```ts
 * const server = new RTSPServer({ scheduler, port: 8554 });
 * server.addServerMediaSession(sms);
 * await server.listen();
 * ```
 */
export class RTSPServer extends EventEmitter<RTSPServerEvents> {
  /** The scheduler all timing runs on. */
  readonly scheduler: TaskScheduler;
  /** Server-wide credentials, if any. */
  authDatabase: UserAuthenticationDatabase | undefined;
  /** Hooks for named parameters. */
  parameterHandler: RTSPParameterHandler | undefined;
  readonly #options: Required<Omit<RTSPServerOptions, 'scheduler' | 'authDatabase' | 'host' | 'parameterHandler'>> & {
    host: string | undefined;
  };
  readonly #authenticator: RTSPAuthenticator;
  readonly #sessionsByName = new Map<string, ServerMediaSession>();
  readonly #clientSessions = new Map<string, RTSPClientSession>();
  readonly #connections = new Set<ConnectionState>();
  #server: Server | undefined;
  #port = 0;
  #closed = false;

  constructor(options: RTSPServerOptions) {
    super();
    this.scheduler = options.scheduler;
    this.authDatabase = options.authDatabase;
    this.parameterHandler = options.parameterHandler;
    this.#options = {
      port: options.port ?? 8554,
      host: options.host,
      allowBasicAuth: options.allowBasicAuth ?? false,
      nonceLifetimeSeconds: options.nonceLifetimeSeconds ?? 300,
      reclamationSeconds: options.reclamationSeconds ?? 65,
      maxConnections: options.maxConnections ?? 1000,
      maxSessions: options.maxSessions ?? 1000,
      maxRequestSize: options.maxRequestSize ?? 65536,
      maxSendQueueBytes: options.maxSendQueueBytes ?? 1 << 20,
      serverName: options.serverName ?? 'dorsvr/0.1',
    };
    this.#authenticator = new RTSPAuthenticator(this.scheduler, {
      nonceLifetimeSeconds: this.#options.nonceLifetimeSeconds,
      allowBasic: this.#options.allowBasicAuth,
    });
  }

  /** The TCP port listened on (the chosen one when constructed with port 0), 0 before listen(). */
  get port(): number {
    return this.#port;
  }

  /** The sessions currently alive. */
  get clientSessions(): ReadonlyMap<string, RTSPClientSession> {
    return this.#clientSessions;
  }

  /** Number of open client connections. */
  get connectionCount(): number {
    return this.#connections.size;
  }

  /** Start listening. Resolves with the port once bound; rejects (e.g. EADDRINUSE) otherwise. */
  async listen(): Promise<number> {
    if (this.#closed) throw new DorsvrError('ERR_SERVER_CLOSED', 'the server is closed');
    if (this.#server) return this.#port;
    const server = createServer({ noDelay: true }, (socket) => this.#onConnection(socket));
    server.maxConnections = this.#options.maxConnections;
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => {
        server.off('listening', onListening);
        reject(new DorsvrError('ERR_SERVER_LISTEN', `cannot listen on port ${this.#options.port}: ${err.message}`, { cause: err }));
      };
      const onListening = (): void => {
        server.off('error', onError);
        resolve();
      };
      server.once('error', onError);
      server.once('listening', onListening);
      if (this.#options.host === undefined) server.listen({ port: this.#options.port, ipv6Only: false });
      else server.listen({ port: this.#options.port, host: this.#options.host });
    }).catch((err: unknown) => {
      this.#server = undefined;
      throw err;
    });
    server.on('error', (err) => this.emit('error', err));
    this.#port = (server.address() as AddressInfo).port;
    debug('listening on port %d', this.#port);
    return this.#port;
  }

  /**
   * Stop: end every session (freeing its ports and files), close every connection and every
   * ServerMediaSession, and stop listening. Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const s of [...this.#clientSessions.values()]) this.#closeSession(s, 'server-closed');
    for (const c of [...this.#connections]) c.conn.close();
    for (const sms of this.#sessionsByName.values()) sms.close();
    this.#sessionsByName.clear();
    const server = this.#server;
    this.#server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Publish a stream at `rtsp://host:port/<sms.name>`. Replaces (and closes) one of the same name. */
  addServerMediaSession(sms: ServerMediaSession): void {
    const old = this.#sessionsByName.get(sms.name);
    if (old && old !== sms) this.removeServerMediaSession(old);
    this.#sessionsByName.set(sms.name, sms);
  }

  /** Unpublish a stream (by object or name), ending the sessions playing it. */
  removeServerMediaSession(smsOrName: ServerMediaSession | string): void {
    const sms = typeof smsOrName === 'string' ? this.#sessionsByName.get(smsOrName) : smsOrName;
    if (!sms) return;
    if (this.#sessionsByName.get(sms.name) === sms) this.#sessionsByName.delete(sms.name);
    for (const s of [...this.#clientSessions.values()]) if (s.serverMediaSession === sms) this.#closeSession(s, 'server-closed');
    sms.close();
  }

  /** The streams published so far. */
  get serverMediaSessions(): ReadonlyMap<string, ServerMediaSession> {
    return this.#sessionsByName;
  }

  /**
   * Find the stream for a URL path. Override (as {@link DynamicRTSPServer} does) to create
   * streams on demand; the default looks up the added ones.
   */
  async lookupServerMediaSession(streamName: string): Promise<ServerMediaSession | undefined> {
    return this.#sessionsByName.get(streamName);
  }

  /** The URL a client would use for `sms` (host: the given one, else this machine's first IPv4 address). */
  rtspURL(sms: ServerMediaSession | string, host?: string): string {
    const name = typeof sms === 'string' ? sms : sms.name;
    let h = host ?? this.#options.host;
    if (h === undefined || h === '::' || h === '0.0.0.0') h = firstIPv4Address();
    if (h.includes(':')) h = `[${h}]`;
    return `rtsp://${h}:${this.#port}/${name.split('/').map(encodeURIComponent).join('/')}`;
  }

  // ---------------------------------------------------------------------------------------------
  // Connections

  #onConnection(socket: Socket): void {
    if (this.#closed) {
      socket.destroy();
      return;
    }
    const conn = new RTSPClientConnection(socket, {
      maxRequestSize: this.#options.maxRequestSize,
      maxSendQueueBytes: this.#options.maxSendQueueBytes,
      maxConsecutiveDrops: 500,
    });
    const state: ConnectionState = { conn, queue: Promise.resolve(), pending: 0, channels: new Map() };
    this.#connections.add(state);
    const info = this.#info(conn);
    debug('connection %d from %s:%d', conn.id, conn.remoteAddress, conn.remotePort);
    this.emit('connection', info);
    socket.on('data', (chunk: Buffer) => this.#onData(state, chunk));
    socket.on('error', (err) => debug('connection %d error: %s', conn.id, err.message));
    socket.on('close', () => {
      conn.close();
      this.#connections.delete(state);
      // Interleaved sessions die with their connection; UDP ones live on until their timeout.
      for (const s of [...this.#clientSessions.values()]) {
        if (s.interleavedConnection === conn) this.#closeSession(s, 'connection-closed');
      }
      this.emit('disconnect', info);
    });
  }

  #info(conn: RTSPClientConnection): RTSPConnectionInfo {
    return { id: conn.id, remoteAddress: conn.remoteAddress, remotePort: conn.remotePort };
  }

  #onData(state: ConnectionState, chunk: Buffer): void {
    const items = state.conn.parse(chunk);
    for (const item of items) {
      switch (item.type) {
        case 'interleaved': {
          const b = state.channels.get(item.channel);
          if (b && !b.session.closed) {
            this.#touch(b.session);
            if (b.stream.transport.mode === 'tcp' && item.channel === b.stream.transport.rtcpChannel) {
              b.subsession.handleIncomingRTCP(b.stream, item.payload);
            }
          }
          break;
        }
        case 'request': {
          if (state.pending >= 64) {
            debug('connection %d: too many pipelined requests, closing', state.conn.id);
            state.conn.close();
            return;
          }
          state.pending++;
          const req = item;
          state.queue = state.queue
            .then(() => this.#handleRequest(state, req))
            .catch((err: unknown) => void this.emit('error', err))
            .finally(() => state.pending--);
          break;
        }
        case 'error': {
          if (item.isRequest === false) break;
          const headers = new RTSPHeaders();
          headers.append('CSeq', item.cseq ?? 0);
          this.#commonHeaders(headers);
          const status = item.error.status ?? 400;
          state.queue = state.queue.then(() => this.#send(state.conn, { status, headers }));
          break;
        }
        case 'response':
          // Clients do not normally answer us; ignore.
          break;
      }
    }
  }

  #commonHeaders(h: RTSPHeaders): void {
    h.append('Date', formatRTSPDate(this.scheduler.wallClockUs() / 1000));
    h.append('Server', this.#options.serverName);
  }

  #send(conn: RTSPClientConnection, res: Response): void {
    let bytes: Uint8Array;
    try {
      bytes = serializeRTSPResponse({ status: res.status, headers: res.headers, body: res.body });
    } catch (err) {
      this.emit('error', err);
      const h = new RTSPHeaders();
      h.append('CSeq', res.headers.get('CSeq') ?? '0');
      this.#commonHeaders(h);
      bytes = serializeRTSPResponse({ status: 500, headers: h });
    }
    conn.writeResponse(bytes);
  }

  async #handleRequest(state: ConnectionState, req: RTSPRequest): Promise<void> {
    const conn = state.conn;
    if (conn.closed) return;
    this.emit('request', this.#info(conn), req.method, req.uri);
    debug('connection %d: %s %s', conn.id, req.method, req.uri);
    const headers = new RTSPHeaders();
    const cseq = req.headers.get('CSeq');
    headers.append('CSeq', cseq !== undefined && /^\s*\d{1,15}\s*$/.test(cseq) ? cseq.trim() : '0');
    this.#commonHeaders(headers);
    let res: Response;
    try {
      if (cseq === undefined || !/^\s*\d{1,15}\s*$/.test(cseq)) {
        throw new DorsvrError('ERR_RTSP_CSEQ', 'missing or malformed CSeq', { status: 400 });
      }
      // Relative request URIs (`/stream/track1`) are made absolute on the address the client
      // reached, so Content-Base and RTP-Info are always absolute URLs.
      let uri = req.uri;
      if (uri !== '*' && !/^rtsps?:\/\//i.test(uri)) {
        const host = conn.localAddress.includes(':') ? `[${conn.localAddress}]` : conn.localAddress;
        uri = `rtsp://${host}:${this.#port}/${uri.replace(/^\/+/, '')}`;
      }
      res = await this.#dispatch(state, uri === req.uri ? req : { ...req, uri }, headers);
    } catch (err) {
      const status = isDorsvrError(err) && err.status !== undefined ? err.status : 500;
      if (status === 500) this.emit('error', err);
      debug('connection %d: %s → %d (%s)', conn.id, req.method, status, err instanceof Error ? err.message : String(err));
      res = { status, headers };
    }
    this.#send(conn, res);
  }

  async #dispatch(state: ConnectionState, req: RTSPRequest, headers: RTSPHeaders): Promise<Response> {
    const require = req.headers.get('Require') ?? req.headers.get('Proxy-Require');
    if (require !== undefined) {
      headers.append('Unsupported', formatCommaList(parseCommaList(require)));
      return { status: 551, headers };
    }
    switch (req.method) {
      case 'OPTIONS':
        return this.#handleOptions(req, headers);
      case 'DESCRIBE':
        return this.#handleDescribe(state, req, headers);
      case 'SETUP':
        return this.#handleSetup(state, req, headers);
      case 'PLAY':
        return this.#handlePlay(state, req, headers);
      case 'PAUSE':
        return this.#handlePause(state, req, headers);
      case 'TEARDOWN':
        return this.#handleTeardown(state, req, headers);
      case 'GET_PARAMETER':
      case 'SET_PARAMETER':
        return this.#handleParameter(state, req, headers);
      default:
        if (NOT_ALLOWED.has(req.method)) {
          headers.append('Allow', formatCommaList(RTSP_SERVER_METHODS));
          return { status: 405, headers };
        }
        headers.append('Public', formatCommaList(RTSP_SERVER_METHODS));
        return { status: 501, headers };
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers

  /** The session named by the request's `Session:` header: undefined when none; 454 when unknown. */
  #sessionOf(req: RTSPRequest): RTSPClientSession | undefined {
    const v = req.headers.get('Session');
    if (v === undefined) return undefined;
    const { id } = parseSessionHeader(v);
    const s = this.#clientSessions.get(id);
    if (!s) throw new DorsvrError('ERR_RTSP_SESSION_NOT_FOUND', `no session ${id}`, { status: 454 });
    this.#touch(s);
    return s;
  }

  #requireSession(req: RTSPRequest): RTSPClientSession {
    const s = this.#sessionOf(req);
    if (!s) throw new DorsvrError('ERR_RTSP_SESSION_NOT_FOUND', `${req.method} without a Session header`, { status: 454 });
    return s;
  }

  async #resolve(uri: string): Promise<Target | undefined> {
    if (uri === '*') return undefined;
    const candidates = parseRequestURL(uri);
    for (const c of candidates) {
      const sms = await this.lookupServerMediaSession(c.streamName);
      if (!sms) continue;
      let subsession: ServerMediaSubsession | undefined;
      if (c.trackId !== undefined) {
        subsession = sms.lookupSubsession(c.trackId);
        if (!subsession) continue;
      }
      return { sms, subsession, baseURL: baseURLOf(uri, c.trackId) };
    }
    return undefined;
  }

  #authenticate(req: RTSPRequest, sms: ServerMediaSession | undefined, headers: RTSPHeaders): Response | undefined {
    const smsDb = sms?.authDatabase instanceof UserAuthenticationDatabase ? sms.authDatabase : undefined;
    const db = smsDb ?? this.authDatabase;
    if (!db) return undefined;
    const r = this.#authenticator.verify(db, req.method, req.headers.get('Authorization'));
    if (r.ok) return undefined;
    for (const c of this.#authenticator.challenges(db, r.stale)) headers.append('WWW-Authenticate', c);
    return { status: 401, headers };
  }

  #touch(s: RTSPClientSession): void {
    if (s.closed) return;
    // Enforce a little more than we advertise: some clients send their keep-alive exactly at the
    // advertised timeout (INTEROP.md).
    const r = this.#options.reclamationSeconds;
    const graceUs = Math.min(5, r * 0.1) * 1e6;
    s.livenessTask = this.scheduler.rescheduleDelayedTask(s.livenessTask, r * 1e6 + graceUs, () => {
      s.livenessTask = 0;
      debug('session %s timed out', s.id);
      this.#closeSession(s, 'timeout');
    });
  }

  #sessionHeader(s: RTSPClientSession): string {
    return formatSessionHeader({ id: s.id, timeout: this.#options.reclamationSeconds });
  }

  #closeSession(s: RTSPClientSession, reason: SessionCloseReason): void {
    if (s.closed) return;
    const stats = s.stats();
    s.closed = true;
    s.playing = false;
    this.scheduler.unscheduleDelayedTask(s.livenessTask);
    s.livenessTask = 0;
    for (const [sub, stream] of s.streams) this.#deleteStream(s, sub, stream);
    s.streams.clear();
    this.#clientSessions.delete(s.id);
    debug('session %s closed (%s)', s.id, reason);
    this.emit('sessionClosed', s, reason, stats);
  }

  #deleteStream(s: RTSPClientSession, sub: ServerMediaSubsession, stream: ServerMediaStream): void {
    if (stream.transport.mode === 'tcp') {
      for (const st of this.#connections) {
        if (st.conn !== s.interleavedConnection) continue;
        for (const [ch, b] of st.channels) if (b.stream === stream) st.channels.delete(ch);
      }
    }
    stream.removeAllListeners();
    try {
      sub.deleteStream(stream);
    } catch (err) {
      this.emit('error', err);
    }
  }

  #newSessionId(): string {
    for (;;) {
      const id = randomBytes(8).toString('hex').toUpperCase();
      if (!this.#clientSessions.has(id)) return id;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Methods

  #handleOptions(req: RTSPRequest, headers: RTSPHeaders): Response {
    const s = this.#sessionOf(req);
    if (s) headers.append('Session', this.#sessionHeader(s));
    headers.append('Public', formatCommaList(RTSP_SERVER_METHODS));
    return { status: 200, headers };
  }

  async #handleDescribe(state: ConnectionState, req: RTSPRequest, headers: RTSPHeaders): Promise<Response> {
    const target = await this.#resolve(req.uri);
    if (!target || target.subsession !== undefined) {
      // Authenticate before saying "not found" only when a server-wide database exists, so that
      // unauthenticated clients cannot probe for names.
      const denied = this.#authenticate(req, undefined, headers);
      if (denied) return denied;
      return { status: 404, headers };
    }
    const denied = this.#authenticate(req, target.sms, headers);
    if (denied) return denied;
    let sdp: string;
    try {
      sdp = await target.sms.generateSDPDescription(state.conn.localAddress || '0.0.0.0');
    } catch (err) {
      // The stream exists but cannot be described: its file went away (404) or is not what its
      // name says (415). Reported as an error event too, for the operator.
      this.emit('error', err);
      return { status: isDorsvrError(err, 'ERR_FILE_OPEN') ? 404 : isDorsvrError(err) && err.status !== undefined ? err.status : 415, headers };
    }
    headers.append('Content-Base', `${target.baseURL}/`);
    headers.append('Content-Type', 'application/sdp');
    return { status: 200, headers, body: sdp };
  }

  async #handleSetup(state: ConnectionState, req: RTSPRequest, headers: RTSPHeaders): Promise<Response> {
    const conn = state.conn;
    let session = this.#sessionOf(req);
    const target = await this.#resolve(req.uri);
    if (!target) {
      const denied = this.#authenticate(req, session?.serverMediaSession, headers);
      if (denied) return denied;
      return { status: 404, headers };
    }
    const denied = this.#authenticate(req, target.sms, headers);
    if (denied) return denied;
    let subsession = target.subsession;
    if (subsession === undefined) {
      // ffmpeg SETs UP the base URL of a single-track stream (MPEG-TS).
      if (target.sms.subsessions.length !== 1) return { status: 459, headers };
      subsession = target.sms.subsessions[0]!;
    }
    if (session && session.serverMediaSession !== target.sms) return { status: 459, headers };

    const transportValue = req.headers.get('Transport');
    if (transportValue === undefined) return { status: 461, headers };
    const specs = parseTransportHeader(transportValue);
    const chosen = specs.find(
      (t) =>
        (t.profile === 'RTP/AVP' || t.profile === 'RTP/AVPF') &&
        t.delivery !== 'multicast' &&
        (t.mode === undefined || t.mode === 'PLAY') &&
        (t.lowerTransport === 'TCP' || (t.clientPort !== undefined && t.clientPort.rtp > 0)),
    );
    if (!chosen) return { status: 461, headers };
    if (chosen.lowerTransport === 'TCP' && session?.interleavedConnection && session.interleavedConnection !== conn) {
      // An interleaved session lives on its connection.
      return { status: 455, headers };
    }

    let created = false;
    if (!session) {
      if (this.#clientSessions.size >= this.#options.maxSessions) return { status: 453, headers };
      session = new RTSPClientSession(this.#newSessionId(), target.sms, conn.remoteAddress);
      created = true;
    }

    let transport: ClientTransport;
    if (chosen.lowerTransport === 'TCP') {
      const pair = this.#pickChannels(state, chosen);
      if (!pair) return { status: 461, headers };
      transport = { mode: 'tcp', channel: conn, rtpChannel: pair[0], rtcpChannel: pair[1] };
    } else {
      const cp = chosen.clientPort!;
      transport = {
        mode: 'udp',
        clientAddress: conn.remoteAddress,
        clientRTPPort: cp.rtp,
        clientRTCPPort: cp.rtcp ?? cp.rtp + 1,
      };
    }

    // A second SETUP of the same track replaces its stream.
    const old = session.streams.get(subsession);
    if (old) {
      this.#deleteStream(session, subsession, old);
      session.streams.delete(subsession);
    }

    let stream: ServerMediaStream;
    try {
      stream = await subsession.getStreamParameters(session.id, transport);
    } catch (err) {
      if (created) this.#closeSession(session, 'error');
      throw err;
    }
    if (this.#closed || (!created && session.closed)) {
      subsession.deleteStream(stream);
      return { status: 454, headers };
    }
    if (created) {
      this.#clientSessions.set(session.id, session);
      this.emit('sessionCreated', session);
    }
    session.streams.set(subsession, stream);
    const s = session;
    const sub = subsession;
    stream.on('rtcp', () => this.#touch(s));
    stream.on('error', (err) => this.emit('error', err));
    this.#touch(session);

    let answer: TransportSpec;
    if (transport.mode === 'tcp') {
      session.interleavedConnection = conn;
      const binding: ChannelBinding = { session, subsession: sub, stream };
      state.channels.set(transport.rtpChannel, binding);
      state.channels.set(transport.rtcpChannel, binding);
      answer = {
        profile: 'RTP/AVP',
        lowerTransport: 'TCP',
        delivery: 'unicast',
        interleaved: { rtp: transport.rtpChannel, rtcp: transport.rtcpChannel },
        ssrc: stream.ssrc,
        mode: chosen.mode,
      };
    } else {
      answer = {
        profile: 'RTP/AVP',
        lowerTransport: 'UDP',
        delivery: 'unicast',
        destination: transport.clientAddress,
        source: conn.localAddress || undefined,
        clientPort: { rtp: transport.clientRTPPort, rtcp: transport.clientRTCPPort },
        serverPort:
          stream.serverRTPPort === undefined ? undefined : { rtp: stream.serverRTPPort, rtcp: stream.serverRTCPPort ?? stream.serverRTPPort + 1 },
        ssrc: stream.ssrc,
        mode: chosen.mode,
      };
    }
    headers.append('Transport', formatTransportSpec(answer));
    headers.append('Session', this.#sessionHeader(session));
    return { status: 200, headers };
  }

  /** The channels asked for when free on this connection, else the lowest free even pair. */
  #pickChannels(state: ConnectionState, spec: TransportSpec): [number, number] | undefined {
    const want = spec.interleaved;
    if (want !== undefined) {
      const rtp = want.rtp;
      const rtcp = want.rtcp ?? rtp + 1;
      if (rtcp <= 255 && !state.channels.has(rtp) && !state.channels.has(rtcp) && rtp !== rtcp) return [rtp, rtcp];
    }
    for (let ch = 0; ch + 1 <= 255; ch += 2) {
      if (!state.channels.has(ch) && !state.channels.has(ch + 1)) return [ch, ch + 1];
    }
    return undefined;
  }

  /** Streams a PLAY/PAUSE/TEARDOWN addresses: one track, or all of the session's. */
  async #streamsAddressed(
    session: RTSPClientSession,
    uri: string,
  ): Promise<{ streams: Array<[ServerMediaSubsession, ServerMediaStream]>; baseURL: string; aggregate: boolean }> {
    const target = uri === '*' ? undefined : await this.#resolve(uri);
    if (target && target.sms !== session.serverMediaSession) {
      throw new DorsvrError('ERR_RTSP_SESSION_MISMATCH', 'URL names another stream than the session', { status: 459 });
    }
    if (target?.subsession !== undefined && session.serverMediaSession.subsessions.length > 1) {
      const st = session.streams.get(target.subsession);
      if (!st) throw new DorsvrError('ERR_RTSP_TRACK_NOT_SETUP', `${target.subsession.trackId} is not set up`, { status: 455 });
      return { streams: [[target.subsession, st]], baseURL: target.baseURL, aggregate: false };
    }
    const baseURL = target?.baseURL ?? uri.replace(/\/+$/, '');
    return { streams: [...session.streams], baseURL, aggregate: true };
  }

  async #handlePlay(state: ConnectionState, req: RTSPRequest, headers: RTSPHeaders): Promise<Response> {
    const session = this.#requireSession(req);
    const denied = this.#authenticate(req, session.serverMediaSession, headers);
    if (denied) return denied;
    const { streams, baseURL } = await this.#streamsAddressed(session, req.uri);
    if (streams.length === 0) return { status: 455, headers };

    let start: number | undefined;
    const rangeValue = req.headers.get('Range');
    if (rangeValue !== undefined) {
      const range = parseRangeHeader(rangeValue);
      if (range.unit === 'npt' && typeof range.start === 'number') {
        const duration = session.serverMediaSession.durationSeconds();
        let npt = range.start;
        if (duration !== undefined && npt > duration) npt = duration;
        let reached: number | undefined;
        for (const [sub, st] of streams) {
          const r = sub.seekStream(st, npt);
          if (r !== null && (reached === undefined || r < reached)) reached = r;
        }
        start = reached;
      }
    }
    const scaleValue = req.headers.get('Scale');
    if (scaleValue !== undefined) {
      parseScale(scaleValue);
      headers.append('Scale', formatScale(1));
    }

    const rtpInfo: RTPInfoEntry[] = [];
    for (const [sub, st] of streams) {
      const info = await sub.startStream(st);
      rtpInfo.push({ url: `${baseURL}/${sub.trackId}`, seq: info.seq, rtptime: info.rtptime >>> 0 });
    }
    if (start === undefined) {
      const first = streams[0]!;
      start = first[0].currentNPT(first[1]);
    }
    const duration = session.serverMediaSession.durationSeconds();
    session.playing = true;
    headers.append('Range', formatRangeHeader({ unit: 'npt', start: Math.max(0, start), end: duration }));
    headers.append('Session', this.#sessionHeader(session));
    headers.append('RTP-Info', formatRTPInfoHeader(rtpInfo));
    this.emit('play', session);
    void state;
    return { status: 200, headers };
  }

  async #handlePause(_state: ConnectionState, req: RTSPRequest, headers: RTSPHeaders): Promise<Response> {
    const session = this.#requireSession(req);
    const denied = this.#authenticate(req, session.serverMediaSession, headers);
    if (denied) return denied;
    const { streams } = await this.#streamsAddressed(session, req.uri);
    for (const [sub, st] of streams) sub.pauseStream(st);
    session.playing = false;
    headers.append('Session', this.#sessionHeader(session));
    this.emit('pause', session);
    return { status: 200, headers };
  }

  async #handleTeardown(_state: ConnectionState, req: RTSPRequest, headers: RTSPHeaders): Promise<Response> {
    const session = this.#requireSession(req);
    const denied = this.#authenticate(req, session.serverMediaSession, headers);
    if (denied) return denied;
    const { streams, aggregate } = await this.#streamsAddressed(session, req.uri);
    if (aggregate) {
      this.#closeSession(session, 'teardown');
    } else {
      for (const [sub, st] of streams) {
        this.#deleteStream(session, sub, st);
        session.streams.delete(sub);
      }
      if (session.streams.size === 0) this.#closeSession(session, 'teardown');
    }
    return { status: 200, headers };
  }

  async #handleParameter(_state: ConnectionState, req: RTSPRequest, headers: RTSPHeaders): Promise<Response> {
    const session = this.#sessionOf(req);
    if (req.uri !== '*' && !session) {
      const target = await this.#resolve(req.uri);
      const denied = this.#authenticate(req, target?.sms, headers);
      if (denied) return denied;
    } else {
      const denied = this.#authenticate(req, session?.serverMediaSession, headers);
      if (denied) return denied;
    }
    if (session) headers.append('Session', this.#sessionHeader(session));
    const body = Buffer.from(req.body.buffer, req.body.byteOffset, req.body.byteLength).toString('utf8').trim();
    if (body.length === 0) return { status: 200, headers };
    const lines = body.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0).slice(0, 100);
    const hook = this.parameterHandler;
    if (req.method === 'GET_PARAMETER') {
      let out = '';
      for (const name of lines) {
        const v = hook?.get?.(name, session);
        if (v === undefined) return { status: 451, headers };
        out += `${name}: ${v}\r\n`;
      }
      headers.append('Content-Type', 'text/parameters');
      return { status: 200, headers, body: out };
    }
    for (const line of lines) {
      const colon = line.indexOf(':');
      if (colon < 0) return { status: 451, headers };
      const ok = hook?.set?.(line.slice(0, colon).trim(), line.slice(colon + 1).trim(), session) ?? false;
      if (!ok) return { status: 451, headers };
    }
    return { status: 200, headers };
  }
}

/** The request URL without the track suffix or trailing slash: the aggregate base. */
function baseURLOf(uri: string, trackId: string | undefined): string {
  let u = uri.trim().replace(/\/+$/, '');
  if (trackId !== undefined && u.endsWith(`/${trackId}`)) u = u.slice(0, u.length - trackId.length - 1);
  return u;
}

function firstIPv4Address(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}
