import type { Server, Socket, AddressInfo } from 'node:net';
import type { TlsOptions } from 'node:tls';
import { networkInterfaces } from 'node:os';
import { EventEmitter } from 'eventemitter3';
import createDebug from 'debug';
import { booleanOption, DorsvrError, defaultScheduler, isDorsvrError, limitOption, warnUnheardError, type TaskScheduler } from '@dorsvr/scheduler';
import {
  RTSPHeaders,
  serializeRTSPResponse,
  formatRTSPDate,
  parseCommaList,
  formatCommaList,
  checkAuthenticationDatabase,
  MulticastAddressPool,
  type MulticastOptions,
  type AuthenticationDatabase,
  checkPortRange,
  type PortRange,
  type RTSPRequest,
  type ServerMediaSession,
  type ServerMediaSubsession,
} from '@dorsvr/livemedia';
import { RTSPClientConnection, normalizeAddress } from './RTSPClientConnection.js';
import type { RTSPClientSession, SessionCloseReason, SessionStats } from './RTSPClientSession.js';
import { RTSPAuthenticator } from './RTSPAuthenticator.js';
import { parseRequestURL } from './parseRequestURL.js';
import { clientAddressKey } from './clientAddressKey.js';
import { RTSPSessionRegistry } from './RTSPSessionRegistry.js';
import type {
  RTSPAccessAction,
  RTSPRequestContext,
  RTSPRequestTarget,
  RTSPResponse,
  RTSPServerCore,
} from './RTSPRequestContext.js';
import { handleDescribeRequest } from './handleDescribeRequest.js';
import { handleSetupRequest } from './handleSetupRequest.js';
import { handleParameterRequest } from './handleParameterRequest.js';
import { handlePauseRequest, handlePlayRequest, handleTeardownRequest } from './handlePlaybackRequests.js';
import { RTSPPublishHandler } from './RTSPPublishHandler.js';
import type { PublishOptions } from './PublishPolicy.js';
import type { PublishedStream, PublishEndReason, PublishedStreamStats } from './PublishedStream.js';
import { checkTLSServerOptions, createRTSPListener } from './createRTSPListener.js';
import { interleavedTransportsOnly } from './interleavedTransportsOnly.js';
import { HTTPTunnelListener } from './HTTPTunnelListener.js';
import { ServerStatsCollector, DEFAULT_RATE_WINDOW_US } from './ServerStatsCollector.js';
import type { RTSPServerStats } from './RTSPServerStats.js';
import { MetricsHTTPListener, resolveMetricsOptions, type ResolvedMetricsOptions } from './MetricsHTTPListener.js';
import { formatPrometheusMetrics } from './formatPrometheusMetrics.js';
import type { RTSPServerOptions, RTSPServerEvents, RTSPConnectionInfo, RTSPParameterHandler } from './RTSPServerOptions.js';

export type { RTSPParameterHandler, RTSPServerOptions, RTSPServerEvents, RTSPConnectionInfo, RTSPAccessCheck } from './RTSPServerOptions.js';

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
/** Requests (well-formed or not) received on one connection and not yet answered, before it is closed. */
const MAX_PIPELINED_REQUESTS = 64;
/** RTSP methods known but not accepted by a play-only resource (answered 405 with `Allow:`). */
const NOT_ALLOWED = new Set(['REDIRECT']);

interface ConnectionState {
  conn: RTSPClientConnection;
  queue: Promise<void>;
  pending: number;
}

/**
 * live555's RTSPServer: serves the {@link ServerMediaSession}s added to it to RTSP 1.0 clients
 * (ffmpeg, GStreamer, VLC, openRTSP), over UDP or `$`-interleaved TCP.
 *
 * @example
 * ```ts
 * import { RTSPServer } from '@dorsvr/rtspserver';
 * import { ServerMediaSession, H264VideoFileServerMediaSubsession } from '@dorsvr/livemedia';
 *
 * const server = new RTSPServer({ port: 8554 });
 * server.addServerMediaSession(
 *   new ServerMediaSession('movie').addSubsession(new H264VideoFileServerMediaSubsession('movie.264')),
 * );
 * await server.listen();
 * console.log(`play ${server.rtspURL('movie')}`);
 * ```
 *
 * Request handling is split by job: this class accepts connections, routes requests to one
 * `handle…` method per RTSP method (live555's `handleCmd_*`; override one to change how a method
 * is served), and owns the stream registry; the session registry ({@link RTSPSessionRegistry}),
 * SETUP's transport negotiation and PLAY/PAUSE/TEARDOWN live in files of their own.
 */
