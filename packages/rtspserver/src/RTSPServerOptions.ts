import type { TlsOptions } from 'node:tls';
import type { TaskScheduler } from '@dorsvr/scheduler';
import type { AuthenticationDatabase, MulticastOptions, PortRange, ServerMediaSession } from '@dorsvr/livemedia';
import type { RTSPClientSession, SessionCloseReason, SessionStats } from './RTSPClientSession.js';
import type { RTSPAccessAction } from './RTSPRequestContext.js';
import type { PublishOptions } from './PublishPolicy.js';
import type { RTSPServer } from './RTSPServer.js'; // the {@link}s below
import type { RTSPAuthenticator } from './RTSPAuthenticator.js'; // the {@link}s below
import type { PublishedStream, PublishEndReason, PublishedStreamStats } from './PublishedStream.js';
import type { RTSPServerStats } from './RTSPServerStats.js';
import type { MetricsOptions } from './MetricsHTTPListener.js';

// The options, events and hook types of an RTSPServer (RTSPServer.ts is the server itself).

/** Application hooks for GET_PARAMETER / SET_PARAMETER with named parameters. */
export interface RTSPParameterHandler {
  /** Value of parameter `name` for GET_PARAMETER, or undefined when unknown (451). */
  get?(name: string, session: RTSPClientSession | undefined): string | undefined;
  /** Apply `name: value` for SET_PARAMETER; return false when not understood (451). */
  set?(name: string, value: string, session: RTSPClientSession | undefined): boolean;
}

