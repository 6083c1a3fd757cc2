import { randomBytes } from 'node:crypto';
import { connect, isIP, type Socket } from 'node:net';
import { connect as connectTLS, type ConnectionOptions } from 'node:tls';
import createDebug from 'debug';
import { EventEmitter } from 'eventemitter3';
import type { TaskScheduler } from '@dorsvr/scheduler';
import { RTSPClientError } from './RTSPClientError.js';

const debug = createDebug('dorsvr:rtspclient:http-tunnel');

/** Events of an {@link HTTPTunnelSocket}: those of a socket that an RTSP connection listens to. */
export interface HTTPTunnelSocketEvents {
  /** Bytes from the server (the GET half, after its HTTP answer). */
  data: [chunk: Buffer];
  error: [err: Error];
  /** Either half closed (the other is closed with it). */
  close: [];
}

/** Where and how to open an {@link HTTPTunnelSocket}. */
export interface HTTPTunnelSocketOptions {
  readonly host: string;
  /** The server's HTTP (tunnel) port. */
  readonly port: number;
  /** Path (and query) of the RTSP URL: what the GET and POST name. */
  readonly path: string;
  /** TLS options: the tunnel is HTTPS. */
  readonly tls: ConnectionOptions | undefined;
  readonly userAgent: string;
}

/** Bytes of the server's HTTP answer head accepted. */
const MAX_HEAD_BYTES = 8192;

/**
 * The client side of RTSP over HTTP (the QuickTime/VLC scheme): two connections sharing a random
 * `x-sessioncookie`, a GET whose answer body is the server→client byte stream (RTSP responses and
 * `$`-interleaved packets), and a POST whose body carries what the client writes, base64-encoded
 * (each write on its own). It looks to an RTSP connection like one socket: `write`, `data`,
 * `close`.
 */
export class HTTPTunnelSocket extends EventEmitter<HTTPTunnelSocketEvents> {
  readonly #get: Socket;
  readonly #post: Socket;
  #closed = false;

