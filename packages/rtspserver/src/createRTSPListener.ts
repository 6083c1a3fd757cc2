import { createServer as createTCPServer, type Server, type Socket } from 'node:net';
import { createSecureContext, createServer as createTLSServer, type TlsOptions } from 'node:tls';
import createDebug from 'debug';
import { DorsvrError } from '@dorsvr/scheduler';
import { clientAddressKey } from './clientAddressKey.js';
import { normalizeAddress } from './RTSPClientConnection.js';

const debug = createDebug('dorsvr:rtspserver:listener');

/** Options of {@link createRTSPListener}. */
export interface RTSPListenerOptions {
  /** TLS options as `node:tls` takes them (`key`, `cert`, `ca`, `pfx`, …): RTSPS; undefined: plain TCP. */
  readonly tls: TlsOptions | undefined;
  /** Milliseconds a TLS handshake may take before the connection is dropped. */
  readonly handshakeTimeoutMs: number;
  /** A connection is ready for RTSP (after the TLS handshake, under TLS). */
  readonly onSocket: (socket: Socket) => void;
  /**
   * Most TCP connections from one address (an IPv6 /64, see `clientAddressKey`) open at once,
   * counted from accept — under TLS from before the handshake, so that one address cannot hold
   * every place with handshakes it never finishes. More are closed at accept. Undefined: no limit.
   */
  readonly maxConnectionsPerAddress?: number | undefined;
}

/**
 * The TCP (or, with `tls`, TLS) server a listener of {@link RTSPServer} accepts on. Under TLS a
 * handshake that fails or does not finish within `handshakeTimeoutMs` frees its socket and never
 * reaches `onSocket`.
 */
export function createRTSPListener(options: RTSPListenerOptions): Server {
  const admit = perAddressLimit(options.maxConnectionsPerAddress);
  if (options.tls === undefined) return createTCPServer({ noDelay: true }, (socket) => admit(socket) && options.onSocket(socket));
  const server = createTLSServer({ ...options.tls, handshakeTimeout: options.handshakeTimeoutMs }, (socket) => {
    socket.setNoDelay(true);
    options.onSocket(socket);
  });
  // The raw TCP sockets, as they are accepted (their TLS handshake has not begun).
  server.on('connection', (socket: Socket) => void admit(socket));
  server.on('tlsClientError', (err, socket) => {
    debug('TLS handshake with %s:%d failed: %s', socket.remoteAddress, socket.remotePort, err.message);
    socket.destroy();
  });
  return server;
}

/** Counts open sockets per address; returns whether one just accepted may stay (else destroys it). */
function perAddressLimit(max: number | undefined): (socket: Socket) => boolean {
  if (max === undefined) return () => true;
  const open = new Map<string, number>();
  return (socket) => {
    const key = clientAddressKey(normalizeAddress(socket.remoteAddress ?? ''));
    const n = open.get(key) ?? 0;
    if (n >= max) {
      debug('refusing a connection from %s: %d open already (maxConnectionsPerAddress)', key, n);
      socket.destroy();
      return false;
    }
    open.set(key, n + 1);
    socket.once('close', () => {
      const left = (open.get(key) ?? 1) - 1;
      if (left > 0) open.set(key, left);
      else open.delete(key);
    });
    return true;
  };
}

/**
 * Checks TLS server options at construction (fail closed: a server asked to speak TLS never starts
 * without a usable certificate): a key and certificate (or a `pfx`) that `node:tls` accepts.
 * Throws `ERR_SERVER_TLS` otherwise.
 */
export function checkTLSServerOptions(tls: TlsOptions): void {
  if (typeof tls !== 'object' || tls === null) throw new DorsvrError('ERR_SERVER_TLS', 'the tls option must be an object of node:tls server options');
  if (tls.pfx === undefined && (tls.key === undefined || tls.cert === undefined)) {
    throw new DorsvrError('ERR_SERVER_TLS', 'the tls option needs a key and a cert (or a pfx)');
  }
  try {
    createSecureContext(tls);
  } catch (err) {
    throw new DorsvrError('ERR_SERVER_TLS', `unusable TLS key or certificate: ${(err as Error).message}`, { cause: err });
  }
}
