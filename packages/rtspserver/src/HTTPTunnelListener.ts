import type { Server, Socket, AddressInfo } from 'node:net';
import type { TlsOptions } from 'node:tls';
import createDebug from 'debug';
import { DorsvrError, type TaskScheduler, type TaskToken } from '@dorsvr/scheduler';
import { formatRTSPDate } from '@dorsvr/livemedia';
import { createRTSPListener } from './createRTSPListener.js';
import { Base64StreamDecoder } from './Base64StreamDecoder.js';
import { normalizeAddress } from './RTSPClientConnection.js';
import { findHeadEnd, parseHTTPRequestHead, type HTTPRequestHead } from './parseHTTPRequestHead.js';

const debug = createDebug('dorsvr:rtspserver:http-tunnel');

/** Options of an {@link HTTPTunnelListener}. */
export interface HTTPTunnelListenerOptions {
  readonly scheduler: TaskScheduler;
  /** TLS options: the tunnel port speaks HTTPS (as the RTSP port speaks RTSPS). */
  readonly tls: TlsOptions | undefined;
  /** Seconds within which a connection's HTTP head (and a TLS handshake) must arrive whole. */
  readonly requestTimeoutSeconds: number;
  /** Most simultaneous connections on the HTTP port (GET and POST halves count alike). */
  readonly maxConnections: number;
  /**
   * Most simultaneous connections on the HTTP port from one address (an IPv6 /64), counted from
   * accept (under TLS, before the handshake); more are closed at accept. Undefined: no limit of its own.
   */
  readonly maxConnectionsPerAddress?: number | undefined;
  /** `Server:` header of the answers. */
  readonly serverName: string;
  /**
   * Bytes the GET half may have queued (responses the client does not read) before the POST half
   * is no longer read, until the GET half drains (the server's `maxSendQueueBytes`).
   */
  readonly maxSendQueueBytes: number;
  /**
   * Accept a tunnel's POST half from any address (the server's `httpTunnelPostFromAnyAddress`).
   * False: the POST must come from the GET half's IP address.
   */
  readonly postFromAnyAddress: boolean;
  /**
   * A GET opened a tunnel: make its socket an RTSP connection whose responses and interleaved
   * packets go out on it. Returns the function the decoded RTSP bytes of the POST half are fed
   * to, or undefined when the connection is refused (the socket is then destroyed).
   */
  readonly openTunnel: (getSocket: Socket) => ((bytes: Buffer) => void) | undefined;
}

/** Bytes of HTTP request head accepted on the tunnel port. */
const MAX_HEAD_BYTES = 8192;
/** A cookie is a short printable token (QuickTime, VLC, ffmpeg and GStreamer send 16–32 characters). */
const COOKIE = /^[\x21-\x7e]{1,128}$/;
/** Seconds a closed tunnel's cookie is remembered (and refused) after the tunnel closed. */
export const HTTP_TUNNEL_RETIRED_COOKIE_SECONDS = 3600;
/** Most closed tunnels' cookies remembered at once (the oldest is forgotten first): 16384 × ≤ 128 bytes. */
export const HTTP_TUNNEL_MAX_RETIRED_COOKIES = 16384;
/** The answer to every POST that attaches to no tunnel: one text, so it tells a guesser nothing. */
const NO_TUNNEL = 'no tunnel is open with this x-sessioncookie for this client (GET it first, from the same address)';

interface Tunnel {
  readonly cookie: string;
  readonly get: Socket;
  readonly feed: (bytes: Buffer) => void;
  /** The GET half's IP address (IPv4-mapped IPv6 as IPv4). */
  readonly address: string;
  post: Socket | undefined;
  /** True once a POST was attached: a tunnel takes one POST in its life. */
  posted: boolean;
}

