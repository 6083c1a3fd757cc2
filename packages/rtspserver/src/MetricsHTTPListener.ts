import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import createDebug from 'debug';
import { DorsvrError } from '@dorsvr/scheduler';
import { PROMETHEUS_CONTENT_TYPE } from './formatPrometheusMetrics.js';

const debug = createDebug('dorsvr:rtspserver:metrics');

/**
 * Where and how an {@link RTSPServer} serves its Prometheus metrics (the `metrics` option). Off
 * unless given; nothing but `GET`/`HEAD /metrics` is answered.
 */
export interface MetricsOptions {
  /** TCP port of the HTTP endpoint (0: a free one, see {@link RTSPServer.metricsPort}). */
  port: number;
  /**
   * Address to listen on. Default `127.0.0.1` (loopback only: the figures name sessions, paths and
   * client addresses); give `::` or a LAN address to let a Prometheus elsewhere scrape.
   */
  host?: string;
  /** Most simultaneous connections (default 8); more are closed at accept. */
  maxConnections?: number;
  /** Milliseconds a client has to send a whole request head (default 5000); then it is disconnected. */
  headersTimeoutMs?: number;
  /** Largest request head in bytes (default 8192); larger ones are answered 431 and closed. */
  maxHeaderSize?: number;
}

/** The {@link MetricsOptions} with every default filled in. */
export type ResolvedMetricsOptions = Required<MetricsOptions>;

/** Check `metrics` (refusing anything malformed with `ERR_SERVER_OPTION`) and fill in its defaults. */
export function resolveMetricsOptions(metrics: unknown): ResolvedMetricsOptions {
  if (typeof metrics !== 'object' || metrics === null) {
    throw new DorsvrError('ERR_SERVER_OPTION', `metrics must be an object such as { port: 9464 }, not ${String(metrics)}`);
  }
  const m = metrics as Record<string, unknown>;
  const integer = (name: string, fallback: number | undefined, min: number, max: number): number => {
    const v = m[name] ?? fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw new DorsvrError('ERR_SERVER_OPTION', `metrics.${name} must be an integer from ${min} to ${max}, not ${String(v)}`);
    }
    return v;
  };
  const host = m.host ?? '127.0.0.1';
  if (typeof host !== 'string' || host === '') throw new DorsvrError('ERR_SERVER_OPTION', `metrics.host must be an address, not ${String(host)}`);
  return {
    port: integer('port', undefined, 0, 65535),
    host,
    maxConnections: integer('maxConnections', 8, 1, 10_000),
    headersTimeoutMs: integer('headersTimeoutMs', 5000, 100, 600_000),
    maxHeaderSize: integer('maxHeaderSize', 8192, 256, 1 << 20),
  };
}

/**
 * The Prometheus endpoint of an {@link RTSPServer}: a `node:http` server answering `GET` and
 * `HEAD /metrics` (a query string is ignored) with `render()`'s text; any other path is 404, any
 * other method on `/metrics` 405. Bounded: a connection cap, a deadline for the request head and
 * the whole request, a head size limit, connections closed after an error answer, and a connection
 * on which nothing moves for `2 × headersTimeoutMs` (a client not reading its answer) closed.
 */
export class MetricsHTTPListener {
  readonly #server: Server;
  readonly #options: ResolvedMetricsOptions;
  readonly #sockets = new Set<Socket>();
  #port = 0;
  #closed = false;

  constructor(options: ResolvedMetricsOptions, render: () => string) {
    this.#options = options;
    this.#server = createServer(
      {
        maxHeaderSize: options.maxHeaderSize,
        headersTimeout: options.headersTimeoutMs,
        requestTimeout: options.headersTimeoutMs * 2,
        keepAliveTimeout: 5000,
        // How often Node checks those deadlines (its default, 30 s, would let them slip that long).
        connectionsCheckingInterval: Math.min(1000, options.headersTimeoutMs),
      },
      (req, res) => this.#handle(req, res, render),
    );
    this.#server.maxConnections = options.maxConnections;
    // A connection with nothing moving either way for twice the head deadline is closed: a client
    // that never reads its answer would otherwise keep the socket (and the answer) for ever.
    this.#server.setTimeout(options.headersTimeoutMs * 2, (socket: Socket) => socket.destroy());
    this.#server.on('connection', (socket: Socket) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
  }

  /** The port listened on, 0 before {@link listen}. */
  get port(): number {
    return this.#port;
  }

  /** The address listened on (`127.0.0.1` by default), undefined before {@link listen}. */
  get address(): string | undefined {
    const a = this.#server.address();
    return a !== null && typeof a === 'object' ? a.address : undefined;
  }

  /**
   * Start listening; rejects with `ERR_SERVER_LISTEN` when the port cannot be had, and with
   * `ERR_SERVER_CLOSED` when {@link close} came first (or while it was starting: nothing is left listening).
   */
  async listen(): Promise<number> {
    const server = this.#server;
    const { port, host } = this.#options;
    if (this.#closed) throw new DorsvrError('ERR_SERVER_CLOSED', 'the metrics listener is closed');
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => {
        server.off('listening', onListening);
        reject(new DorsvrError('ERR_SERVER_LISTEN', `cannot listen on metrics port ${port}: ${err.message}`, { cause: err }));
      };
      const onListening = (): void => {
        server.off('error', onError);
        resolve();
      };
      server.once('error', onError);
      server.once('listening', onListening);
      server.listen({ port, host });
    });
    if (this.#closed) {
      // close() ran while the port was being opened (a host name looked up): it found nothing to close.
      await new Promise<void>((resolve) => server.close(() => resolve()));
      throw new DorsvrError('ERR_SERVER_CLOSED', 'the metrics listener was closed while it started listening');
    }
    server.on('error', (err) => debug('metrics listener error: %s', err.message));
    this.#port = (server.address() as AddressInfo).port;
    debug('metrics on http://%s:%d/metrics', host, this.#port);
    return this.#port;
  }

  /** Stop listening and close every connection. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
    if (!this.#server.listening) return;
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #handle(req: IncomingMessage, res: ServerResponse, render: () => string): void {
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const path = q >= 0 ? url.slice(0, q) : url;
    if (path !== '/metrics') return this.#refuse(res, 404, 'Not Found');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return this.#refuse(res, 405, 'Method Not Allowed');
    }
    let body: Buffer;
    try {
      body = Buffer.from(render(), 'utf8');
    } catch (err) {
      debug('rendering the metrics failed: %s', err instanceof Error ? err.message : String(err));
      return this.#refuse(res, 500, 'Internal Server Error');
    }
    res.writeHead(200, { 'Content-Type': PROMETHEUS_CONTENT_TYPE, 'Content-Length': body.length, 'Cache-Control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  #refuse(res: ServerResponse, status: number, text: string): void {
    const body = `${status} ${text}\n`;
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body), Connection: 'close' });
    res.end(body);
  }
}