export class RTSPServer extends EventEmitter<RTSPServerEvents> {
  /** The scheduler all timing runs on. */
  readonly scheduler: TaskScheduler;
  /** Hooks for named parameters. */
  parameterHandler: RTSPParameterHandler | undefined;
  readonly #options: Required<
    Omit<
      RTSPServerOptions,
      | 'scheduler'
      | 'authDatabase'
      | 'host'
      | 'parameterHandler'
      | 'accessCheck'
      | 'publish'
      | 'rtpPortRange'
      | 'multicast'
      | 'tls'
      | 'allowUDPWithTLS'
      | 'httpPort'
      | 'statsIntervalMs'
      | 'metrics'
      | 'httpTunnelPostFromAnyAddress'
    >
  > & {
    host: string | undefined;
  };
  readonly #accessCheck: RTSPServerOptions['accessCheck'];
  readonly #tls: TlsOptions | undefined;
  readonly #allowUDPWithTLS: boolean;
  readonly #httpPort: number | undefined;
  readonly #httpTunnelPostFromAnyAddress: boolean;
  #http: HTTPTunnelListener | undefined;
  readonly #statsCollector: ServerStatsCollector;
  readonly #statsIntervalUs: number;
  #statsTask = 0;
  readonly #metricsOptions: ResolvedMetricsOptions | undefined;
  #metrics: MetricsHTTPListener | undefined;
  readonly #authenticator: RTSPAuthenticator;
  readonly #sessionsByName = new Map<string, ServerMediaSession>();
  readonly #sessions: RTSPSessionRegistry;
  readonly #connections = new Set<ConnectionState>();
  /** Open connections per remote address (for `maxConnectionsPerAddress`). */
  readonly #connectionsPerAddress = new Map<string, number>();
  /** Streams unpublished while sessions still play them: closed when their last session ends. */
  readonly #retired = new Set<ServerMediaSession>();
  readonly #core: RTSPServerCore;
  readonly #publishing: RTSPPublishHandler | undefined;
  #authDatabase: AuthenticationDatabase | undefined;
  #server: Server | undefined;
  #port = 0;
  #closed = false;

  /** UDP ports for RTP/RTCP pairs, as the `rtpPortRange` option gave (undefined: from 6970 up). */
  readonly rtpPortRange: PortRange | undefined;