/**
 * RTSP over HTTP, the QuickTime/VLC scheme, on its own port: a GET carrying `x-sessioncookie`
 * opens the server→client half (answered `200 OK`, `Content-Type: application/x-rtsp-tunnelled`,
 * then kept open: RTSP responses and `$`-interleaved RTP/RTCP go out on it), and a POST with the
 * same cookie carries the client's RTSP requests in base64 (decoded across any split, see
 * {@link Base64StreamDecoder}) into the same request handling as a plain RTSP connection.
 *
 * The cookie is all that ties the halves together, so who may attach a POST is checked (fail
 * closed): the POST must come from the GET half's IP address (unless `postFromAnyAddress`, for
 * clients behind load-balancing proxies), a tunnel takes one POST in its life (a second one, even
 * after the first closed, is refused and the tunnel left alone), and a cookie stays refused after
 * its tunnel closed (remembered {@link HTTP_TUNNEL_RETIRED_COOKIE_SECONDS} s, at most
 * {@link HTTP_TUNNEL_MAX_RETIRED_COOKIES} of them). Every POST that attaches to no tunnel gets the
 * same `400` (nothing tells a guesser which rule it broke; the debug log does) and is not read
 * further: closed within 2 s whatever it sends. When the POST half closes, the tunnel ends (its
 * GET half and RTSP connection close: no other POST could carry its requests).
 *
 * Bounded like RTSP connections: the head of each half must arrive within
 * `requestTimeoutSeconds` and 8 KiB; the GET half is an RTSP connection (idle and request
 * timeouts, per-address limits); a POST lives only while its GET does. A missing or malformed
 * cookie, a malformed head, another method, or base64 garbage is answered with an HTTP 4xx and
 * closed (garbage also closes the tunnel's GET).
 */
export class HTTPTunnelListener {
  readonly #options: HTTPTunnelListenerOptions;
  readonly #server: Server;
  readonly #tunnels = new Map<string, Tunnel>();
  /** Cookies of closed tunnels → when they were retired (µs, scheduler clock), oldest first. */
  readonly #retired = new Map<string, number>();
  /** Sockets whose head is still being read. */
  readonly #reading = new Set<Socket>();
  #port = 0;
  #closed = false;