  private constructor(get: Socket, post: Socket, early: Buffer) {
    super();
    this.#get = get;
    this.#post = post;
    for (const s of [get, post]) {
      s.on('error', (err) => this.emit('error', err));
      s.on('close', () => this.destroy());
    }
    get.on('data', (chunk: Buffer) => this.emit('data', chunk));
    get.resume();
    // The server's first bytes may have come with its HTTP answer: handed on once listened for.
    if (early.length > 0) setImmediate(() => !this.#closed && this.emit('data', early));
  }

  /**
   * Opens both halves: the GET first (its `200` answer read), then the POST. Rejects with
   * `ERR_RTSP_CONNECT` when a connection fails or the server does not answer the GET with 200,
   * `ERR_RTSP_TLS` when a TLS handshake fails, after `timeoutUs` at the latest.
   */
  static open(scheduler: TaskScheduler, options: HTTPTunnelSocketOptions, timeoutUs: number): Promise<HTTPTunnelSocket> {
    const { host, port, path, tls, userAgent } = options;
    const cookie = randomBytes(16).toString('hex');
    const hostHeader = `${host.includes(':') ? `[${host}]` : host}:${port}`;
    const opened: Socket[] = [];
    let timer = 0;
    const where = `${tls ? 'https' : 'http'}://${hostHeader}${path}`;
    const connectHalf = (): Promise<Socket> =>
      new Promise((resolve, reject) => {
        let tcpConnected = false;
        const s: Socket =
          tls === undefined ? connect({ host, port }) : connectTLS({ ...tls, host, port, servername: tls.servername ?? (isIP(host) === 0 ? host : undefined) });
        opened.push(s);
        s.once('connect', () => (tcpConnected = true));
        s.once('error', (err) => {
          if (tls !== undefined && tcpConnected) reject(new RTSPClientError('ERR_RTSP_TLS', 'CONNECT', `TLS handshake with ${hostHeader} failed: ${err.message}`, { cause: err }));
          else reject(new RTSPClientError('ERR_RTSP_CONNECT', 'CONNECT', `cannot connect to ${hostHeader} (HTTP tunnel): ${err.message}`, { cause: err }));
        });
        s.once(tls === undefined ? 'connect' : 'secureConnect', () => {
          s.setNoDelay(true);
          resolve(s);
        });
      });
    const work = (async () => {
      const get = await connectHalf();
      get.write(
        `GET ${path} HTTP/1.0\r\nHost: ${hostHeader}\r\nUser-Agent: ${userAgent}\r\nx-sessioncookie: ${cookie}\r\n` +
          'Accept: application/x-rtsp-tunnelled\r\nPragma: no-cache\r\nCache-Control: no-cache\r\n\r\n',
      );
      const early = await readAnswer(get, where);
      const post = await connectHalf();
      post.write(
        `POST ${path} HTTP/1.0\r\nHost: ${hostHeader}\r\nUser-Agent: ${userAgent}\r\nx-sessioncookie: ${cookie}\r\n` +
          'Content-Type: application/x-rtsp-tunnelled\r\nPragma: no-cache\r\nCache-Control: no-cache\r\nContent-Length: 32767\r\n' +
          'Expires: Sun, 9 Jan 1972 00:00:00 GMT\r\n\r\n',
      );
      debug('tunnel to %s open (cookie %s)', where, cookie);
      return new HTTPTunnelSocket(get, post, early);
    })();
    return new Promise((resolve, reject) => {
      const fail = (err: unknown): void => {
        scheduler.unscheduleDelayedTask(timer);
        for (const s of opened) s.destroy();
        reject(err);
      };
      timer = scheduler.scheduleDelayedTask(timeoutUs, () =>
        fail(new RTSPClientError('ERR_RTSP_CONNECT', 'CONNECT', `cannot open the HTTP tunnel to ${where}: timed out`)),
      );
      work.then((t) => {
        scheduler.unscheduleDelayedTask(timer);
        resolve(t);
      }, fail);
    });
  }

  /** Bytes waiting to be sent on the POST half. */
  get writableLength(): number {
    return this.#post.writableLength;
  }

  /** Local address of the GET half. */
  get localAddress(): string | undefined {
    return this.#get.localAddress;
  }

  /** Remote address of the GET half. */
  get remoteAddress(): string | undefined {
    return this.#get.remoteAddress;
  }

  /** Sends `bytes` base64-encoded on the POST half. */
  write(bytes: Uint8Array | string): boolean {
    if (this.#closed) return false;
    const b = typeof bytes === 'string' ? Buffer.from(bytes) : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    return this.#post.write(b.toString('base64'));
  }

  /** Both halves are set no-delay already. */
  setNoDelay(): this {
    return this;
  }

  /** Closes both halves. Idempotent. */
  destroy(): this {
    if (this.#closed) return this;
    this.#closed = true;
    this.#get.destroy();
    this.#post.destroy();
    this.emit('close');
    return this;
  }
}

/** Reads the GET half's HTTP answer head; resolves with the bytes after it once it says 200. */
function readAnswer(socket: Socket, where: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let buf: Buffer = Buffer.alloc(0);
    const done = (): void => {
      // Held until the tunnel listens (the POST half is opened meanwhile).
      socket.pause();
      socket.off('data', onData);
      socket.off('close', onClose);
    };
    const onClose = (): void => {
      done();
      reject(new RTSPClientError('ERR_RTSP_CONNECT', 'CONNECT', `the server closed the HTTP tunnel to ${where} before answering`));
    };
    const onData = (chunk: Buffer): void => {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) {
        if (buf.length > MAX_HEAD_BYTES) {
          done();
          reject(new RTSPClientError('ERR_RTSP_CONNECT', 'CONNECT', `the HTTP tunnel's answer from ${where} is not HTTP`));
        }
        return;
      }
      done();
      const statusLine = buf.subarray(0, buf.indexOf('\r\n')).toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
      if (!m || m[1] !== '200') {
        reject(new RTSPClientError('ERR_RTSP_CONNECT', 'CONNECT', `the server refused the HTTP tunnel to ${where}: ${JSON.stringify(statusLine.slice(0, 100))}`));
        return;
      }
      resolve(buf.subarray(end + 4));
    };
    socket.on('data', onData);
    socket.on('close', onClose);
  });
}
