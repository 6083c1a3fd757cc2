import { connect, isIP, type Socket } from 'node:net';
import { connect as connectTLS, type ConnectionOptions } from 'node:tls';
import createDebug from 'debug';
import { EventEmitter } from 'eventemitter3';
import type { DorsvrError, TaskScheduler, TaskToken } from '@dorsvr/scheduler';
import {
  parseCSeq,
  RTSPHeaders,
  RTSPParser,
  serializeRTSPRequest,
  serializeRTSPResponse,
  writeInterleavedHeader,
  type RTSPRequest,
  type RTSPResponse,
} from '@dorsvr/livemedia';
import { RTSPClientError } from './RTSPClientError.js';
import { HTTPTunnelSocket } from './HTTPTunnelSocket.js';
import type { RTSPClientResponse } from './RTSPClientResponse.js';

const debug = createDebug('dorsvr:rtspclient:connection');

/** Events of an {@link RTSPClientConnection}. */
export interface RTSPClientConnectionEvents {
  /** A `$` frame arrived on `channel`. */
  interleaved: [channel: number, payload: Uint8Array];
  /** The server sent us a request (already answered). */
  request: [method: string, uri: string];
  /** The socket closed; pending requests were rejected. */
  close: [];
}

/** What a connection reads and writes: a TCP or TLS socket, or an {@link HTTPTunnelSocket}. */
interface ByteStream {
  write(bytes: Uint8Array | string): boolean;
  readonly writableLength: number;
  readonly localAddress?: string | undefined;
  readonly remoteAddress?: string | undefined;
  setNoDelay(noDelay?: boolean): unknown;
  destroy(): unknown;
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
}

/** How {@link RTSPClientConnection.open} reaches the server. */
export interface RTSPClientConnectOptions {
  /** TLS options: connect with TLS (`rtsps://`). */
  readonly tls?: ConnectionOptions | undefined;
  /** Tunnel RTSP over HTTP (HTTPS with `tls`) to the port, naming `path` in the GET and POST. */
  readonly httpTunnel?: { readonly path: string; readonly userAgent: string } | undefined;
}

interface Pending {
  method: string;
  resolve: (r: RTSPClientResponse) => void;
  reject: (e: Error) => void;
  timer: TaskToken;
}

/**
 * Bytes we may have queued to the server (it is not reading them) beyond which we stop writing what
 * can be lost: interleaved RTCP/RTP, and our answers to the server's own requests.
 */
const MAX_QUEUED_BYTES = 1 << 20;

/** Methods a client answers 200 when a server (a camera) sends them to us; others get 501. */
const ANSWERED = new Set(['OPTIONS', 'GET_PARAMETER']);

/**
 * One TCP connection to an RTSP server: writes requests with increasing CSeqs and matches
 * responses to them by CSeq, answers requests the server sends us, and hands `$`-interleaved
 * frames to whoever listens. Internal to {@link RTSPClient}.
 */
export class RTSPClientConnection extends EventEmitter<RTSPClientConnectionEvents> {
  readonly #scheduler: TaskScheduler;
  readonly #socket: ByteStream;
  readonly #parser = new RTSPParser({ maxBodySize: 4 << 20 });
  readonly #pending = new Map<number, Pending>();
  #closed = false;
  #cseq = 0;