  constructor(options: RTSPServerOptions = {}) {
    super();
    this.scheduler = options.scheduler ?? defaultScheduler();
    this.rtpPortRange = options.rtpPortRange === undefined ? undefined : checkPortRange(options.rtpPortRange);
    this.#authDatabase = checkAuthenticationDatabase(options.authDatabase, 'RTSPServer authDatabase');
    this.parameterHandler = options.parameterHandler;
    // A hook of the wrong type must not quietly mean "everyone may": refused loudly here.
    if (options.accessCheck !== undefined && typeof options.accessCheck !== 'function') {
      throw new DorsvrError('ERR_SERVER_OPTION', 'accessCheck must be a function');
    }
    this.#accessCheck = options.accessCheck;
    if (options.tls !== undefined) checkTLSServerOptions(options.tls);
    this.#tls = options.tls;
    this.#allowUDPWithTLS = booleanOption(options.allowUDPWithTLS, 'allowUDPWithTLS', 'ERR_SERVER_OPTION');
    if (options.httpPort !== undefined && (!Number.isInteger(options.httpPort) || options.httpPort < 0 || options.httpPort > 65535)) {
      throw new DorsvrError('ERR_SERVER_OPTION', `httpPort must be a port number, not ${String(options.httpPort)}`);
    }
    this.#httpPort = options.httpPort;
    const statsIntervalMs = options.statsIntervalMs ?? 0;
    if (typeof statsIntervalMs !== 'number' || !Number.isFinite(statsIntervalMs) || (statsIntervalMs !== 0 && statsIntervalMs < 100)) {
      throw new DorsvrError('ERR_SERVER_OPTION', `statsIntervalMs must be 0 (off) or at least 100, not ${String(options.statsIntervalMs)}`);
    }
    this.#statsIntervalUs = Math.round(statsIntervalMs * 1000);
    this.#metricsOptions = options.metrics === undefined ? undefined : resolveMetricsOptions(options.metrics);
    this.#httpTunnelPostFromAnyAddress = booleanOption(options.httpTunnelPostFromAnyAddress, 'httpTunnelPostFromAnyAddress', 'ERR_SERVER_OPTION');
    this.#options = {
      port: options.port ?? (options.tls === undefined ? 8554 : 322),
      host: options.host,
      allowBasicAuth: booleanOption(options.allowBasicAuth, 'allowBasicAuth', 'ERR_SERVER_OPTION'),
      requireDigestQop: booleanOption(options.requireDigestQop, 'requireDigestQop', 'ERR_SERVER_OPTION'),
      nonceLifetimeSeconds: limitOption(options.nonceLifetimeSeconds, 300, 'nonceLifetimeSeconds', 'ERR_SERVER_OPTION', 'positive'),
      reclamationSeconds: limitOption(options.reclamationSeconds, 65, 'reclamationSeconds', 'ERR_SERVER_OPTION', 'positive'),
      maxConnections: limitOption(options.maxConnections, 1000, 'maxConnections', 'ERR_SERVER_OPTION', 'positive'),
      maxSessions: limitOption(options.maxSessions, 1000, 'maxSessions', 'ERR_SERVER_OPTION', 'positive'),
      maxRequestSize: limitOption(options.maxRequestSize, 65536, 'maxRequestSize', 'ERR_SERVER_OPTION'),
      maxSendQueueBytes: limitOption(options.maxSendQueueBytes, 256 * 1024, 'maxSendQueueBytes', 'ERR_SERVER_OPTION', 'positive'),
      serverName: options.serverName ?? 'dorsvr/0.1',
      idleTimeoutSeconds: limitOption(options.idleTimeoutSeconds, 30, 'idleTimeoutSeconds', 'ERR_SERVER_OPTION', 'positive'),
      requestTimeoutSeconds: limitOption(options.requestTimeoutSeconds, 10, 'requestTimeoutSeconds', 'ERR_SERVER_OPTION', 'positive'),
      maxConnectionsPerAddress: limitOption(options.maxConnectionsPerAddress, 100, 'maxConnectionsPerAddress', 'ERR_SERVER_OPTION', 'positive'),
      maxSessionsPerAddress: limitOption(options.maxSessionsPerAddress, 100, 'maxSessionsPerAddress', 'ERR_SERVER_OPTION', 'positive'),
    };
    this.#authenticator = new RTSPAuthenticator(this.scheduler, {
      nonceLifetimeSeconds: this.#options.nonceLifetimeSeconds,
      allowBasic: this.#options.allowBasicAuth,
      requireQop: this.#options.requireDigestQop,
    });
    this.#sessions = new RTSPSessionRegistry(this.scheduler, {
      reclamationSeconds: this.#options.reclamationSeconds,
      maxSessions: this.#options.maxSessions,
      maxSessionsPerAddress: this.#options.maxSessionsPerAddress,
      onClosed: (s, reason, stats) => {
        this.#publishing?.sessionClosed(s, reason);
        for (const c of this.#connections) c.conn.removeSession(s.id);
        this.#retireIfUnused(s.serverMediaSession);
        this.#statsCollector.sessionClosed(s, stats);
        this.emit('sessionClosed', s, reason, stats);
      },
      onError: (err) => this.emit('error', err),
    });
    const server = this;
    this.#statsCollector = new ServerStatsCollector(
      {
        scheduler: this.scheduler,
        get clientSessions() {
          return server.#sessions.sessions;
        },
        get connectionCount() {
          return server.#connections.size;
        },
        get streamCount() {
          return server.#sessionsByName.size;
        },
        get publishedStreams() {
          return server.#publishing?.streams;
        },
      },
      this.#statsIntervalUs > 0 ? Math.min(DEFAULT_RATE_WINDOW_US, this.#statsIntervalUs) : DEFAULT_RATE_WINDOW_US,
    );
    this.#core = {
      scheduler: this.scheduler,
      sessions: this.#sessions,
      get closed() {
        return server.#closed;
      },
      multicastPool: options.multicast === undefined ? undefined : new MulticastAddressPool(options.multicast),
      resolveTarget: (uri) => this.resolveTarget(uri),
      authorize: (ctx, sms, action) => this.authorize(ctx, sms, action),
      events: this,
    };
    // Only true or an options object turns publishing on: a 0, a 'false' or null is a mistake,
    // refused loudly rather than read as "accept pushed media".
    const publish: unknown = options.publish;
    if (publish !== undefined && publish !== false && publish !== true && (typeof publish !== 'object' || publish === null)) {
      throw new DorsvrError('ERR_SERVER_OPTION', `publish must be true, false or an options object, not ${String(publish)}`);
    }
    if (options.publish !== undefined && options.publish !== false) {
      this.#publishing = new RTSPPublishHandler(
        {
          core: this.#core,
          registeredStream: (name) => this.#sessionsByName.get(name),
          addStream: (sms) => this.addServerMediaSession(sms),
          removeStream: (sms, o) => this.removeServerMediaSession(sms, o),
          mayPublishAt: async (path) => this.mayPublishAt(path),
          rtpPortRange: this.rtpPortRange,
        },
        options.publish === true ? {} : options.publish,
      );
    }
  }

  /** The publishing side (published streams, limits), when the `publish` option is on. */
  get publishing(): RTSPPublishHandler | undefined {
    return this.#publishing;
  }

  /**
   * Server-wide credentials, for the streams without their own database (see
   * {@link RTSPServerOptions.authDatabase}). Assigning anything but an `AuthenticationDatabase` or
   * undefined throws `ERR_AUTH_DATABASE` and keeps the database that was there.
   */
  get authDatabase(): AuthenticationDatabase | undefined {
    return this.#authDatabase;
  }

  set authDatabase(db: AuthenticationDatabase | undefined) {
    this.#authDatabase = checkAuthenticationDatabase(db, 'RTSPServer authDatabase');
  }

  /** An `'error'` nobody listens for becomes a process warning (eventemitter3 would drop it). */
  override emit<T extends EventEmitter.EventNames<RTSPServerEvents>>(event: T, ...args: EventEmitter.EventArgs<RTSPServerEvents, T>): boolean {
    if (event === 'error' && this.listenerCount('error') === 0) {
      warnUnheardError(this, "RTSPServer error (the server has no 'error' listener)", args[0]);
      return false;
    }
    // The statistics follow sessions and publishers here, whoever listens (or stops listening).
    if (event === 'sessionCreated') {
      const s = args[0] as RTSPClientSession;
      this.#statsCollector.sessionCreated(s, this.#publishing?.isPublisherSession(s) ?? false);
    } else if (event === 'unpublish') {
      this.#statsCollector.publisherEnded(args[2] as PublishedStreamStats);
    }
    return super.emit(event, ...args);
  }

  /**
   * The server's statistics now: connections, reader sessions and publishers with their packets,
   * bytes and bit rates, per track, with the loss, jitter and round-trip time readers' RTCP
   * receiver reports give (and the loss and jitter the server measures on publishers' packets),
   * and counters since the server was made. Bit rates are rates over the last window of at least a
   * second (see {@link RTSPServerStats}), never totals.
   *
   * @example
   * ```ts
   * import { RTSPServer } from '@dorsvr/rtspserver';
   *
   * const server = new RTSPServer({ port: 8554, statsIntervalMs: 5000 });
   * server.on('stats', (s) => console.log(`${s.readers} readers, ${(s.sentBitsPerSecond / 1000).toFixed(0)} kbit/s`));
   * // …or at any time:
   * for (const r of server.stats().readerSessions) console.log(r.id, r.tracks.map((t) => t.packetsLost));
   * ```
   */
  stats(): RTSPServerStats {
    return this.#statsCollector.snapshot();
  }

  /** The Prometheus endpoint's port (the chosen one when `metrics.port` was 0), 0 when off or before listen(). */
  get metricsPort(): number {
    return this.#metrics?.port ?? 0;
  }

  #statsTick = (): void => {
    this.#statsTask = 0;
    if (this.#closed) return;
    this.#statsTask = this.scheduler.scheduleDelayedTask(this.#statsIntervalUs, this.#statsTick);
    // Nobody listening: no snapshot to make (stats() and a scrape still give one when asked).
    if (this.listenerCount('stats') > 0) this.emit('stats', this.stats());
  };

  /** The TCP port listened on (the chosen one when constructed with port 0), 0 before listen(). */
  get port(): number {
    return this.#port;
  }

  /** The sessions currently alive. */
  get clientSessions(): ReadonlyMap<string, RTSPClientSession> {
    return this.#sessions.sessions;
  }

  /** Number of open client connections. */
  get connectionCount(): number {
    return this.#connections.size;
  }

  /**
   * Start listening. Resolves with the port once bound; rejects otherwise (`ERR_SERVER_LISTEN`, e.g.
   * EADDRINUSE), and with `ERR_SERVER_CLOSED` when {@link close} ran before every port was open
   * (nothing is then left listening). A call while one is under way answers as that one does.
   */
  async listen(): Promise<number> {
    if (this.#closed) throw new DorsvrError('ERR_SERVER_CLOSED', 'the server is closed');
    if (this.#listening === undefined) {
      const p = this.#listen();
      this.#listening = p;
      // A failed attempt (a port in use) may be retried.
      p.catch(() => {
        if (this.#listening === p) this.#listening = undefined;
      });
    }
    return this.#listening;
  }

  /** The one run of {@link listen}. */
  #listening: Promise<number> | undefined;

  async #listen(): Promise<number> {
    const server = createRTSPListener({
      tls: this.#tls,
      handshakeTimeoutMs: this.#options.requestTimeoutSeconds * 1000,
      onSocket: (socket) => this.#onConnection(socket),
      maxConnectionsPerAddress: this.#options.maxConnectionsPerAddress,
    });
    server.maxConnections = this.#options.maxConnections;
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => {
        server.off('listening', onListening);
        server.off('close', onClose);
        reject(new DorsvrError('ERR_SERVER_LISTEN', `cannot listen on port ${this.#options.port}: ${err.message}`, { cause: err }));
      };
      const onListening = (): void => {
        server.off('error', onError);
        server.off('close', onClose);
        resolve();
      };
      // close() before the port was bound: Node then never says 'listening'.
      const onClose = (): void => {
        server.off('error', onError);
        server.off('listening', onListening);
        reject(new DorsvrError('ERR_SERVER_CLOSED', 'the server was closed while it started listening'));
      };
      server.once('error', onError);
      server.once('listening', onListening);
      server.once('close', onClose);
      if (this.#options.host === undefined) server.listen({ port: this.#options.port, ipv6Only: false });
      else server.listen({ port: this.#options.port, host: this.#options.host });
    }).catch((err: unknown) => {
      if (this.#server === server) this.#server = undefined;
      throw err;
    });
    if (this.#closed) {
      // close() ran while the port was being opened (a host name looked up) and found nothing to close.
      await new Promise<void>((resolve) => server.close(() => resolve()));
      throw new DorsvrError('ERR_SERVER_CLOSED', 'the server was closed while it started listening');
    }
    server.on('error', (err) => this.emit('error', err));
    this.#port = (server.address() as AddressInfo).port;
    debug('listening on port %d', this.#port);
    if (this.#httpPort !== undefined) await this.#listenHTTP(this.#httpPort);
    if (this.#metricsOptions !== undefined) await this.#listenMetrics(this.#metricsOptions);
    if (this.#statsIntervalUs > 0 && this.#statsTask === 0 && !this.#closed) {
      this.#statsTask = this.scheduler.scheduleDelayedTask(this.#statsIntervalUs, this.#statsTick);
    }
    return this.#port;
  }

  async #listenMetrics(options: ResolvedMetricsOptions): Promise<void> {
    const metrics = new MetricsHTTPListener(options, () => formatPrometheusMetrics(this.stats()));
    this.#metrics = metrics;
    try {
      await metrics.listen();
    } catch (err) {
      // Every port asked for or none: a server told to export metrics does not run without them.
      this.#metrics = undefined;
      const server = this.#server;
      this.#server = undefined;
      const http = this.#http;
      this.#http = undefined;
      await Promise.all([server && new Promise<void>((resolve) => server.close(() => resolve())), http?.close()]);
      throw err;
    }
  }

  /** The RTSP-over-HTTP port (the chosen one when `httpPort` was 0), 0 when off or before listen(). */
  get httpPort(): number {
    return this.#http?.port ?? 0;
  }

  async #listenHTTP(port: number): Promise<void> {
    const http = new HTTPTunnelListener({
      scheduler: this.scheduler,
      tls: this.#tls,
      requestTimeoutSeconds: this.#options.requestTimeoutSeconds,
      maxConnections: this.#options.maxConnections,
      maxConnectionsPerAddress: this.#options.maxConnectionsPerAddress,
      serverName: this.#options.serverName,
      maxSendQueueBytes: this.#options.maxSendQueueBytes,
      postFromAnyAddress: this.#httpTunnelPostFromAnyAddress,
      openTunnel: (socket) => {
        const state = this.#attach(socket);
        return state && ((bytes) => this.#onData(state, bytes));
      },
    });
    this.#http = http;
    try {
      await http.listen(port, this.#options.host);
    } catch (err) {
      // Both ports or neither: a server asked for a tunnel does not run without it.
      this.#http = undefined;
      const server = this.#server;
      this.#server = undefined;
      if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
      throw err;
    }
  }

  /**
   * Stop: end every session (freeing its ports and files), close every connection and every
   * ServerMediaSession, and stop listening. Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.scheduler.unscheduleDelayedTask(this.#statsTask);
    this.#statsTask = 0;
    this.#publishing?.close();
    this.#sessions.closeWhere(() => true, 'server-closed');
    for (const c of [...this.#connections]) c.conn.close();
    for (const sms of this.#sessionsByName.values()) sms.close();
    this.#sessionsByName.clear();
    for (const sms of this.#retired) sms.close();
    this.#retired.clear();
    const server = this.#server;
    this.#server = undefined;
    const http = this.#http;
    this.#http = undefined;
    const metrics = this.#metrics;
    this.#metrics = undefined;
    await Promise.all([server && new Promise<void>((resolve) => server.close(() => resolve())), http?.close(), metrics?.close()]);
  }

  /** `rtsps` when the server speaks TLS, else `rtsp`: the scheme of its URLs. */
  get urlScheme(): 'rtsp' | 'rtsps' {
    return this.#tls === undefined ? 'rtsp' : 'rtsps';
  }

  /** Publish a stream at `rtsp://host:port/<sms.name>` (`rtsps://` under TLS). Replaces (and closes) one of the same name. */
  addServerMediaSession(sms: ServerMediaSession): void {
    const old = this.#sessionsByName.get(sms.name);
    if (old && old !== sms) this.removeServerMediaSession(old);
    sms.applyServerDefaults({ rtpPortRange: this.rtpPortRange });
    this.#sessionsByName.set(sms.name, sms);
  }

  /**
   * Unpublish a stream (by object or name), ending the sessions playing it. With `keepSessions`,
   * the sessions already playing it go on (new clients no longer find it) and the stream is
   * closed when the last of them ends, as live555 does for a replaced file.
   */
  removeServerMediaSession(smsOrName: ServerMediaSession | string, options: { keepSessions?: boolean } = {}): void {
    const sms = typeof smsOrName === 'string' ? this.#sessionsByName.get(smsOrName) : smsOrName;
    if (!sms) return;
    if (this.#sessionsByName.get(sms.name) === sms) this.#sessionsByName.delete(sms.name);
    if (options.keepSessions === true && [...this.#sessions.sessions.values()].some((s) => s.serverMediaSession === sms)) {
      this.#retired.add(sms);
      return;
    }
    this.#retired.delete(sms);
    this.#sessions.closeWhere((s) => s.serverMediaSession === sms, 'server-closed');
    sms.close();
  }

  #retireIfUnused(sms: ServerMediaSession): void {
    if (!this.#retired.has(sms)) return;
    for (const s of this.#sessions.sessions.values()) if (s.serverMediaSession === sms) return;
    this.#retired.delete(sms);
    debug('closing stream %s: its last session ended after it was unpublished', sms.name);
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
    return `${this.urlScheme}://${h}:${this.#port}/${name.split('/').map(encodeURIComponent).join('/')}`;
  }

  // ---------------------------------------------------------------------------------------------
  // What request handlers (built in or overridden) use

  /** The session registry (ids, liveness, the end of a session). */
  protected get sessions(): RTSPSessionRegistry {
    return this.#sessions;
  }

  /** The shared state request-handler functions take (see `handleSetupRequest`). */
  protected get core(): RTSPServerCore {
    return this.#core;
  }

  /** The methods `Public:` (and `Allow:` of a 405) lists. Override when adding methods. */
  protected get publicMethods(): readonly string[] {
    return this.#publishing ? [...RTSP_SERVER_METHODS, 'ANNOUNCE', 'RECORD'] : RTSP_SERVER_METHODS;
  }

  /**
   * May a publisher ANNOUNCE at `path` (with the `publish` option on)? Default: yes; a path with a
   * stream the application added is refused anyway. {@link DynamicRTSPServer} refuses its files.
   */
  protected mayPublishAt(path: string): boolean | Promise<boolean> {
    void path;
    return true;
  }

  /** The stream (and track) a request URL names, trying each way the URL can be read. */
  protected async resolveTarget(uri: string): Promise<RTSPRequestTarget | undefined> {
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
      return { sms, subsession, baseURL: this.#withScheme(baseURLOf(uri, c.trackId)) };
    }
    return undefined;
  }

  /**
   * Authenticate the request against the stream's database if it has one, else the server's
   * (the stream's replaces the server's; a request naming no stream uses the server's), then run
   * the access check. Undefined when allowed; else the 401 (with challenges), 400 (a Digest `uri=`
   * naming another resource) or 403 to send.
   */
  protected async authorize(
    ctx: RTSPRequestContext,
    sms: ServerMediaSession | undefined,
    action: RTSPAccessAction,
  ): Promise<RTSPResponse | undefined> {
    if (this.#publishing) action = this.#publishing.actionOf(ctx, action);
    // Checked again here: a session object from elsewhere (another copy of livemedia) must not
    // bring an unusable database past the setter; an unusable one fails the request (500).
    // Publishing may have credentials of its own (reading stays open, or needs other ones).
    const publishDb = action === 'publish' ? this.#publishing?.options.authDatabase : undefined;
    const db =
      publishDb ??
      (sms?.authDatabase !== undefined ? checkAuthenticationDatabase(sms.authDatabase, `authDatabase of stream "${sms.name}"`) : this.#authDatabase);
    if (db) {
      const request = { method: ctx.request.method, uri: ctx.request.uri, streamName: sms?.name, clientAddress: ctx.connection.remoteAddress };
      const r = this.#authenticator.verify(db, request, ctx.request.headers.get('Authorization'));
      if (!r.ok) {
        if (r.status === 400) return { status: 400, headers: ctx.headers };
        for (const c of this.#authenticator.challenges(db, r.stale, request.clientAddress)) ctx.headers.append('WWW-Authenticate', c);
        return { status: 401, headers: ctx.headers };
      }
      ctx.username = r.username;
    }
    if (!(await this.specialClientAccessCheck(ctx, sms, action))) return { status: 403, headers: ctx.headers };
    if (this.#publishing && !(await this.#publishing.accessCheck(ctx, sms, action))) return { status: 403, headers: ctx.headers };
    return undefined;
  }

  /**
   * live555's `specialClientAccessCheck`: may this (authenticated) request `action` `sms`? The
   * default asks the `accessCheck` option, if any, and otherwise allows.
   */
  protected specialClientAccessCheck(
    ctx: RTSPRequestContext,
    sms: ServerMediaSession | undefined,
    action: RTSPAccessAction,
  ): boolean | Promise<boolean> {
    if (!this.#accessCheck) return true;
    return this.#accessCheck({
      action,
      streamName: sms?.name,
      username: ctx.username,
      method: ctx.request.method,
      connection: this.#info(ctx.connection),
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Connections

  #onConnection(socket: Socket): void {
    const state = this.#attach(socket);
    if (state) socket.on('data', (chunk: Buffer) => this.#onData(state, chunk));
  }

  /**
   * Make `socket` an RTSP connection (counted, timed, its sessions ended with it) whose requests
   * the caller feeds to #onData: its own bytes, or a tunnel's decoded POST. Undefined when refused.
   */
  #attach(socket: Socket): ConnectionState | undefined {
    if (this.#closed) {
      socket.destroy();
      return undefined;
    }
    const address = clientAddressKey(normalizeAddress(socket.remoteAddress ?? ''));
    const open = this.#connectionsPerAddress.get(address) ?? 0;
    if (open >= this.#options.maxConnectionsPerAddress) {
      debug('refusing a connection from %s: %d open already (maxConnectionsPerAddress)', address, open);
      socket.destroy();
      return undefined;
    }
    this.#connectionsPerAddress.set(address, open + 1);
    const conn = new RTSPClientConnection(socket, {
      maxRequestSize: this.#options.maxRequestSize,
      maxSendQueueBytes: this.#options.maxSendQueueBytes,
      maxConsecutiveDrops: 500,
      scheduler: this.scheduler,
      idleTimeoutSeconds: this.#options.idleTimeoutSeconds,
      requestTimeoutSeconds: this.#options.requestTimeoutSeconds,
    });
    const state: ConnectionState = { conn, queue: Promise.resolve(), pending: 0 };
    this.#connections.add(state);
    const info = this.#info(conn);
    debug('connection %d from %s:%d', conn.id, conn.remoteAddress, conn.remotePort);
    this.emit('connection', info);
    socket.on('error', (err) => debug('connection %d error: %s', conn.id, err.message));
    socket.on('close', () => {
      conn.close();
      this.#connections.delete(state);
      const left = (this.#connectionsPerAddress.get(address) ?? 1) - 1;
      if (left > 0) this.#connectionsPerAddress.set(address, left);
      else this.#connectionsPerAddress.delete(address);
      // Interleaved sessions die with their connection; UDP ones live on until their timeout.
      this.#sessions.closeWhere((s) => s.interleavedConnection === conn, 'connection-closed');
      this.emit('disconnect', info);
    });
    return state;
  }

  #info(conn: RTSPClientConnection): RTSPConnectionInfo {
    return { id: conn.id, remoteAddress: conn.remoteAddress, remotePort: conn.remotePort };
  }

  #onData(state: ConnectionState, chunk: Buffer): void {
    const items = state.conn.parse(chunk);
    for (const item of items) {
      switch (item.type) {
        case 'interleaved': {
          const b = state.conn.channels.get(item.channel);
          if (b && !b.session.closed) {
            this.#sessions.touch(b.session);
            b.receive(item.channel, item.payload);
          }
          break;
        }
        case 'request':
        case 'error': {
          if (item.type === 'error' && item.isRequest === false) break;
          // A malformed request waits for its 400 in the same queue as the others, so it counts
          // against the same bound (a few bytes of garbage each must not queue answers unbounded
          // behind a request that takes its time).
          if (state.pending >= MAX_PIPELINED_REQUESTS) {
            debug('connection %d: too many pipelined requests, closing', state.conn.id);
            state.conn.close('too-many-requests');
            return;
          }
          state.pending++;
          const next =
            item.type === 'request'
              ? () => this.#handleRequest(state, item)
              : () => {
                  const headers = new RTSPHeaders();
                  headers.append('CSeq', item.cseq ?? 0);
                  this.#commonHeaders(headers);
                  this.#send(state.conn, { status: item.error.status ?? 400, headers });
                };
          state.queue = state.queue
            .then(next)
            .catch((err: unknown) => void this.emit('error', err))
            .finally(() => state.pending--);
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

  #send(conn: RTSPClientConnection, res: RTSPResponse): void {
    let bytes: Uint8Array;
    try {
      bytes = serializeRTSPResponse({ status: res.status, reason: res.reason, headers: res.headers, body: res.body });
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
    let res: RTSPResponse;
    try {
      if (cseq === undefined || !/^\s*\d{1,15}\s*$/.test(cseq)) {
        throw new DorsvrError('ERR_RTSP_CSEQ', 'missing or malformed CSeq', { status: 400 });
      }
      checkControlCharacters(req);
      // Relative request URIs (`/stream/track1`) are made absolute on the address the client
      // reached, so Content-Base and RTP-Info are always absolute URLs.
      let uri = req.uri;
      if (uri !== '*' && !/^rtsps?:\/\//i.test(uri)) {
        const host = conn.localAddress.includes(':') ? `[${conn.localAddress}]` : conn.localAddress;
        uri = `${this.urlScheme}://${host}:${this.#port}/${uri.replace(/^\/+/, '')}`;
      }
      const ctx: RTSPRequestContext = { connection: conn, request: uri === req.uri ? req : { ...req, uri }, headers, username: undefined };
      res = await this.#dispatch(ctx);
    } catch (err) {
      const status = isDorsvrError(err) && err.status !== undefined ? err.status : 500;
      if (status === 500) this.emit('error', err);
      debug('connection %d: %s → %d (%s)', conn.id, req.method, status, err instanceof Error ? err.message : String(err));
      res = { status, headers };
    }
    this.#send(conn, res);
    // A connection that a session's requests use carries it: the idle timeout then waits for it.
    const sessionHeader = res.headers.get('Session');
    if (sessionHeader !== undefined && res.status < 300) {
      const id = sessionHeader.split(';')[0]!.trim();
      if (this.#sessions.sessions.has(id)) conn.addSession(id);
    }
  }

  /** Under TLS, URLs the server answers with say `rtsps://` (clients such as GStreamer send `rtsp://` request URLs over TLS). */
  #withScheme(url: string): string {
    return this.#tls !== undefined && /^rtsp:\/\//i.test(url) ? `rtsps://${url.slice(7)}` : url;
  }

  #dispatch(ctx: RTSPRequestContext): Promise<RTSPResponse> | RTSPResponse {
    if (ctx.request.method === 'SETUP' && this.#tls !== undefined && !this.#allowUDPWithTLS) {
      // RTSPS protects the stream too: only transports inside the TLS connection are offered.
      const only = interleavedTransportsOnly(ctx.request);
      if (only === undefined) return { status: 461, headers: ctx.headers };
      ctx = { ...ctx, request: only };
    }
    const req = ctx.request;
    const require = req.headers.get('Require') ?? req.headers.get('Proxy-Require');
    if (require !== undefined) {
      ctx.headers.append('Unsupported', formatCommaList(parseCommaList(require)));
      return { status: 551, headers: ctx.headers };
    }
    switch (req.method) {
      case 'OPTIONS':
        return this.handleOptions(ctx);
      case 'DESCRIBE':
        return this.handleDescribe(ctx);
      case 'SETUP':
        return this.handleSetup(ctx);
      case 'PLAY':
        return this.handlePlay(ctx);
      case 'PAUSE':
        return this.handlePause(ctx);
      case 'TEARDOWN':
        return this.handleTeardown(ctx);
      case 'GET_PARAMETER':
      case 'SET_PARAMETER':
        return this.handleParameter(ctx);
      case 'ANNOUNCE':
        return this.handleAnnounce(ctx);
      case 'RECORD':
        return this.handleRecord(ctx);
      default:
        return this.handleUnknownMethod(ctx);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Methods (live555's handleCmd_*): override one to change how that method is served.

  /** OPTIONS: `Public:`, and the session renewed when one is named (454 when unknown). */
  protected handleOptions(ctx: RTSPRequestContext): RTSPResponse | Promise<RTSPResponse> {
    const s = this.#sessions.fromRequest(ctx.request);
    if (s) ctx.headers.append('Session', this.#sessions.sessionHeader(s));
    ctx.headers.append('Public', formatCommaList(this.publicMethods));
    return { status: 200, headers: ctx.headers };
  }

  /** DESCRIBE (see `handleDescribeRequest`). */
  protected async handleDescribe(ctx: RTSPRequestContext): Promise<RTSPResponse> {
    await this.#publishing?.waitForPublisher(ctx);
    return handleDescribeRequest(this.#core, ctx);
  }

  /** SETUP of a track to play (see `handleSetupRequest`). */
  protected handleSetup(ctx: RTSPRequestContext): Promise<RTSPResponse> {
    if (this.#publishing && RTSPPublishHandler.isRecordSetup(ctx)) return this.#publishing.handleSetup(ctx);
    return handleSetupRequest(this.#core, ctx);
  }

  /** PLAY (see `handlePlayRequest`). */
  protected handlePlay(ctx: RTSPRequestContext): Promise<RTSPResponse> {
    return handlePlayRequest(this.#core, ctx);
  }

  /** PAUSE (see `handlePauseRequest`; a publisher's: `RTSPPublishHandler.handlePause`). */
  protected handlePause(ctx: RTSPRequestContext): Promise<RTSPResponse> {
    if (this.#publishing?.isPublisherRequest(ctx)) return this.#publishing.handlePause(ctx);
    return handlePauseRequest(this.#core, ctx);
  }

  /** TEARDOWN (see `handleTeardownRequest`). */
  protected handleTeardown(ctx: RTSPRequestContext): Promise<RTSPResponse> {
    if (this.#publishing?.isPublisherRequest(ctx)) return this.#publishing.handleTeardown(ctx);
    return handleTeardownRequest(this.#core, ctx);
  }

  /** ANNOUNCE: a publisher's SDP (with the `publish` option; else 405). */
  protected handleAnnounce(ctx: RTSPRequestContext): RTSPResponse | Promise<RTSPResponse> {
    return this.#publishing ? this.#publishing.handleAnnounce(ctx) : this.#notAllowed(ctx);
  }

  /** RECORD: a publisher starts (with the `publish` option; else 405). */
  protected handleRecord(ctx: RTSPRequestContext): RTSPResponse | Promise<RTSPResponse> {
    return this.#publishing ? this.#publishing.handleRecord(ctx) : this.#notAllowed(ctx);
  }

  /** A method this server does not implement: 405 for known RTSP methods, else 501. */
  protected handleUnknownMethod(ctx: RTSPRequestContext): RTSPResponse | Promise<RTSPResponse> {
    if (NOT_ALLOWED.has(ctx.request.method)) return this.#notAllowed(ctx);
    ctx.headers.append('Public', formatCommaList(this.publicMethods));
    return { status: 501, headers: ctx.headers };
  }

  #notAllowed(ctx: RTSPRequestContext): RTSPResponse {
    ctx.headers.append('Allow', formatCommaList(this.publicMethods));
    return { status: 405, headers: ctx.headers };
  }

  /** GET_PARAMETER / SET_PARAMETER (see `handleParameterRequest`). */
  protected handleParameter(ctx: RTSPRequestContext): Promise<RTSPResponse> {
    return handleParameterRequest(this.#core, ctx, this.parameterHandler);
  }
}

/**
 * A request URL or header value with a control character (NUL, CR, LF, …; a header may hold a
 * tab) is a malformed request (400): such bytes could never be echoed back in a response anyway.
 */
function checkControlCharacters(req: RTSPRequest): void {
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(req.uri)) {
    throw new DorsvrError('ERR_RTSP_URL', 'control character in the request URL', { status: 400 });
  }
  for (const [name, value] of req.headers) {
    // eslint-disable-next-line no-control-regex
    if (/[\x00-\x08\x0a-\x1f\x7f]/.test(value)) {
      throw new DorsvrError('ERR_RTSP_HEADER_INVALID', `control character in header ${name.slice(0, 40)}`, { status: 400 });
    }
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
