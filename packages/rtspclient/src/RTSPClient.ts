import { hostname } from 'node:os';
import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import createDebug from 'debug';
import { EventEmitter } from 'eventemitter3';
import { BasicTaskScheduler, DorsvrError, booleanOption, limitOption, warnUnheardError, type TaskScheduler, type TaskToken } from '@dorsvr/scheduler';
import { Groupsock, PortPairAllocator, isMulticastAddress, isSourceSpecificMulticastAddress, type PortPair } from '@dorsvr/groupsock';
import {
  RTSPHeaders,
  DEFAULT_BYE_GRACE_US,
  formatNptTime,
  getSDPAttribute,
  formatTextParameters,
  formatScale,
  formatTransportSpec,
  OnDemandServerMediaSubsession,
  parseCommaList,
  parseSDP,
  parseRTPInfoHeader,
  parseSessionHeader,
  parseTransportHeader,
  resolveControlURL,
  type ServerMediaSession,
  type RTSPHeadersInit,
  type TransportSpec,
} from '@dorsvr/livemedia';
import { MediaSession } from './MediaSession.js';
import type { MediaSubsession } from './MediaSubsession.js';
import { PacketPipe } from './PacketPipe.js';
import { Publication, type RTSPPublishOptions } from './Publication.js';
import { PublishSession } from './PublishSession.js';
import type { PublishTrack } from './PublishTrack.js';
import { RTSPClientAuthenticator } from './RTSPClientAuthenticator.js';
import { RTSPClientConnection } from './RTSPClientConnection.js';
import { RTSPClientError } from './RTSPClientError.js';
import type { RTSPClientResponse } from './RTSPClientResponse.js';
import type { SubsessionTransport } from './SubsessionTransport.js';
import { parseRTSPURL, type RTSPURL } from './parseRTSPURL.js';

const debug = createDebug('dorsvr:rtspclient:client');
const debugKeepAlive = createDebug('dorsvr:rtspclient:keepalive');
const debugFallback = createDebug('dorsvr:rtspclient:fallback');

/** The streams' sockets stay open after an RTCP BYE while their sources still take packets (plus a margin). */
const BYE_GRACE_US = DEFAULT_BYE_GRACE_US + 50_000;

/**
 * How a stream is carried: UDP, TCP `$`-interleaved, `auto` (UDP, falling back to TCP), or
 * `multicast` (the server picks a group and ports; the client joins the group).
 */
export type RTSPTransportMode = 'udp' | 'tcp' | 'auto' | 'multicast';

/** Options of an {@link RTSPClient}. */
export interface RTSPClientOptions {
  /** Every timer runs on it. Default: a BasicTaskScheduler the client owns and closes. */
  scheduler?: TaskScheduler;
  /** User name (overrides the URL's userinfo). */
  username?: string;
  /** Password (overrides the URL's userinfo). */
  password?: string;
  /**
   * Also answer Digest challenges from another origin (scheme, host or port) that a redirect led
   * to (default false: credentials go only to the origin of the URL they came with, as browsers
   * and undici do). Basic is never sent to another origin, even with this set. Anything but a
   * boolean throws `ERR_RTSP_CLIENT_OPTION` (the string `'false'` used to turn it on).
   */
  sendCredentialsAfterRedirect?: boolean;
  /** Default transport of {@link RTSPClient.setup} (default `auto`). */
  transport?: RTSPTransportMode;
  /**
   * Take RTP and RTCP over unicast UDP from any address (default false: only from the server's,
   * the RTSP connection's peer or the `source=` its SETUP reply names; others are dropped and
   * counted in {@link MediaSubsessionStats.foreignPackets}; when publishing, RTCP reports from
   * another address than the server's are dropped). Set it for a server whose media
   * leaves from another address than the one its RTSP answers from (a multi-homed host routing
   * UDP out of another interface); without it such a server is played over TCP in `auto` mode
   * (after `fallbackTimeoutMs`), and not at all in `udp` mode. Anything but a boolean throws `ERR_RTSP_CLIENT_OPTION`.
   */
  acceptMediaFromAnyAddress?: boolean;
  /**
   * In `auto` mode, how long to wait for the first RTP packet over UDP before using TCP (default
   * 5000). This and every other `…Ms` option below must be a positive finite number: anything else
   * (Infinity, NaN, 0, a string) throws `ERR_RTSP_CLIENT_OPTION`, as it would mean no timeout.
   */
  fallbackTimeoutMs?: number;
  /** How long to wait for each response (default 10000). */
  requestTimeoutMs?: number;
  /** How long to wait for the TCP connection (default: requestTimeoutMs). */
  connectTimeoutMs?: number;
  /** How long {@link RTSPClient.close} waits for its TEARDOWN's response (default 2000). */
  teardownTimeoutMs?: number;
  /** Keep-alive period; default half the session timeout the server gave (60 s when it gave none). */
  keepAliveIntervalMs?: number;
  /** `User-Agent:` header (default `dorsvr RTSPClient`). */
  userAgent?: string;
  /** Where UDP client port pairs come from (default: one shared allocator per address family). */
  portAllocator?: PortPairAllocator;
  /**
   * TLS options for `rtsps://` URLs, as `node:tls` takes them. The server's certificate is
   * verified by default (against Node's CAs, and its name against the URL's host); pin a CA with
   * `ca`, or accept any certificate (a camera's self-signed one) with `rejectUnauthorized: false`.
   */
  tls?: RTSPClientTLSOptions;
  /**
   * Tunnel RTSP over HTTP to this port of the URL's host (openRTSP's `-T`; HTTPS for `rtsps://`):
   * requests go base64-encoded on a POST, responses and streams come on a GET, and `auto`
   * transport means TCP. `rtsph://host:port/…` URLs tunnel to their own port without this.
   */
  httpTunnelPort?: number;
  /**
   * With `httpTunnelPort`: connect to the RTSP port first, and tunnel only when that connection is
   * refused (ECONNREFUSED) — then for the rest of the client's life. Default false (always tunnel).
   */
  httpTunnelFallback?: boolean;
}

/** TLS options of an {@link RTSPClient} for `rtsps://` (`node:tls` connect options; host and port come from the URL). */
export type RTSPClientTLSOptions = Omit<ConnectionOptions, 'host' | 'port' | 'path' | 'socket'>;

/** Options of {@link RTSPClient.setup}. */
export interface RTSPSetupOptions {
  /** Overrides the client's {@link RTSPClientOptions.transport} for this stream. */
  transport?: RTSPTransportMode;
}

/** Options of {@link RTSPClient.play}. */
export interface RTSPPlayOptions {
  /** Start, in seconds of normal play time (default 0; `Range: npt=0.000-`). */
  range?: number;
  /** End, in seconds of normal play time (default: open). */
  end?: number;
  /** `Scale:` (playback speed; negative for reverse), when given. */
  scale?: number;
}

/** Events of an {@link RTSPClient}. */
export interface RTSPClientEvents {
  /** No UDP packet arrived within `fallbackTimeoutMs`: the streams are set up again over TCP. */
  fallbackToTCP: [reason: string];
  /** The server said RTCP BYE for a stream: it ended. */
  bye: [subsession: MediaSubsession];
  /** Every set-up stream ended (BYE for each, TEARDOWN, or the connection closed). */
  end: [];
  /** The server sent us a request (answered 200 for OPTIONS/GET_PARAMETER, else 501). */
  request: [method: string, uri: string];
  /** A `Location:` redirect was followed. */
  redirect: [url: string];
  /**
   * A background operation failed (fallback, keep-alive, a lost connection). Requests reject
   * their promise instead. With no listener, the error becomes a process warning (`DorsvrWarning`).
   */
  error: [err: RTSPClientError];
  /**
   * The RTSP connection closed while a session was set up (streams over UDP may go on; the next
   * request connects again; interleaved streams end with an `error`).
   */
  disconnect: [];
  /** {@link RTSPClient.close} finished. */
  close: [];
}