/** Options of an {@link RTSPServer}. */
export interface RTSPServerOptions {
  /**
   * The scheduler every timer (session reclamation, nonce expiry, sending) runs on. Default: the
   * shared `defaultScheduler()`, the one subsessions made without a scheduler use too.
   */
  scheduler?: TaskScheduler;
  /**
   * UDP ports for the server's RTP/RTCP pairs, e.g. `{ min: 6970, max: 6999 }` (a firewall's
   * opening): handed to every track of the streams added (a track's own `portRange` wins).
   * Default: from 6970 up. A bad range throws `ERR_SERVER_PORT_RANGE`; when every pair is busy,
   * SETUP answers 453.
   */
  rtpPortRange?: PortRange;
  /** TCP port (default 8554, 322 with `tls`); 0 picks a free one, see {@link RTSPServer.port}. */
  port?: number;
  /**
   * Serve RTSPS: TLS server options as `node:tls` takes them (`key` and `cert`, or `pfx`; `ca`,
   * `minVersion`, …). The default port becomes 322, URLs (Content-Base, RTP-Info) say `rtsps://`,
   * and streams travel `$`-interleaved inside the TLS connection (see `allowUDPWithTLS`). A TLS
   * handshake must finish within `requestTimeoutSeconds`. Options without a usable key and
   * certificate throw `ERR_SERVER_TLS`.
   */
  tls?: TlsOptions | undefined;
  /**
   * With `tls`, also accept SETUP of UDP transports, whose RTP then travels unencrypted beside the
   * protected connection. Default false: a SETUP over TLS offering only UDP is answered 461.
   * Anything but a boolean throws `ERR_SERVER_OPTION`.
   */
  allowUDPWithTLS?: boolean;
  /**
   * Also serve RTSP over HTTP (the QuickTime/VLC tunnel: a GET and a POST sharing an
   * `x-sessioncookie`) on this TCP port (0: a free one, see {@link RTSPServer.httpPort}; HTTPS
   * with `tls`). Default: off. Tunnelled requests are handled as plain RTSP ones; streams go
   * interleaved on the GET half. See {@link HTTPTunnelListener}.
   */
  httpPort?: number | undefined;
  /**
   * Accept an HTTP tunnel's POST half from any IP address. Default false: the POST must come from
   * the address its GET came from, so knowing a tunnel's `x-sessioncookie` is not enough to send
   * requests into it. Set it only for clients behind load-balancing proxies whose two connections
   * leave from different addresses (anyone who learns a cookie may then attach the POST of a
   * tunnel that has none yet). Anything but a boolean throws `ERR_SERVER_OPTION`.
   */
  httpTunnelPostFromAnyAddress?: boolean;
  /** Address to listen on (default: all IPv6 and IPv4 addresses, `::` dual-stack). */
  host?: string;
  /**
   * Server-wide credentials (e.g. a `UserAuthenticationDatabase`) for every stream that has no
   * database of its own: a {@link ServerMediaSession}'s `authDatabase` replaces it for that stream.
   * Anything that is not an `AuthenticationDatabase` throws `ERR_AUTH_DATABASE`.
   */
  authDatabase?: AuthenticationDatabase | undefined;
  /** Also offer and accept Basic authentication (default false: Digest only; anything but a boolean throws `ERR_SERVER_OPTION`). */
  allowBasicAuth?: boolean;
  /**
   * Accept only Digest answers that use `qop=auth` (default false; anything but a boolean throws
   * `ERR_SERVER_OPTION`). Such answers count requests (`nc`), so a captured `Authorization` header
   * is refused when replayed, from any address. Players answering without qop are then refused
   * (401) and cannot play: GStreamer's rtspsrc (tested), and by their source live555's RTSP client
   * and the players built on it (openRTSP, VLC; not run here); ffmpeg/ffprobe and our `RTSPClient`
   * use qop and are unaffected. Without it (the default), an answer without qop is accepted, but
   * a nonce then authorizes each method and uri once (see {@link RTSPAuthenticator}): its replay
   * is `stale=true`, and GStreamer retries its repeated keep-alives with the new nonce.
   */
  requireDigestQop?: boolean;
  /**
   * Seconds a Digest nonce stays valid after it was issued or last used successfully (default
   * 300); then the client is answered `stale=true` and retries with a new one. Like every limit
   * below, anything but a positive finite number throws `ERR_SERVER_OPTION`.
   */
  nonceLifetimeSeconds?: number;
  /**
   * Seconds of silence (no request, no RTCP) after which a session is reclaimed (default 65, as
   * `Session: …;timeout=65` says; enforced with a grace of 10 %, at most 5 s). A positive number
   * (else `ERR_SERVER_OPTION`).
   */
  reclamationSeconds?: number;
  /** Most simultaneous TCP connections (default 1000); more are refused at accept. A positive number (else `ERR_SERVER_OPTION`). */
  maxConnections?: number;
  /** Most simultaneous sessions (default 1000); SETUP beyond answers 453. A positive number (else `ERR_SERVER_OPTION`). */
  maxSessions?: number;
  /** Largest request (header block or body) in bytes (default 65536); larger gets 400/413. A positive integer (else `ERR_SERVER_OPTION`). */
  maxRequestSize?: number;
  /**
   * Bytes an interleaved (TCP) connection may have queued in the server, beyond what the kernel's
   * socket buffers hold, before RTP/RTCP packets to it are dropped (default 256 KiB; 500 drops in a
   * row and the reader is disconnected). Unread responses beyond it stop the reading of the
   * connection's requests. It bounds what slow readers make the server hold: this much each, plus
   * the last batch handed over before the bound was checked (< 128 KiB) and the 160 KiB shared batch
   * buffer its first unsent write lies in (500 stalled TCP readers: at most ~270 MiB). A player that
   * keeps up never comes near it: packets leave in batches of ~64 KiB at most, and the kernel's buffers take a reader's stall of seconds
   * first (ffmpeg, GStreamer and our client over loopback at ~2 Mbit/s, key frames of up to 530 KB,
   * ffmpeg and our client stopped for up to 4 s at a time, on a loaded machine: at most 65 KiB ever
   * queued, nothing dropped). Raise it only for readers whose kernel buffers cannot take a burst (a
   * long, slow path) and that may fall behind by more than it for a moment. Anything but a positive
   * number throws `ERR_SERVER_OPTION`.
   */
  maxSendQueueBytes?: number;
  /** `Server:` header value (default `dorsvr/0.1`). */
  serverName?: string;
  /** Hooks for named GET_PARAMETER / SET_PARAMETER. */
  parameterHandler?: RTSPParameterHandler;
  /**
   * Seconds a connection that carries no session may stay silent before it is closed (default
   * 30). A connection that carries a session lives as long as its sessions do (each bounded by
   * `reclamationSeconds`): a UDP session's connection may be quiet between keep-alives.
   */
  idleTimeoutSeconds?: number;
  /**
   * Seconds within which a request, once its first byte arrived, must be received whole (default
   * 10); a client sending one slowly (slowloris) is disconnected.
   */
  requestTimeoutSeconds?: number;
  /**
   * Most simultaneous TCP connections from one IP address (an IPv6 client: its /64) (default
   * 100); more are closed at accept. Counted from accept, so under TLS a handshake not yet done
   * counts; the RTSP-over-HTTP port (`httpPort`) has a count of its own with the same limit.
   */
  maxConnectionsPerAddress?: number;
  /** Most simultaneous sessions created from one IP address (IPv6: one /64) (default 100); SETUP beyond answers 453. */
  maxSessionsPerAddress?: number;
  /**
   * An access check after authentication (live555's `specialClientAccessCheck`): return false to
   * refuse the request with 403. Default: everyone who authenticated (or everyone, without a
   * database) may read. Subclasses may override {@link RTSPServer.specialClientAccessCheck} instead.
   */
  accessCheck?: (check: RTSPAccessCheck) => boolean | Promise<boolean>;
  /**
   * Accept publishers (ANNOUNCE, SETUP with `mode=record`, RECORD) with these hooks and limits;
   * `true` for the defaults. Off by default: a server without it never accepts pushed media (405).
   * See {@link RTSPPublishHandler}.
   */
  publish?: PublishOptions | boolean;
  /**
   * Answer `Transport: RTP/AVP;multicast` for on-demand tracks: one stream per track sent to a
   * group of this range, shared by every multicast reader, stopped when the last leaves. Off by
   * default (a server without it never sends multicast; such a SETUP gets 461). Bad options throw
   * `ERR_MULTICAST_OPTIONS`.
   */
  multicast?: MulticastOptions;
  /**
   * Emit a `'stats'` event with an {@link RTSPServerStats} snapshot every this many milliseconds
   * (at least 100). Default: off (0 or undefined), and then no timer runs; {@link RTSPServer.stats}
   * answers at any time either way. Rates are measured over windows of at least one second, or of
   * this interval when it is shorter.
   */
  statsIntervalMs?: number | undefined;
  /**
   * Serve the statistics in the Prometheus text format at `http://host:port/metrics` (node:http,
   * only `GET`/`HEAD /metrics`; host defaults to loopback; a connection cap, header deadline and
   * size limit, see {@link MetricsOptions}). Default: off. The port is bound by
   * {@link RTSPServer.listen} along with the RTSP port; malformed options throw `ERR_SERVER_OPTION`.
   */
  metrics?: MetricsOptions | undefined;
}

/** What an access check is asked about. */
export interface RTSPAccessCheck {
  /** `read` (DESCRIBE, SETUP, PLAY, …) or `publish` (ANNOUNCE, RECORD, …). */
  readonly action: RTSPAccessAction;
  /** The stream name (URL path) the request is for, or undefined when it names none. */
  readonly streamName: string | undefined;
  /** The user the request authenticated as (undefined without a user database). */
  readonly username: string | undefined;
  /** The request's method. */
  readonly method: string;
  /** Who is asking. */
  readonly connection: RTSPConnectionInfo;
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
  /** A publisher sent RECORD: readers can play `stream.path`. */
  publish: [stream: PublishedStream];
  /** A published (or only announced) stream ended; `stats` count what the publisher sent. */
  unpublish: [stream: PublishedStream, reason: PublishEndReason, stats: PublishedStreamStats];
  /** Every `statsIntervalMs` (when set): the server's statistics, as {@link RTSPServer.stats} gives them. */
  stats: [stats: RTSPServerStats];
  /**
   * Something failed (a stream's source, a socket, a request answered 500); the server carries
   * on. With no listener, each becomes a process warning (`DorsvrWarning`), never silence.
   */
  error: [err: unknown];
}