  private constructor(scheduler: TaskScheduler, socket: ByteStream) {
    super();
    this.#scheduler = scheduler;
    this.#socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (err) => debug('socket error: %s', err.message));
    socket.on('close', () => this.#onClose());
  }

  /**
   * Connects (with `tls`, over TLS: the handshake is part of connecting, the server's certificate
   * checked as `node:tls` checks it unless the options say otherwise); rejects with
   * `ERR_RTSP_CONNECT` on failure or after `timeoutUs`, `ERR_RTSP_TLS` when the TLS handshake
   * fails (a certificate refused, say). With `httpTunnel`, through RTSP over HTTP to `port`
   * ({@link HTTPTunnelSocket}).
   */
  static open(scheduler: TaskScheduler, host: string, port: number, timeoutUs: number, how: RTSPClientConnectOptions = {}): Promise<RTSPClientConnection> {
    const { tls, httpTunnel } = how;
    if (httpTunnel !== undefined) {
      return HTTPTunnelSocket.open(scheduler, { host, port, path: httpTunnel.path, tls, userAgent: httpTunnel.userAgent }, timeoutUs).then(
        (tunnel) => new RTSPClientConnection(scheduler, tunnel),
      );
    }
    return new Promise((resolve, reject) => {
      let tcpConnected = false;
      const socket: Socket =
        tls === undefined
          ? connect({ host, port })
          : connectTLS({ ...tls, host, port, servername: tls.servername ?? (isIP(host) === 0 ? host : undefined) });
      const fail = (err: Error): void => {
        scheduler.unscheduleDelayedTask(timer);
        socket.destroy();
        if (tls !== undefined && tcpConnected) {
          reject(new RTSPClientError('ERR_RTSP_TLS', 'CONNECT', `TLS handshake with ${host}:${port} failed: ${err.message}`, { cause: err }));
        } else reject(new RTSPClientError('ERR_RTSP_CONNECT', 'CONNECT', `cannot connect to ${host}:${port}: ${err.message}`, { cause: err }));
      };
      const timer = scheduler.scheduleDelayedTask(timeoutUs, () => fail(new Error('timed out')));
      socket.once('error', fail);
      socket.once('connect', () => (tcpConnected = true));
      socket.once(tls === undefined ? 'connect' : 'secureConnect', () => {
        scheduler.unscheduleDelayedTask(timer);
        socket.off('error', fail);
        debug('connected to %s:%d%s', host, port, tls === undefined ? '' : ' (TLS)');
        resolve(new RTSPClientConnection(scheduler, socket));
      });
    });
  }

  /** True once the socket closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Local address of the socket (what the server sees us as). */
  get localAddress(): string | undefined {
    return this.#socket.localAddress;
  }

  /** Remote address of the socket. */
  get remoteAddress(): string | undefined {
    return this.#socket.remoteAddress;
  }

  /**
   * Sends a request (CSeq added here) and resolves with the response of the same CSeq, whatever
   * its status. Rejects with `ERR_RTSP_TIMEOUT` or `ERR_RTSP_CONNECTION_CLOSED`.
   */
  request(method: string, uri: string, headers: RTSPHeaders, body: Uint8Array | string | undefined, timeoutUs: number): Promise<RTSPClientResponse> {
    if (this.#closed) return Promise.reject(new RTSPClientError('ERR_RTSP_CONNECTION_CLOSED', method, 'the RTSP connection is closed'));
    const cseq = ++this.#cseq;
    const h = new RTSPHeaders([['CSeq', cseq]]);
    for (const [n, v] of headers) h.append(n, v);
    const bytes = serializeRTSPRequest({ method, uri, headers: h, body });
    debug('→ %s %s (CSeq %d)', method, uri, cseq);
    return new Promise((resolve, reject) => {
      const timer = this.#scheduler.scheduleDelayedTask(timeoutUs, () => {
        this.#pending.delete(cseq);
        reject(new RTSPClientError('ERR_RTSP_TIMEOUT', method, `no response to ${method} (CSeq ${cseq}) within ${timeoutUs / 1000} ms`));
      });
      this.#pending.set(cseq, { method, resolve, reject, timer });
      this.#socket.write(bytes);
    });
  }