interface StreamState {
  mode: 'udp' | 'tcp' | 'multicast';
  auto: boolean;
  pair?: PortPair | undefined;
  /** The group's RTP and RTCP sockets (multicast). */
  group?: { readonly rtp: Groupsock; readonly rtcp: Groupsock } | undefined;
  channels?: { rtp: number; rtcp: number } | undefined;
}

const allocators = new Map<string, PortPairAllocator>();
function defaultAllocator(type: 'udp4' | 'udp6'): PortPairAllocator {
  let a = allocators.get(type);
  if (a === undefined) {
    // A random start spreads concurrent processes over the range; each allocator skips ports in use.
    const start = 50_000 + 2 * Math.floor(Math.random() * 5000);
    a = new PortPairAllocator({ start, end: 65_535, type });
    allocators.set(type, a);
  }
  return a;
}

/** `scheme//host:port` of a parsed URL: where credentials may go. */
function originOf(u: RTSPURL): string {
  const scheme = /^[a-z]+:/i.exec(u.url)?.[0].toLowerCase() ?? 'rtsp:';
  return `${scheme}//${u.host.includes(':') ? `[${u.host.toLowerCase()}]` : u.host.toLowerCase()}:${u.port}`;
}

function stripMapped(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

/**
 * live555's RTSPClient: plays an `rtsp://` URL. Each method sends one request (following
 * redirects and answering authentication challenges) and resolves with the response, or rejects
 * with an {@link RTSPClientError} (`ERR_RTSP_STATUS` with the `status`, `ERR_RTSP_TIMEOUT`,
 * `ERR_RTSP_CONNECTION_CLOSED`, …).
 *
 * It keeps the session alive (GET_PARAMETER when the server lists it, else OPTIONS, at half the
 * session timeout), sends RTCP receiver reports, and in `auto` mode sets the streams up again
 * over TCP when nothing arrives over UDP.
 *
 * @example
 * ```ts
 * import { RTSPClient } from '@dorsvr/rtspclient';
 *
 * const client = new RTSPClient('rtsp://127.0.0.1:8554/test.264');
 * const session = await client.describe();
 * for (const sub of session.subsessions) await client.setup(sub);
 * await client.play();
 * for await (const frame of session.subsessions[0]!.frames()) console.log(frame.data.length);
 * await client.close();
 * ```
 */
export class RTSPClient extends EventEmitter<RTSPClientEvents> {
  /** The scheduler every timer of this client (and its RTP sources) runs on. */
  readonly scheduler: TaskScheduler;

  readonly #ownsScheduler: boolean;
  readonly #transport: RTSPTransportMode;
  readonly #fallbackTimeoutUs: number;
  readonly #requestTimeoutUs: number;
  readonly #connectTimeoutUs: number;
  readonly #teardownTimeoutUs: number;
  readonly #keepAliveIntervalUs: number | undefined;
  readonly #userAgent: string;
  readonly #portAllocator: PortPairAllocator | undefined;
  readonly #cname = `dorsvr@${hostname()}`;
  #url: string;
  #host: string;
  #port: number;
  /** True while the URL is `rtsps://` (the connection is TLS). */
  #secure: boolean;
  readonly #tls: RTSPClientTLSOptions;
  /** The HTTP port to tunnel to (the URL's for `rtsph://`), undefined for plain RTSP. */
  #tunnelPort: number | undefined;
  /** Tunnel only after the RTSP port refused a connection (then `#tunnelling` stays set). */
  readonly #tunnelFallback: boolean;
  #tunnelling: boolean;
  /** The authenticator for the current origin, if credentials may be sent there. */
  #auth: RTSPClientAuthenticator | undefined;
  /** The user's credentials (options or URL userinfo), for the origin of the URL they came with. */
  readonly #credentials: { username: string; password: string } | undefined;
  readonly #sendCredentialsAfterRedirect: boolean;
  readonly #acceptMediaFromAnyAddress: boolean;
  /** `scheme//host:port` requests go to now (changed by redirects). */
  #origin: string;
  /** Authenticators by origin: the user's for the first, Location userinfo's or opted-in ones for others. */
  readonly #authByOrigin = new Map<string, RTSPClientAuthenticator>();
  #conn: RTSPClientConnection | undefined;
  #connecting: Promise<RTSPClientConnection> | undefined;
  #closing: Promise<void> | undefined;
  #session: MediaSession | undefined;
  #sessionId: string | undefined;
  #sessionTimeoutS = 60;
  #serverMethods: string[] | undefined;
  readonly #streams = new Map<MediaSubsession, StreamState>();
  #publish: PublishSession | undefined;
  /** Published tracks set up (SETUP with mode=record), and how. */
  readonly #published = new Map<PublishTrack, StreamState>();
  readonly #channels = new Map<number, { sub: MediaSubsession } | { pipe: PacketPipe }>();
  #nextChannel = 0;
  #keepAliveTimer: TaskToken = 0;
  #fallbackTimer: TaskToken = 0;
  #lastPlay: RTSPPlayOptions | undefined;
  #fallingBack = false;
  #paused = false;
  #fellBack = false;

  /**
   * A client for `url` (`rtsp://[user:pass@]host[:port]/path`, or `rtsps://` over TLS; IPv6 hosts
   * in brackets). Connects on the first request.
   */
  constructor(url: string, options: RTSPClientOptions = {}) {
    super();
    const u = parseRTSPURL(url);
    this.#url = u.url;
    this.#host = u.host;
    this.#port = u.port;
    this.#secure = u.secure;
    this.#tls = options.tls ?? {};
    if (options.httpTunnelPort !== undefined && (!Number.isInteger(options.httpTunnelPort) || options.httpTunnelPort <= 0 || options.httpTunnelPort > 65535)) {
      throw new DorsvrError('ERR_RTSP_URL', `httpTunnelPort must be a port number, not ${String(options.httpTunnelPort)}`);
    }
    this.#tunnelPort = u.httpTunnel ? u.port : options.httpTunnelPort;
    this.#tunnelFallback = !u.httpTunnel && options.httpTunnelFallback === true;
    this.#tunnelling = this.#tunnelPort !== undefined && !this.#tunnelFallback;
    this.#ownsScheduler = options.scheduler === undefined;
    this.scheduler = options.scheduler ?? new BasicTaskScheduler();
    this.#transport = options.transport ?? 'auto';
    // Timeouts fail closed: Infinity, NaN or a string would mean no timeout (ERR_RTSP_CLIENT_OPTION).
    this.#fallbackTimeoutUs = limitOption(options.fallbackTimeoutMs, 5000, 'fallbackTimeoutMs', 'ERR_RTSP_CLIENT_OPTION', 'positive') * 1000;
    this.#requestTimeoutUs = limitOption(options.requestTimeoutMs, 10_000, 'requestTimeoutMs', 'ERR_RTSP_CLIENT_OPTION', 'positive') * 1000;
    this.#connectTimeoutUs = limitOption(options.connectTimeoutMs, this.#requestTimeoutUs / 1000, 'connectTimeoutMs', 'ERR_RTSP_CLIENT_OPTION', 'positive') * 1000;
    this.#teardownTimeoutUs = limitOption(options.teardownTimeoutMs, 2000, 'teardownTimeoutMs', 'ERR_RTSP_CLIENT_OPTION', 'positive') * 1000;
    this.#keepAliveIntervalUs = options.keepAliveIntervalMs === undefined ? undefined : limitOption(options.keepAliveIntervalMs, 0, 'keepAliveIntervalMs', 'ERR_RTSP_CLIENT_OPTION', 'positive') * 1000;
    this.#userAgent = options.userAgent ?? 'dorsvr RTSPClient';
    this.#portAllocator = options.portAllocator;
    const username = options.username ?? u.username;
    const password = options.password ?? u.password;
    this.#credentials = username === undefined ? undefined : { username, password: password ?? '' };
    this.#sendCredentialsAfterRedirect = booleanOption(options.sendCredentialsAfterRedirect, 'sendCredentialsAfterRedirect', 'ERR_RTSP_CLIENT_OPTION');
    this.#acceptMediaFromAnyAddress = booleanOption(options.acceptMediaFromAnyAddress, 'acceptMediaFromAnyAddress', 'ERR_RTSP_CLIENT_OPTION');
    this.#origin = originOf(u);
    if (this.#credentials !== undefined) {
      this.#auth = new RTSPClientAuthenticator(this.#credentials.username, this.#credentials.password);
      this.#authByOrigin.set(this.#origin, this.#auth);
    }
  }

  /** An `'error'` nobody listens for becomes a process warning (eventemitter3 would drop it). */
  override emit<T extends EventEmitter.EventNames<RTSPClientEvents>>(event: T, ...args: EventEmitter.EventArgs<RTSPClientEvents, T>): boolean {
    if (event === 'error' && this.listenerCount('error') === 0) {
      warnUnheardError(this, "RTSPClient error (the client has no 'error' listener)", args[0]);
      return false;
    }
    return super.emit(event, ...args);
  }

  /** The presentation URL (without userinfo), updated by redirects. */
  get url(): string {
    return this.#url;
  }

  /** The RTSP session id after SETUP, else undefined. */
  get sessionId(): string | undefined {
    return this.#sessionId;
  }

  /** The session timeout in seconds the server gave (60 when it gave none). */
  get sessionTimeoutSeconds(): number {
    return this.#sessionTimeoutS;
  }

  /** Methods the server listed in `Public:` (or `Allow:`) of an OPTIONS response, if any. */
  get serverMethods(): readonly string[] | undefined {
    return this.#serverMethods;
  }

  /** The session of the last {@link describe}. */
  get session(): MediaSession | undefined {
    return this.#session;
  }

  /** The session of the last {@link announce} (publishing). */
  get publishSession(): PublishSession | undefined {
    return this.#publish;
  }

  /** The authentication scheme in use after a challenge (`Digest`, `Basic`), else undefined. */
  get authScheme(): 'Digest' | 'Basic' | undefined {
    return this.#auth?.scheme;
  }

  /** True while requests go through an RTSP-over-HTTP tunnel (`rtsph://`, `httpTunnelPort`, or its fallback taken). */
  get httpTunnelled(): boolean {
    return this.#tunnelling;
  }

  /** True once streams were moved from UDP to TCP by the automatic fallback. */
  get fellBackToTCP(): boolean {
    return this.#fellBack;
  }

  // ---------------------------------------------------------------- requests

  /** OPTIONS: learns the server's methods (`Public:`, or `Allow:` as some servers send). */
  async options(): Promise<RTSPClientResponse> {
    const res = await this.request('OPTIONS', this.#url);
    this.#noteMethods(res);
    return res;
  }

  /**
   * DESCRIBE: fetches and parses the session description. Control URLs are resolved against
   * `Content-Base`, else `Content-Location`, else the request URL.
   */
  async describe(): Promise<MediaSession> {
    const res = await this.request('DESCRIBE', this.#url, { Accept: 'application/sdp' });
    if (res.body.length === 0) throw new RTSPClientError('ERR_RTSP_BAD_RESPONSE', 'DESCRIBE', 'DESCRIBE response has no body (no SDP)', { response: res });
    const requestURL = this.#url;
    const absolute = (v: string | undefined): string | undefined => {
      if (v === undefined || v.trim() === '') return undefined;
      try {
        const u = new URL(v.trim(), requestURL);
        u.username = '';
        u.password = '';
        return u.href;
      } catch {
        return undefined;
      }
    };
    const base = absolute(res.headers.get('Content-Base')) ?? absolute(res.headers.get('Content-Location')) ?? requestURL;
    let session: MediaSession;
    try {
      session = new MediaSession(res.body, base, this.scheduler);
    } catch (err) {
      throw new RTSPClientError('ERR_RTSP_BAD_RESPONSE', 'DESCRIBE', `DESCRIBE response is not SDP: ${(err as Error).message}`, { response: res, cause: err });
    }
    this.#session = session;
    for (const sub of session.subsessions) sub.on('bye', () => this.#onBye(sub));
    return session;
  }

  /**
   * SETUP of one stream: UDP on a fresh client port pair, or TCP interleaved (the channels the
   * server answers are used). In `auto` mode UDP is asked for, TCP when the server refuses it
   * (461), and the streams move to TCP when nothing arrives over UDP (see `fallbackToTCP`).
   */
  async setup(sub: MediaSubsession, options: RTSPSetupOptions = {}): Promise<RTSPClientResponse> {
    if (!sub.supported && sub.packetSink === undefined) {
      throw new RTSPClientError('ERR_RTSP_STATE', 'SETUP', `no depacketizer for ${sub.mediumName}/${sub.codecName || sub.payloadType}`);
    }
    // A track whose SDP names a multicast group (a stream always sent there) is received there.
    const mode = this.#effectiveMode(options.transport ?? (multicastGroupOf(sub) !== undefined ? 'multicast' : this.#transport));
    if (mode === 'multicast') return this.#setupMulticast(sub);
    try {
      return await this.#setupAs(sub, mode === 'tcp' ? 'tcp' : 'udp', mode === 'auto');
    } catch (err) {
      if (mode === 'auto' && err instanceof RTSPClientError && err.status === 461) {
        debug('server refused UDP (461), trying TCP');
        return this.#setupAs(sub, 'tcp', false);
      }
      throw err;
    }
  }

  // ---------------------------------------------------------------- publishing

  /**
   * ANNOUNCE (publishing, RFC 2326 section 10.3): sends a session description to the URL, as
   * `application/sdp` — given as text, or a livemedia `ServerMediaSession` whose SDP is made as
   * the server makes it for DESCRIBE — and resolves with the {@link PublishSession} whose tracks
   * are then set up with {@link setupRecord}. Rejects with `ERR_SDP_PARSE` (nothing sent) when
   * the text is not SDP or has no `m=` section, and with `ERR_RTSP_STATUS` when the server
   * refuses. A client publishes or plays, not both.
   */
  async announce(description: string | ServerMediaSession): Promise<PublishSession> {
    if (this.#streams.size > 0) throw new RTSPClientError('ERR_RTSP_STATE', 'ANNOUNCE', 'this client is playing: publish with another client');
    let sdp: string;
    if (typeof description === 'string') sdp = description;
    else {
      const conn = await this.#connection();
      sdp = await description.generateSDPDescription(stripMapped(conn.localAddress ?? '0.0.0.0'));
    }
    // Checked before it is sent: what the tracks are made from is what the server gets.
    if (parseSDP(sdp).media.length === 0) throw new DorsvrError('ERR_SDP_PARSE', 'the session description has no m= section: nothing to publish');
    await this.request('ANNOUNCE', this.#url, { 'Content-Type': 'application/sdp' }, sdp);
    // The URL after redirects is the base of the tracks' control URLs.
    this.#publish = new PublishSession(sdp, this.#url, this.scheduler);
    return this.#publish;
  }

  /**
   * SETUP of one announced track with `mode=record`: UDP from a fresh client port pair to the
   * `server_port` the server answers (rejects with `ERR_RTSP_BAD_RESPONSE` when it gives none:
   * there is nowhere to send), or TCP interleaved on this connection. In `auto` mode (the
   * default) UDP is asked for, TCP when the server refuses it (461).
   */
  async setupRecord(track: PublishTrack, options: RTSPSetupOptions = {}): Promise<RTSPClientResponse> {
    if (this.#publish === undefined || !this.#publish.tracks.includes(track)) {
      throw new RTSPClientError('ERR_RTSP_STATE', 'SETUP', 'setupRecord of a track that is not from the last announce()');
    }
    const mode = this.#effectiveMode(options.transport ?? this.#transport);
    try {
      return await this.#setupRecordAs(track, mode === 'tcp' ? 'tcp' : 'udp');
    } catch (err) {
      if (mode === 'auto' && err instanceof RTSPClientError && err.status === 461) {
        debug('server refused UDP for RECORD (461), trying TCP');
        return this.#setupRecordAs(track, 'tcp');
      }
      throw err;
    }
  }

  async #setupRecordAs(track: PublishTrack, mode: 'udp' | 'tcp'): Promise<RTSPClientResponse> {
    const conn = await this.#connection();
    let pair: PortPair | undefined;
    let spec: TransportSpec;
    if (mode === 'udp') {
      pair = await this.#allocatePair(conn);
      spec = { profile: 'RTP/AVP', lowerTransport: 'UDP', delivery: 'unicast', clientPort: { rtp: pair.rtpPort, rtcp: pair.rtcpPort }, mode: 'record' };
    } else {
      const ch = this.#nextChannel;
      this.#nextChannel += 2;
      spec = { profile: 'RTP/AVP', lowerTransport: 'TCP', delivery: 'unicast', interleaved: { rtp: ch, rtcp: ch + 1 }, mode: 'record' };
    }
    let res: RTSPClientResponse;
    let reply: TransportSpec | undefined;
    let header: string | undefined;
    try {
      res = await this.request('SETUP', track.controlURL, { Transport: formatTransportSpec(spec) });
      if (this.#closing !== undefined) throw new RTSPClientError('ERR_RTSP_CLIENT_CLOSED', 'SETUP', 'the client was closed during SETUP');
      this.#noteSession(res);
      ({ reply, header } = this.#replyTransport(res));
      if (mode === 'udp' && reply?.serverPort === undefined) {
        throw new RTSPClientError(
          'ERR_RTSP_BAD_RESPONSE',
          'SETUP',
          `the SETUP reply for ${track.controlURL} gives no server_port: nowhere to send RTP over UDP (publish over TCP instead)`,
          { response: res },
        );
      }
    } catch (err) {
      await pair?.release();
      throw err;
    }
    void this.#releasePublished(track);
    const state: StreamState = { mode, auto: false, pair };
    if (mode === 'udp') {
      const p = pair!;
      // Media goes to the server we are connected to: a `source=` naming another host is not
      // followed (a server must not be able to aim our stream at a third party).
      const serverAddress = stripMapped(conn.remoteAddress ?? this.#host);
      const serverPorts = { rtp: reply!.serverPort!.rtp, rtcp: reply!.serverPort!.rtcp ?? reply!.serverPort!.rtp + 1 };
      p.rtp.addDestination(serverAddress, serverPorts.rtp);
      const pipe = new PacketPipe((chunks) => p.rtcp.sendTo(chunks, serverAddress, serverPorts.rtcp));
      // The server's receiver reports only: another sender's would be taken as the server's.
      p.rtcp.on('packet', (data, from) => (this.#acceptMediaFromAnyAddress || stripMapped(from.address) === serverAddress) && pipe.deliver(data, from));
      const transport: SubsessionTransport = { mode, clientPorts: { rtp: p.rtpPort, rtcp: p.rtcpPort }, serverPorts, serverAddress, ssrc: reply?.ssrc, header };
      // A Groupsock says whether Node still holds the chunks, as an RTP sink's interface must.
      track.attachTransport(transport, (chunks) => p.rtp.send(chunks), pipe, this.#cname);
    } else {
      const ch = this.#noteChannels(reply, spec);
      // Interleaved writes copy the packet, so the sink may reuse its buffers at once.
      const sendRTP = (chunks: readonly Uint8Array[]): boolean => {
        this.#conn?.sendInterleaved(ch.rtp, chunks);
        return false;
      };
      const pipe = new PacketPipe((chunks) => this.#conn?.sendInterleaved(ch.rtcp, chunks) ?? false);
      this.#channels.set(ch.rtcp, { pipe });
      state.channels = ch;
      track.attachTransport({ mode, channels: ch, ssrc: reply?.ssrc, header }, sendRTP, pipe, this.#cname);
    }
    this.#published.set(track, state);
    this.#scheduleKeepAlive();
    debug('SETUP (record) %s over %s: %o', track.controlURL, mode, track.transport);
    return res;
  }

  /**
   * RECORD of the announced session (its aggregate URL, `Range: npt=0.000-`): once answered, each
   * set-up track may {@link PublishTrack.send}.
   */
  async record(): Promise<RTSPClientResponse> {
    if (this.#publish === undefined || this.#published.size === 0) throw new RTSPClientError('ERR_RTSP_STATE', 'RECORD', 'RECORD before ANNOUNCE and SETUP');
    const res = await this.request('RECORD', this.#publish.controlURL, { Range: 'npt=0.000-' });
    for (const t of this.#published.keys()) t.noteRecording();
    return res;
  }

  /**
   * Publishes a `ServerMediaSession` whose tracks are livemedia `OnDemandServerMediaSubsession`s
   * (the file tracks, e.g. from `createFileServerMediaSubsession`): ANNOUNCE of its SDP, SETUP
   * (record) of every track, a source and RTP sink per track made as the track makes them for a
   * client of our server, RECORD, then sending in real time. Resolves once sending started; the
   * {@link Publication} says when the sources ended (`done`). {@link close} ends it with RTCP BYE
   * and TEARDOWN. Rejects with `ERR_RTSP_STATE` for a track of another kind.
   */
  async publish(session: ServerMediaSession, options: RTSPPublishOptions = {}): Promise<Publication> {
    const subs = session.subsessions;
    if (subs.length === 0) throw new RTSPClientError('ERR_RTSP_STATE', 'ANNOUNCE', `${session.name}: no track to publish`);
    const onDemand: OnDemandServerMediaSubsession[] = [];
    for (const s of subs) {
      if (!(s instanceof OnDemandServerMediaSubsession)) {
        throw new RTSPClientError('ERR_RTSP_STATE', 'ANNOUNCE', `${session.name}/${s.trackId}: only on-demand tracks (OnDemandServerMediaSubsession) can be published`);
      }
      onDemand.push(s);
    }
    const announced = await this.announce(session);
    if (announced.tracks.length !== onDemand.length) {
      throw new RTSPClientError('ERR_RTSP_STATE', 'ANNOUNCE', `the SDP of ${session.name} has ${announced.tracks.length} m= sections for ${onDemand.length} tracks`);
    }
    for (const t of announced.tracks) await this.setupRecord(t, { transport: options.transport });
    const publication = await Publication.prepare(announced, onDemand, options);
    try {
      await this.record();
    } catch (err) {
      publication.stop();
      throw err;
    }
    publication.start();
    return publication;
  }

  async #setupAs(sub: MediaSubsession, mode: 'udp' | 'tcp', auto: boolean): Promise<RTSPClientResponse> {
    const conn = await this.#connection();
    let pair: PortPair | undefined;
    let spec: TransportSpec;
    if (mode === 'udp') {
      pair = await this.#allocatePair(conn);
      spec = { profile: 'RTP/AVP', lowerTransport: 'UDP', delivery: 'unicast', clientPort: { rtp: pair.rtpPort, rtcp: pair.rtcpPort } };
    } else {
      const ch = this.#nextChannel;
      this.#nextChannel += 2;
      spec = { profile: 'RTP/AVP', lowerTransport: 'TCP', delivery: 'unicast', interleaved: { rtp: ch, rtcp: ch + 1 } };
    }
    let res: RTSPClientResponse;
    try {
      res = await this.request('SETUP', sub.controlURL, { Transport: formatTransportSpec(spec) });
    } catch (err) {
      await pair?.release();
      throw err;
    }
    if (this.#closing !== undefined) {
      // close() ran while this SETUP was out (a fallback, say): keep nothing it made.
      await pair?.release();
      throw new RTSPClientError('ERR_RTSP_CLIENT_CLOSED', 'SETUP', 'the client was closed during SETUP');
    }
    try {
      this.#noteSession(res);
    } catch (err) {
      await pair?.release();
      throw err;
    }
    const { reply, header } = this.#replyTransport(res);
    let transport: SubsessionTransport;
    let pipe: PacketPipe;
    const state: StreamState = { mode, auto, pair };
    void this.#releaseStream(sub);
    if (mode === 'udp') {
      const p = pair!;
      const serverAddress = stripMapped(reply?.source ?? conn.remoteAddress ?? this.#host);
      const serverPorts = reply?.serverPort === undefined ? undefined : { rtp: reply.serverPort.rtp, rtcp: reply.serverPort.rtcp ?? reply.serverPort.rtp + 1 };
      // Without server_port, RTCP goes back to where the server's RTCP comes from.
      let rtcpDest: { address: string; port: number } | undefined =
        serverPorts === undefined ? undefined : { address: serverAddress, port: serverPorts.rtcp };
      pipe = new PacketPipe((chunks) => (rtcpDest === undefined ? false : p.rtcp.sendTo(chunks, rtcpDest.address, rtcpDest.port)));
      // Anyone may send to our ports (they are easy to find): only the server's packets count.
      const servers = new Set([serverAddress, stripMapped(conn.remoteAddress ?? this.#host)]);
      const fromServer = (from: { address: string }): boolean => {
        if (this.#acceptMediaFromAnyAddress || servers.has(stripMapped(from.address))) return true;
        sub.noteForeignPacket(from.address);
        return false;
      };
      p.rtp.on('packet', (data, from) => fromServer(from) && sub.handleRTPPacket(data));
      p.rtcp.on('packet', (data, from) => {
        if (!fromServer(from)) return;
        rtcpDest ??= { address: from.address, port: from.port };
        pipe.deliver(data, from);
      });
      transport = { mode, clientPorts: { rtp: p.rtpPort, rtcp: p.rtcpPort }, serverPorts, serverAddress, ssrc: reply?.ssrc, header };
    } else {
      const ch = this.#noteChannels(reply, spec);
      pipe = new PacketPipe((chunks) => this.#conn?.sendInterleaved(ch.rtcp, chunks) ?? false);
      this.#channels.set(ch.rtp, { sub });
      this.#channels.set(ch.rtcp, { pipe });
      state.channels = ch;
      transport = { mode, channels: ch, ssrc: reply?.ssrc, header };
    }
    this.#streams.set(sub, state);
    sub.attachTransport(transport, this.#sessionId ?? '', pipe, this.#cname);
    this.#scheduleKeepAlive();
    debug('SETUP %s over %s: %o', sub.controlURL, mode, transport);
    return res;
  }

  /**
   * SETUP asking for multicast (`RTP/AVP;multicast`): the server answers the group (`destination=`),
   * its ports (`port=`) and TTL; we bind those ports and join the group (source-specific when it is
   * an SSM group, 232/8 or ff3x::, with the server as the source). RTCP reports go to the group.
   */
  async #setupMulticast(sub: MediaSubsession): Promise<RTSPClientResponse> {
    const conn = await this.#connection();
    const spec: TransportSpec = { profile: 'RTP/AVP', lowerTransport: 'UDP', delivery: 'multicast' };
    const res = await this.request('SETUP', sub.controlURL, { Transport: formatTransportSpec(spec) });
    if (this.#closing !== undefined) throw new RTSPClientError('ERR_RTSP_CLIENT_CLOSED', 'SETUP', 'the client was closed during SETUP');
    this.#noteSession(res);
    const { reply, header } = this.#replyTransport(res);
    const group = reply?.destination;
    const port = reply?.port ?? reply?.clientPort;
    if (reply?.delivery !== 'multicast' || group === undefined || !isMulticastAddress(group) || port === undefined || port.rtp < 1024) {
      throw new RTSPClientError('ERR_RTSP_BAD_RESPONSE', 'SETUP', `the SETUP reply for ${sub.controlURL} gives no usable multicast group and port: ${header ?? '(no Transport)'}`, { response: res });
    }
    const rtcpPort = port.rtcp ?? port.rtp + 1;
    const type = group.includes(':') ? 'udp6' : 'udp4';
    const ttl = Math.min(255, Math.max(1, reply.ttl ?? 1));
    // Join (and send RTCP) on the interface the RTSP connection uses, never the routing table's
    // choice for the group; an IPv6 group is joined on the OS's choice (no interface address).
    const local = stripMapped(conn.localAddress ?? '');
    const iface = type === 'udp4' && isIP(local) === 4 ? local : undefined;
    const common = { type, reuseAddr: true, multicastTTL: ttl, ...(iface === undefined ? {} : { multicastInterface: iface }) } as const;
    const rtp = await Groupsock.create({ ...common, port: port.rtp });
    let rtcp: Groupsock | undefined;
    try {
      rtcp = await Groupsock.create({ ...common, port: rtcpPort });
      // SSM: the source the server names, else the SDP's source-filter, else the server itself.
      const source = stripMapped(reply.source ?? sourceFilterOf(sub) ?? conn.remoteAddress ?? this.#host);
      for (const g of [rtp, rtcp]) {
        if (isSourceSpecificMulticastAddress(group)) g.joinSourceSpecificGroup(source, group, iface);
        else g.joinGroup(group, iface);
      }
    } catch (err) {
      await Promise.all([rtp.close(), rtcp?.close()]);
      throw new RTSPClientError('ERR_RTSP_BAD_RESPONSE', 'SETUP', `cannot receive multicast ${group} port ${port.rtp}: ${(err as Error).message}`, { response: res, cause: err });
    }
    void this.#releaseStream(sub);
    const r = rtcp;
    const pipe = new PacketPipe((chunks) => r.sendTo(chunks, group, rtcpPort));
    rtp.on('packet', (data) => sub.handleRTPPacket(data));
    r.on('packet', (data, from) => pipe.deliver(data, from));
    const transport: SubsessionTransport = { mode: 'multicast', group, clientPorts: { rtp: port.rtp, rtcp: rtcpPort }, serverAddress: reply.source, ssrc: reply.ssrc, header };
    this.#streams.set(sub, { mode: 'multicast', auto: false, group: { rtp, rtcp: r } });
    sub.attachTransport(transport, this.#sessionId ?? '', pipe, this.#cname);
    this.#scheduleKeepAlive();
    debug('SETUP %s: multicast %s ports %d-%d', sub.controlURL, group, port.rtp, rtcpPort);
    return res;
  }

  /**
   * PLAY of the whole session (its aggregate control URL), from `range` seconds (default 0; after
   * {@link pause}, no Range, so the server resumes where it paused). Fills each stream's RTP-Info
   * when the server sends it (it may not).
   */
  async play(options: RTSPPlayOptions = {}): Promise<RTSPClientResponse> {
    const uri = this.#aggregateURL('PLAY');
    const headers: Record<string, string> = {};
    if (options.range !== undefined || options.end !== undefined || !this.#paused) {
      headers.Range = `npt=${formatNptTime(options.range ?? 0)}-${options.end === undefined ? '' : formatNptTime(options.end)}`;
    }
    if (options.scale !== undefined) headers.Scale = formatScale(options.scale);
    const res = await this.request('PLAY', uri, headers);
    this.#paused = false;
    this.#lastPlay = options;
    this.#noteRTPInfo(res);
    for (const sub of this.#streams.keys()) sub.rtcp?.sendReport();
    this.#scheduleFallbackCheck();
    return res;
  }

  /** PAUSE of the whole session. */
  async pause(): Promise<RTSPClientResponse> {
    this.#cancelFallbackCheck();
    const res = await this.request('PAUSE', this.#aggregateURL('PAUSE'));
    this.#paused = true;
    return res;
  }

  /**
   * GET_PARAMETER on the session (or the presentation URL before SETUP). `parameters` are sent
   * one per line as `text/parameters`; none makes it a plain keep-alive.
   */
  async getParameter(parameters: string | readonly string[] = []): Promise<RTSPClientResponse> {
    const names = typeof parameters === 'string' ? [parameters] : parameters;
    const body = names.length === 0 ? undefined : formatTextParameters(names.map((n) => [n, undefined] as const));
    return this.request('GET_PARAMETER', this.#sessionURL(), body === undefined ? {} : { 'Content-Type': 'text/parameters' }, body);
  }

  /** SET_PARAMETER `name: value` on the session (or the presentation URL before SETUP). */
  async setParameter(name: string, value: string): Promise<RTSPClientResponse> {
    return this.request('SET_PARAMETER', this.#sessionURL(), { 'Content-Type': 'text/parameters' }, formatTextParameters([[name, value]]));
  }

  /**
   * TEARDOWN of the whole session: the streams end (their sources deliver what they hold, then
   * `null`) and their ports are released, whatever the server answers. Resolves with undefined
   * when nothing was set up.
   */
  async teardown(): Promise<RTSPClientResponse | undefined> {
    if (this.#sessionId === undefined && this.#streams.size === 0 && this.#published.size === 0) return undefined;
    const uri = this.#aggregateURL('TEARDOWN');
    this.#byePublished();
    try {
      return await this.request('TEARDOWN', uri);
    } finally {
      await this.#endStreams();
    }
  }

  /**
   * Sends any request and resolves with a 2xx response: adds CSeq, User-Agent, Session (once
   * set up) and Authorization (answering 401 challenges: Digest SHA-256 over MD5 over Basic,
   * again after `stale=true`), and follows `Location:` on 301/302/303/305/307. `timeoutMs`
   * (default `requestTimeoutMs`) must be a positive finite number, else the promise rejects with
   * `ERR_RTSP_CLIENT_OPTION`.
   */
  async request(method: string, uri: string, headers: RTSPHeadersInit = {}, body?: string | Uint8Array, timeoutMs?: number): Promise<RTSPClientResponse> {
    if (this.#closing !== undefined) throw new RTSPClientError('ERR_RTSP_CLIENT_CLOSED', method, 'the client is closed');
    return this.#request(method, uri, headers, body, limitOption(timeoutMs, this.#requestTimeoutUs / 1000, 'timeoutMs', 'ERR_RTSP_CLIENT_OPTION', 'positive') * 1000);
  }

  async #request(method: string, uri: string, headersInit: RTSPHeadersInit, body: string | Uint8Array | undefined, timeoutUs: number): Promise<RTSPClientResponse> {
    let target = uri;
    let redirects = 0;
    let authTries = 0;
    for (;;) {
      const conn = await this.#connection();
      const headers = new RTSPHeaders(headersInit);
      if (!headers.has('User-Agent')) headers.append('User-Agent', this.#userAgent);
      if (this.#sessionId !== undefined && !headers.has('Session') && method !== 'OPTIONS' && method !== 'DESCRIBE') headers.append('Session', this.#sessionId);
      const authorization = this.#auth?.authorize(method, target);
      if (authorization !== undefined) headers.append('Authorization', authorization);
      const res = await conn.request(method, target, headers, body, timeoutUs);
      if (res.status === 401 && this.#auth !== undefined && authTries < 3) {
        authTries++;
        if (this.#auth.onChallenge(res.headers.getAll('WWW-Authenticate'), authorization !== undefined)) {
          debug('401 for %s: answering with %s %s', method, this.#auth.scheme, this.#auth.algorithm ?? '');
          continue;
        }
      }
      const location = res.headers.get('Location');
      if ([301, 302, 303, 305, 307].includes(res.status) && location !== undefined) {
        if (++redirects > 5) throw new RTSPClientError('ERR_RTSP_REDIRECT', method, `more than 5 redirects (last to ${location})`, { status: res.status, response: res });
        let next;
        try {
          next = parseRTSPURL(new URL(location, target).href);
        } catch (err) {
          throw new RTSPClientError('ERR_RTSP_REDIRECT', method, `unusable Location ${JSON.stringify(location)}`, { status: res.status, response: res, cause: err });
        }
        if (this.#secure && !next.secure) {
          // A redirect must not take a client that asked for TLS off it.
          throw new RTSPClientError('ERR_RTSP_REDIRECT', method, `refusing a redirect from rtsps:// to ${next.url} (not TLS)`, { status: res.status, response: res });
        }
        debug('%d: %s redirected to %s', res.status, target, next.url);
        if (target === this.#url) this.#url = next.url;
        target = next.url;
        if (next.host !== this.#host || next.port !== this.#port || next.secure !== this.#secure) {
          this.#host = next.host;
          this.#port = next.port;
          this.#secure = next.secure;
          if (next.httpTunnel) {
            this.#tunnelPort = next.port;
            this.#tunnelling = true;
          }
          this.#conn?.close();
          this.#conn = undefined;
        }
        this.#authForRedirect(next);
        this.emit('redirect', next.url);
        continue;
      }
      // Some servers list their methods in every response, not only OPTIONS.
      if (method !== 'OPTIONS' && res.headers.has('Public')) this.#noteMethods(res);
      if (res.status < 200 || res.status >= 300) {
        const why = res.status === 401 ? this.#whyUnauthorized() : '';
        throw new RTSPClientError('ERR_RTSP_STATUS', method, `${method} ${target}: ${res.status} ${res.reason}${why}`, { status: res.status, response: res });
      }
      return res;
    }
  }

  /**
   * After a redirect: credentials go only to the origin they were given for. Another origin gets
   * the credentials of the Location's own userinfo, or (opted in) the user's for Digest only, or
   * none; never a header computed for the previous server.
   */
  #authForRedirect(next: RTSPURL): void {
    const origin = originOf(next);
    const sameOrigin = origin === this.#origin;
    this.#origin = origin;
    let auth = this.#authByOrigin.get(origin);
    if (auth === undefined && next.username !== undefined) {
      auth = new RTSPClientAuthenticator(next.username, next.password ?? '', { allowBasic: sameOrigin });
    } else if (auth === undefined && this.#credentials !== undefined && this.#sendCredentialsAfterRedirect) {
      auth = new RTSPClientAuthenticator(this.#credentials.username, this.#credentials.password, { allowBasic: false });
    }
    if (auth !== undefined) this.#authByOrigin.set(origin, auth);
    this.#auth = auth;
  }

  #whyUnauthorized(): string {
    const auth = this.#auth;
    if (auth === undefined) {
      return this.#credentials === undefined
        ? ' (no credentials given)'
        : ` (credentials are not sent to ${this.#origin} after a redirect from another origin; see the sendCredentialsAfterRedirect option)`;
    }
    if (auth.refusedBasic) return ' (the server offers only Basic, which is never sent after a redirect to another origin)';
    return ' (credentials refused)';
  }

  // ---------------------------------------------------------------- connection

  #connection(): Promise<RTSPClientConnection> {
    if (this.#conn !== undefined && !this.#conn.closed) return Promise.resolve(this.#conn);
    if (this.#connecting !== undefined) return this.#connecting;
    const p = this.#open().then(
      (conn) => {
        this.#connecting = undefined;
        if (this.#closing !== undefined && this.#conn === undefined && this.#sessionId === undefined) {
          conn.close();
          throw new RTSPClientError('ERR_RTSP_CLIENT_CLOSED', 'CONNECT', 'the client is closed');
        }
        this.#conn = conn;
        conn.on('interleaved', (channel, payload) => {
          const route = this.#channels.get(channel);
          if (route === undefined) return;
          if ('sub' in route) route.sub.handleRTPPacket(payload);
          else route.pipe.deliver(payload, channel);
        });
        conn.on('request', (method, uri) => this.emit('request', method, uri));
        conn.on('close', () => this.#onConnectionClose(conn));
        return conn;
      },
      (err: unknown) => {
        this.#connecting = undefined;
        throw err;
      },
    );
    this.#connecting = p;
    return p;
  }

  #onConnectionClose(conn: RTSPClientConnection): void {
    if (this.#conn !== conn) return;
    this.#conn = undefined;
    if (this.#closing !== undefined) return;
    if (this.#sessionId !== undefined) this.emit('disconnect');
    // Interleaved streams died with the connection; UDP ones may live on (the next request reconnects).
    const published = [...this.#published].filter(([, s]) => s.mode === 'tcp');
    if (published.length > 0) {
      debug('connection closed with %d interleaved published track(s): they stop', published.length);
      this.emit('error', new RTSPClientError('ERR_RTSP_CONNECTION_CLOSED', 'RECORD', 'the server closed the connection carrying the published streams'));
      for (const [t] of published) void this.#releasePublished(t);
    }
    const tcp = [...this.#streams].filter(([, s]) => s.mode === 'tcp');
    if (tcp.length === 0 || this.#fallingBack) return;
    debug('connection closed with %d interleaved stream(s): they end', tcp.length);
    this.emit('error', new RTSPClientError('ERR_RTSP_CONNECTION_CLOSED', 'PLAY', 'the server closed the connection carrying the streams'));
    for (const [sub] of tcp) {
      void this.#releaseStream(sub);
      sub.endOfStream();
    }
    if (this.#streams.size === 0) this.#stopTimers();
  }

  // ---------------------------------------------------------------- helpers

  /** A new connection: plain, TLS, or tunnelled over HTTP (after the RTSP port refused one, in fallback mode). */
  async #open(): Promise<RTSPClientConnection> {
    const tls = this.#secure ? this.#tls : undefined;
    const tunnel = (): Promise<RTSPClientConnection> => {
      const u = new URL(this.#url);
      const httpTunnel = { path: `${u.pathname || '/'}${u.search}`, userAgent: this.#userAgent };
      return RTSPClientConnection.open(this.scheduler, this.#host, this.#tunnelPort!, this.#connectTimeoutUs, { tls, httpTunnel });
    };
    if (this.#tunnelling) return tunnel();
    try {
      return await RTSPClientConnection.open(this.scheduler, this.#host, this.#port, this.#connectTimeoutUs, { tls });
    } catch (err) {
      const refused = err instanceof RTSPClientError && err.code === 'ERR_RTSP_CONNECT' && (err.cause as { code?: string } | undefined)?.code === 'ECONNREFUSED';
      if (!this.#tunnelFallback || this.#tunnelPort === undefined || !refused) throw err;
      debug('%s:%d refused the connection: tunnelling over HTTP to port %d', this.#host, this.#port, this.#tunnelPort);
      const conn = await tunnel();
      this.#tunnelling = true;
      return conn;
    }
  }

  /**
   * Over TLS or an HTTP tunnel, `auto` means TCP: the stream travels inside the protected
   * connection, or through the tunnel the network left open (ask for `udp` to have it beside).
   */
  #effectiveMode(mode: RTSPTransportMode): RTSPTransportMode {
    return mode === 'auto' && (this.#secure || this.#tunnelling) ? 'tcp' : mode;
  }

  #allocatePair(conn: RTSPClientConnection): Promise<PortPair> {
    const remote = stripMapped(conn.remoteAddress ?? this.#host);
    return (this.#portAllocator ?? defaultAllocator(isIP(remote) === 6 ? 'udp6' : 'udp4')).allocate();
  }

  /** Takes the session id and timeout of a SETUP reply. */
  #noteSession(res: RTSPClientResponse): void {
    const sessionValue = res.headers.get('Session');
    if (sessionValue === undefined) return;
    try {
      const s = parseSessionHeader(sessionValue);
      this.#sessionId = s.id;
      if (s.timeout !== undefined && s.timeout > 0) this.#sessionTimeoutS = s.timeout;
    } catch (err) {
      throw new RTSPClientError('ERR_RTSP_BAD_RESPONSE', 'SETUP', `bad Session header: ${(err as Error).message}`, { response: res, cause: err });
    }
  }

  /** The Transport of a SETUP reply; a reply without one (or one we cannot read) means: what we asked for. */
  #replyTransport(res: RTSPClientResponse): { reply: TransportSpec | undefined; header: string | undefined } {
    const header = res.headers.get('Transport');
    let reply: TransportSpec | undefined;
    if (header !== undefined) {
      try {
        reply = parseTransportHeader(header)[0];
      } catch (err) {
        debug('unreadable Transport in the SETUP reply (%s): assuming ours', (err as Error).message);
      }
    }
    return { reply, header };
  }

  /** The interleaved channels a SETUP reply gave (else those asked for); later SETUPs ask above them. */
  #noteChannels(reply: TransportSpec | undefined, spec: TransportSpec): { rtp: number; rtcp: number } {
    const channels = reply?.interleaved === undefined ? spec.interleaved! : reply.interleaved;
    const ch = { rtp: channels.rtp, rtcp: channels.rtcp ?? channels.rtp + 1 };
    if (ch.rtp >= this.#nextChannel) this.#nextChannel = Math.max(ch.rtp, ch.rtcp) + 1 + ((Math.max(ch.rtp, ch.rtcp) + 1) % 2);
    return ch;
  }

  /** Forget a published track: it says BYE (while its transport is up), then its ports are released. */
  #releasePublished(track: PublishTrack): Promise<void> {
    const state = this.#published.get(track);
    if (state === undefined) return Promise.resolve();
    this.#published.delete(track);
    track.detachTransport();
    if (state.channels !== undefined) {
      this.#channels.delete(state.channels.rtp);
      this.#channels.delete(state.channels.rtcp);
    }
    if (state.pair === undefined) return Promise.resolve();
    state.pair.rtcp.removeAllListeners('packet');
    return state.pair.release();
  }

  /** Published tracks say BYE and stop sending (before TEARDOWN, so the BYE still has somewhere to go). */
  #byePublished(): void {
    for (const t of this.#published.keys()) t.detachTransport();
  }

  #noteMethods(res: RTSPClientResponse): void {
    const list = res.headers.get('Public') ?? res.headers.get('Allow');
    if (list !== undefined) this.#serverMethods = parseCommaList(list).map((m) => m.toUpperCase());
  }

  #aggregateURL(method: string): string {
    if (this.#sessionId === undefined && this.#streams.size === 0 && this.#published.size === 0) {
      throw new RTSPClientError('ERR_RTSP_STATE', method, `${method} before SETUP`);
    }
    if (this.#session !== undefined) return this.#session.controlURL;
    if (this.#publish !== undefined && this.#published.size > 0) return this.#publish.controlURL;
    const first = this.#streams.keys().next().value;
    return first?.controlURL ?? this.#url;
  }

  #sessionURL(): string {
    return this.#session !== undefined && this.#sessionId !== undefined ? this.#session.controlURL : this.#url;
  }

  #noteRTPInfo(res: RTSPClientResponse): void {
    const value = res.headers.get('RTP-Info');
    const subs = [...this.#streams.keys()];
    for (const sub of subs) sub.setRTPInfo(undefined);
    if (value === undefined) return;
    let entries;
    try {
      entries = parseRTPInfoHeader(value);
    } catch (err) {
      debug('unreadable RTP-Info ignored: %s', (err as Error).message);
      return;
    }
    const base = this.#session?.baseURL ?? this.#url;
    const strip = (u: string): string => u.replace(/\/+$/, '');
    entries.forEach((e, i) => {
      const url = strip(resolveControlURL(base, e.url));
      // By URL (absolute or relative to the base), else by a matching tail, else by position.
      const sub =
        subs.find((s) => strip(s.controlURL) === url) ??
        subs.find((s) => e.url !== '' && (strip(s.controlURL).endsWith(`/${strip(e.url)}`) || strip(e.url).endsWith(strip(s.controlURL)))) ??
        (entries!.length === subs.length ? subs[i] : undefined);
      sub?.setRTPInfo(e);
    });
  }

  #scheduleKeepAlive(): void {
    const period = this.#keepAliveIntervalUs ?? (this.#sessionTimeoutS * 1_000_000) / 2;
    this.#keepAliveTimer = this.scheduler.rescheduleDelayedTask(this.#keepAliveTimer, Math.max(1000, period), () => {
      this.#keepAliveTimer = 0;
      void this.#sendKeepAlive();
    });
  }

  /** The method keep-alives use: GET_PARAMETER when the server listed it, else OPTIONS. */
  get keepAliveMethod(): 'GET_PARAMETER' | 'OPTIONS' {
    return this.#serverMethods?.includes('GET_PARAMETER') === true ? 'GET_PARAMETER' : 'OPTIONS';
  }

  async #sendKeepAlive(): Promise<void> {
    if (this.#closing !== undefined || this.#sessionId === undefined) return;
    this.#scheduleKeepAlive();
    const method = this.keepAliveMethod;
    debugKeepAlive('%s', method);
    try {
      const uri = method === 'OPTIONS' ? this.#url : this.#sessionURL();
      await this.#request(method, uri, method === 'OPTIONS' && this.#sessionId !== undefined ? { Session: this.#sessionId } : {}, undefined, this.#requestTimeoutUs);
    } catch (err) {
      debugKeepAlive('keep-alive failed: %s', (err as Error).message);
      if (this.#closing !== undefined) return;
      this.emit('error', err instanceof RTSPClientError ? err : new RTSPClientError('ERR_RTSP_KEEPALIVE', method, `keep-alive failed: ${(err as Error).message}`, { cause: err }));
    }
  }

  #scheduleFallbackCheck(): void {
    const auto = [...this.#streams.values()].some((s) => s.mode === 'udp' && s.auto);
    if (!auto) return;
    this.#fallbackTimer = this.scheduler.rescheduleDelayedTask(this.#fallbackTimer, this.#fallbackTimeoutUs, () => {
      this.#fallbackTimer = 0;
      const udp = [...this.#streams].filter(([, s]) => s.mode === 'udp' && s.auto);
      if (udp.length === 0 || udp.some(([sub]) => sub.rtpPacketsReceived > 0)) return;
      void this.#fallBackToTCP(`no RTP packet over UDP within ${this.#fallbackTimeoutUs / 1000} ms`);
    });
  }

  #cancelFallbackCheck(): void {
    this.scheduler.unscheduleDelayedTask(this.#fallbackTimer);
    this.#fallbackTimer = 0;
  }

  async #fallBackToTCP(reason: string): Promise<void> {
    if (this.#closing !== undefined || this.#fallingBack) return;
    this.#fallingBack = true;
    debugFallback('%s: setting the streams up again over TCP', reason);
    this.emit('fallbackToTCP', reason);
    const subs = [...this.#streams.keys()];
    try {
      try {
        await this.#request('TEARDOWN', this.#aggregateURL('TEARDOWN'), {}, undefined, this.#teardownTimeoutUs);
      } catch (err) {
        debugFallback('TEARDOWN before the fallback failed (ignored): %s', (err as Error).message);
      }
      for (const sub of subs) void this.#releaseStream(sub);
      this.#sessionId = undefined;
      this.#paused = false;
      for (const sub of subs) await this.#setupAs(sub, 'tcp', false);
      const play = this.#lastPlay ?? {};
      await this.play(play);
      this.#fellBack = true;
    } catch (err) {
      const e = err instanceof RTSPClientError ? err : new RTSPClientError('ERR_RTSP_FALLBACK', 'SETUP', `fallback to TCP failed: ${(err as Error).message}`, { cause: err });
      debugFallback('fallback failed: %s', e.message);
      this.emit('error', e);
      await this.#endStreams();
    } finally {
      this.#fallingBack = false;
    }
  }

  #onBye(sub: MediaSubsession): void {
    if (!this.#streams.has(sub)) return;
    debug('BYE for %s', sub.controlURL);
    this.emit('bye', sub);
    // The BYE came on the RTCP socket and may have overtaken the last RTP packets: the source takes
    // them for its grace (then ends by itself, RTCPInstance told it), so the sockets stay open as long.
    this.scheduler.scheduleDelayedTask(BYE_GRACE_US, () => {
      if (!this.#streams.has(sub)) return; // closed or torn down meanwhile
      void this.#releaseStream(sub);
      if (this.#streams.size === 0) {
        this.#stopTimers();
        this.emit('end');
      }
    });
  }

  /** Forget a stream and free its sockets; resolves when its UDP ports are released. */
  #releaseStream(sub: MediaSubsession): Promise<void> {
    const state = this.#streams.get(sub);
    if (state === undefined) return Promise.resolve();
    this.#streams.delete(sub);
    sub.detachTransport();
    if (state.channels !== undefined) {
      this.#channels.delete(state.channels.rtp);
      this.#channels.delete(state.channels.rtcp);
    }
    if (state.group !== undefined) {
      // Closing a socket leaves the groups it joined.
      const g = state.group;
      g.rtp.removeAllListeners('packet');
      g.rtcp.removeAllListeners('packet');
      return Promise.all([g.rtp.close(), g.rtcp.close()]).then(() => undefined);
    }
    if (state.pair === undefined) return Promise.resolve();
    state.pair.rtp.removeAllListeners('packet');
    state.pair.rtcp.removeAllListeners('packet');
    return state.pair.release();
  }

  async #endStreams(): Promise<void> {
    const subs = [...this.#streams.keys()];
    const released = subs.map((sub) => {
      const r = this.#releaseStream(sub);
      sub.endOfStream();
      return r;
    });
    for (const t of [...this.#published.keys()]) released.push(this.#releasePublished(t));
    this.#sessionId = undefined;
    this.#paused = false;
    this.#stopTimers();
    await Promise.all(released);
    if (subs.length > 0) this.emit('end');
  }

  #stopTimers(): void {
    this.scheduler.unscheduleDelayedTask(this.#keepAliveTimer);
    this.#keepAliveTimer = 0;
    this.#cancelFallbackCheck();
  }

  /**
   * Ends everything: a TEARDOWN first when a session is up (best effort, `teardownTimeoutMs`),
   * then every stream ends and every socket and port is released; an owned scheduler is closed.
   * Idempotent; later requests reject with `ERR_RTSP_CLIENT_CLOSED`.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#stopTimers();
      this.#byePublished();
      if (this.#sessionId !== undefined && this.#conn !== undefined && !this.#conn.closed) {
        try {
          await this.#request('TEARDOWN', this.#aggregateURL('TEARDOWN'), {}, undefined, this.#teardownTimeoutUs);
        } catch (err) {
          debug('TEARDOWN on close failed (ignored): %s', (err as Error).message);
        }
      }
      await this.#endStreams();
      for (const sub of this.#session?.subsessions ?? []) if (!sub.ended && sub.supported) sub.source.endOfStream();
      for (const t of this.#publish?.tracks ?? []) t.close();
      this.#conn?.close();
      this.#conn = undefined;
      const connecting = this.#connecting;
      if (connecting !== undefined) await connecting.then((c) => c.close(), () => undefined);
      if (this.#ownsScheduler) this.scheduler.close();
      this.emit('close');
    })();
    return this.#closing;
  }
}

/** The multicast group a track's SDP names (`c=IN IP4 <group>/<ttl>` at media level), if any. */
function multicastGroupOf(sub: MediaSubsession): string | undefined {
  for (const c of sub.media.connections) if (isMulticastAddress(c.address)) return c.address;
  return undefined;
}

/** The first source of a track's `a=source-filter: incl IN IP4 <group|*> <source>…` (RFC 4570), if any. */
function sourceFilterOf(sub: MediaSubsession): string | undefined {
  for (const a of sub.media.attributes) {
    if (a.name !== 'source-filter' || a.value === undefined) continue;
    const f = a.value.trim().split(/\s+/);
    if (f[0] === 'incl' && f.length >= 5 && isIP(f[4]!) !== 0) return f[4];
  }
  return undefined;
}
