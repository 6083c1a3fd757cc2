import { createServer as createTCPServer, type Server, type Socket } from 'node:net';
import { createSecureContext, createServer as createTLSServer, type TlsOptions } from 'node:tls';
import createDebug from 'debug';
import { DorsvrError } from '@dorsvr/scheduler';

const debug = createDebug('dorsvr:rtspserver:listener');

/** Options of {@link createRTSPListener}. */
export interface RTSPListenerOptions {
  /** TLS options as `node:tls` takes them (`key`, `cert`, `ca`, `pfx`, …): RTSPS; undefined: plain TCP. */
  readonly tls: TlsOptions | undefined;
  /** Milliseconds a TLS handshake may take before the connection is dropped. */
  readonly handshakeTimeoutMs: number;
  /** A connection is ready for RTSP (after the TLS handshake, under TLS). */
  readonly onSocket: (socket: Socket) => void;
}

/**
 * The TCP (or, with `tls`, TLS) server a listener of {@link RTSPServer} accepts on. Under TLS a
 * handshake that fails or does not finish within `handshakeTimeoutMs` frees its socket and never
 * reaches `onSocket`.
 */
export function createRTSPListener(options: RTSPListenerOptions): Server {
  if (options.tls === undefined) return createTCPServer({ noDelay: true }, options.onSocket);
  const server = createTLSServer({ ...options.tls, handshakeTimeout: options.handshakeTimeoutMs }, (socket) => {
    socket.setNoDelay(true);
    options.onSocket(socket);
  });
  server.on('tlsClientError', (err, socket) => {
    debug('TLS handshake with %s:%d failed: %s', socket.remoteAddress, socket.remotePort, err.message);
    socket.destroy();
  });
  return server;
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