  /**
   * Writes one `$` frame, copied into one buffer (a sender may reuse its chunks at once, as an RTP
   * sink does with its headers); false when the connection is closed, its send queue is long, or
   * the packet is too large for a frame.
   */
  sendInterleaved(channel: number, chunks: readonly Uint8Array[]): boolean {
    if (this.#closed) return false;
    // A stalled server must not make us buffer without bound; RTCP and RTP can be lost.
    if (this.#socket.writableLength > MAX_QUEUED_BYTES) return false;
    let len = 0;
    for (const c of chunks) len += c.length;
    if (len > 0xffff) return false;
    const frame = Buffer.allocUnsafe(4 + len);
    frame.set(writeInterleavedHeader(channel, len), 0);
    let at = 4;
    for (const c of chunks) {
      frame.set(c, at);
      at += c.length;
    }
    this.#socket.write(frame);
    return true;
  }

  #onData(chunk: Buffer): void {
    for (const item of this.#parser.push(chunk)) {
      switch (item.type) {
        case 'interleaved':
          this.emit('interleaved', item.channel, item.payload);
          break;
        case 'response':
          this.#onResponse(item);
          break;
        case 'request':
          this.#onRequest(item);
          break;
        case 'error':
          debug('unparsable message from the server: %s', item.error.message);
          if (item.isRequest === true) this.#answer(item.error.status ?? 400, item.cseq);
          else if (item.isRequest === false && item.cseq !== undefined) this.#failPending(item.cseq, item.error);
          break;
      }
    }
  }

  #onResponse(res: RTSPResponse): void {
    let cseq = cseqOf(res);
    // A server that drops CSeq answers in order: give it to the oldest pending request.
    if (cseq === undefined || !this.#pending.has(cseq)) {
      if (cseq !== undefined) {
        debug('response with unknown CSeq %d ignored', cseq);
        return;
      }
      cseq = this.#pending.keys().next().value;
      if (cseq === undefined) return;
    }
    const p = this.#pending.get(cseq)!;
    this.#pending.delete(cseq);
    this.#scheduler.unscheduleDelayedTask(p.timer);
    debug('← %d %s (CSeq %d, %s)', res.status, res.reason, cseq, p.method);
    p.resolve({ status: res.status, reason: res.reason, headers: res.headers, body: res.body, cseq });
  }

  /**
   * The response to request `cseq` could not be taken (its body over the 4 MiB limit, say): the
   * request fails now with why, rather than waiting for its timeout.
   */
  #failPending(cseq: number, err: DorsvrError): void {
    const p = this.#pending.get(cseq);
    if (p === undefined) return;
    this.#pending.delete(cseq);
    this.#scheduler.unscheduleDelayedTask(p.timer);
    p.reject(new RTSPClientError(err.code, p.method, `the response to ${p.method} (CSeq ${cseq}) was refused: ${err.message}`, { cause: err }));
  }

  #onRequest(req: RTSPRequest): void {
    const cseq = cseqOf(req);
    debug('server sent %s %s (CSeq %s)', req.method, req.uri, cseq);
    this.#answer(ANSWERED.has(req.method) ? 200 : 501, cseq);
    this.emit('request', req.method, req.uri);
  }

  #answer(status: number, cseq: number | undefined): void {
    if (this.#closed) return;
    // A server that floods us with requests and never reads the answers must not make us queue
    // them without bound (each answer is longer than the request that asked for it).
    if (this.#socket.writableLength > MAX_QUEUED_BYTES) {
      debug('server request (CSeq %s) not answered: %d bytes it has not read are queued', cseq, this.#socket.writableLength);
      return;
    }
    const headers = new RTSPHeaders();
    if (cseq !== undefined) headers.append('CSeq', cseq);
    if (status === 200) headers.append('Public', 'OPTIONS, GET_PARAMETER');
    this.#socket.write(serializeRTSPResponse({ status, headers }));
  }

  #onClose(): void {
    if (this.#closed) return;
    this.#closed = true;
    debug('connection closed');
    for (const [cseq, p] of this.#pending) {
      this.#scheduler.unscheduleDelayedTask(p.timer);
      p.reject(new RTSPClientError('ERR_RTSP_CONNECTION_CLOSED', p.method, `the connection closed before the response to ${p.method} (CSeq ${cseq})`));
    }
    this.#pending.clear();
    this.emit('close');
  }

  /** Closes the socket; pending requests reject with `ERR_RTSP_CONNECTION_CLOSED`. Idempotent. */
  close(): void {
    this.#socket.destroy();
    this.#onClose();
  }
}

/** The message's CSeq, or undefined when it has none or an unreadable one. */
function cseqOf(m: RTSPRequest | RTSPResponse): number | undefined {
  const raw = m.headers.get('CSeq');
  if (raw === undefined) return undefined;
  try {
    return parseCSeq(raw);
  } catch {
    return undefined;
  }
}