  constructor(options: HTTPTunnelListenerOptions) {
    this.#options = options;
    this.#server = createRTSPListener({
      tls: options.tls,
      handshakeTimeoutMs: options.requestTimeoutSeconds * 1000,
      onSocket: (socket) => this.#onSocket(socket),
      maxConnectionsPerAddress: options.maxConnectionsPerAddress,
    });
    this.#server.maxConnections = options.maxConnections;
  }

  /** The port listened on, 0 before {@link listen}. */
  get port(): number {
    return this.#port;
  }

  /** Number of open tunnels (GET halves). */
  get tunnelCount(): number {
    return this.#tunnels.size;
  }

  /**
   * Listen on `port` (0: a free one) of `host` (undefined: every address, dual-stack). Rejects with
   * `ERR_SERVER_LISTEN`, or `ERR_SERVER_CLOSED` when {@link close} came first (or while it was starting).
   */
  async listen(port: number, host: string | undefined): Promise<number> {
    const server = this.#server;
    if (this.#closed) throw new DorsvrError('ERR_SERVER_CLOSED', 'the HTTP tunnel listener is closed');
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => {
        server.off('listening', onListening);
        reject(new DorsvrError('ERR_SERVER_LISTEN', `cannot listen on HTTP port ${port}: ${err.message}`, { cause: err }));
      };
      const onListening = (): void => {
        server.off('error', onError);
        resolve();
      };
      server.once('error', onError);
      server.once('listening', onListening);
      if (host === undefined) server.listen({ port, ipv6Only: false });
      else server.listen({ port, host });
    });
    if (this.#closed) {
      // close() ran while the port was being opened (a host name looked up): it found nothing to close.
      await new Promise<void>((resolve) => server.close(() => resolve()));
      throw new DorsvrError('ERR_SERVER_CLOSED', 'the HTTP tunnel listener was closed while it started listening');
    }
    server.on('error', (err) => debug('HTTP listener error: %s', err.message));
    this.#port = (server.address() as AddressInfo).port;
    debug('RTSP over HTTP on port %d', this.#port);
    return this.#port;
  }

  /** Stop listening and close every tunnel and half-read connection. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const s of this.#reading) s.destroy();
    this.#reading.clear();
    for (const t of [...this.#tunnels.values()]) {
      t.post?.destroy();
      t.get.destroy();
    }
    this.#tunnels.clear();
    if (this.#server.listening) await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #onSocket(socket: Socket): void {
    if (this.#closed) {
      socket.destroy();
      return;
    }
    this.#reading.add(socket);
    const sched = this.#options.scheduler;
    let buffered: Buffer = Buffer.alloc(0);
    let timer: TaskToken = sched.scheduleDelayedTask(this.#options.requestTimeoutSeconds * 1e6, () => {
      timer = 0;
      debug('HTTP head from %s not complete within %d s, closing', socket.remoteAddress, this.#options.requestTimeoutSeconds);
      this.#answer(socket, 408, 'Request Timeout', 'the request head did not arrive in time');
    });
    const stop = (): void => {
      sched.unscheduleDelayedTask(timer);
      timer = 0;
      this.#reading.delete(socket);
      socket.off('data', onData);
    };
    const onData = (chunk: Buffer): void => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      const end = findHeadEnd(buffered.subarray(0, MAX_HEAD_BYTES + 4));
      if (end < 0) {
        if (buffered.length > MAX_HEAD_BYTES) {
          stop();
          this.#answer(socket, 431, 'Request Header Fields Too Large', `the request head is over ${MAX_HEAD_BYTES} bytes`);
        }
        return;
      }
      stop();
      let head: HTTPRequestHead;
      try {
        head = parseHTTPRequestHead(buffered.subarray(0, end).toString('latin1'));
      } catch (err) {
        this.#answer(socket, 400, 'Bad Request', (err as Error).message);
        return;
      }
      this.#onHead(socket, head, buffered.subarray(end));
    };
    socket.on('data', onData);
    socket.on('error', (err) => debug('HTTP connection error: %s', err.message));
    socket.on('close', stop);
  }

  #onHead(socket: Socket, head: HTTPRequestHead, rest: Buffer): void {
    const cookie = head.headers.get('x-sessioncookie');
    if (head.method !== 'GET' && head.method !== 'POST') {
      this.#answer(socket, 405, 'Method Not Allowed', 'this port tunnels RTSP over HTTP: GET and POST with x-sessioncookie only', 'Allow: GET, POST\r\n');
      return;
    }
    if (cookie === undefined || !COOKIE.test(cookie)) {
      this.#answer(socket, 400, 'Bad Request', cookie === undefined ? 'x-sessioncookie is missing' : 'x-sessioncookie is malformed');
      return;
    }
    if (head.method === 'GET') this.#onGet(socket, cookie);
    else this.#onPost(socket, cookie, rest);
  }

  /** True when `cookie` belonged to a tunnel that closed (within the remembered window). */
  #isRetired(cookie: string): boolean {
    this.#forgetOldCookies();
    return this.#retired.has(cookie);
  }

  #retire(cookie: string): void {
    this.#retired.delete(cookie);
    this.#retired.set(cookie, this.#options.scheduler.now());
    this.#forgetOldCookies();
  }

  #forgetOldCookies(): void {
    const oldest = this.#options.scheduler.now() - HTTP_TUNNEL_RETIRED_COOKIE_SECONDS * 1e6;
    for (const [cookie, at] of this.#retired) {
      if (at > oldest && this.#retired.size <= HTTP_TUNNEL_MAX_RETIRED_COOKIES) break;
      this.#retired.delete(cookie);
    }
  }

  #onGet(socket: Socket, cookie: string): void {
    if (this.#tunnels.has(cookie)) {
      this.#answer(socket, 400, 'Bad Request', 'a tunnel with this x-sessioncookie is open already');
      return;
    }
    if (this.#isRetired(cookie)) {
      this.#answer(socket, 400, 'Bad Request', 'this x-sessioncookie belonged to a tunnel that has closed: use a new one');
      return;
    }
    // The answer first: the RTSP connection may write on this socket from now on.
    socket.write(
      `HTTP/1.0 200 OK\r\nDate: ${formatRTSPDate(this.#options.scheduler.wallClockUs() / 1000)}\r\nServer: ${this.#options.serverName}\r\n` +
        'Cache-Control: no-cache\r\nPragma: no-cache\r\nContent-Type: application/x-rtsp-tunnelled\r\n\r\n',
    );
    const feed = this.#options.openTunnel(socket);
    if (feed === undefined) {
      socket.destroy();
      return;
    }
    const tunnel: Tunnel = { cookie, get: socket, feed, address: normalizeAddress(socket.remoteAddress ?? ''), post: undefined, posted: false };
    this.#tunnels.set(cookie, tunnel);
    debug('tunnel %s opened by %s', cookie, socket.remoteAddress);
    // Nothing more is expected from the client on this half; what it sends is read and dropped.
    socket.on('data', () => undefined);
    socket.once('close', () => {
      if (this.#tunnels.get(cookie) === tunnel) this.#tunnels.delete(cookie);
      this.#retire(cookie);
      tunnel.post?.destroy();
      debug('tunnel %s closed', cookie);
    });
  }

  #onPost(socket: Socket, cookie: string, rest: Buffer): void {
    const tunnel = this.#tunnels.get(cookie);
    const address = normalizeAddress(socket.remoteAddress ?? '');
    const refusal =
      tunnel === undefined || tunnel.get.destroyed
        ? this.#retired.has(cookie)
          ? 'its tunnel has closed'
          : 'no open tunnel has it'
        : tunnel.posted
          ? 'its tunnel has had its POST already'
          : !this.#options.postFromAnyAddress && address !== tunnel.address
            ? `the tunnel's GET came from ${tunnel.address}`
            : undefined;
    if (tunnel === undefined || refusal !== undefined) {
      debug('POST from %s with cookie %s refused: %s', address, cookie, refusal);
      this.#answer(socket, 400, 'Bad Request', NO_TUNNEL);
      return;
    }
    tunnel.post = socket;
    tunnel.posted = true;
    const decoder = new Base64StreamDecoder();
    const onData = (chunk: Buffer): void => {
      let bytes: Uint8Array;
      try {
        bytes = decoder.push(chunk);
      } catch (err) {
        debug('tunnel %s: %s, closing it', cookie, (err as Error).message);
        socket.off('data', onData);
        this.#answer(socket, 400, 'Bad Request', (err as Error).message);
        tunnel.get.destroy();
        return;
      }
      if (bytes.length > 0) tunnel.feed(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
      // A client that does not read its responses (on the GET half) is not read either.
      if (tunnel.get.writableLength > this.#options.maxSendQueueBytes && !socket.isPaused()) {
        debug('tunnel %s: %d bytes of responses unread, pausing its POST', cookie, tunnel.get.writableLength);
        socket.pause();
        tunnel.get.once('drain', () => !socket.destroyed && socket.resume());
      }
    };
    socket.on('data', onData);
    socket.once('close', () => {
      if (tunnel.post === socket) tunnel.post = undefined;
      // No other POST may carry this tunnel's requests: it is over.
      debug('tunnel %s: its POST closed, closing the tunnel', cookie);
      tunnel.get.destroy();
    });
    if (rest.length > 0) onData(rest);
  }

  /** An HTTP answer with a one-line text body, then the connection closes. */
  #answer(socket: Socket, status: number, reason: string, text: string, extraHeaders = ''): void {
    if (socket.destroyed) return;
    // Nothing more is read from a refused connection: whatever it sends waits in the kernel's
    // buffers (bounded) until the socket goes.
    socket.pause();
    const body = `${text}\r\n`;
    socket.end(
      `HTTP/1.0 ${status} ${reason}\r\nServer: ${this.#options.serverName}\r\n${extraHeaders}Content-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
    // A peer that never reads the answer does not keep the socket: it goes a moment later regardless.
    const sched = this.#options.scheduler;
    const t = sched.scheduleDelayedTask(2_000_000, () => socket.destroy());
    socket.once('close', () => sched.unscheduleDelayedTask(t));
  }
}
