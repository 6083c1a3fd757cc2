import { DorsvrError } from '@dorsvr/scheduler';
import { RTSPHeaders, type RTSPHeadersInit } from './RTSPHeaders.js';
import { rtspReasonPhrase } from './RTSPStatus.js';

/** What {@link serializeRTSPRequest} writes. */
export interface RTSPRequestInit {
  method: string;
  uri: string;
  /** Default `RTSP/1.0`. */
  version?: string;
  headers?: RTSPHeadersInit;
  /** Body; a string is UTF-8 encoded. Content-Length is set from it (and dropped when empty). */
  body?: Uint8Array | string;
}

/** What {@link serializeRTSPResponse} writes. */
export interface RTSPResponseInit {
  status: number;
  /** Default: the RFC 2326 phrase for `status` ({@link rtspReasonPhrase}). */
  reason?: string;
  /** Default `RTSP/1.0`. */
  version?: string;
  headers?: RTSPHeadersInit;
  /** Body; a string is UTF-8 encoded. Content-Length is set from it (and dropped when empty). */
  body?: Uint8Array | string;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const CTL = /[\r\n\0]/;

function check(what: string, s: string): void {
  if (CTL.test(s)) throw new DorsvrError('ERR_RTSP_HEADER_INVALID', `${what} contains CR, LF or NUL: ${JSON.stringify(s.slice(0, 80))}`);
}

function serialize(startLine: string, headersInit: RTSPHeadersInit | undefined, bodyInit: Uint8Array | string | undefined): Buffer {
  const body = bodyInit === undefined ? undefined : typeof bodyInit === 'string' ? Buffer.from(bodyInit, 'utf8') : bodyInit;
  const headers = new RTSPHeaders(headersInit);
  if (body !== undefined && body.length > 0) headers.set('Content-Length', body.length);
  else headers.delete('Content-Length');
  let head = `${startLine}\r\n`;
  for (const [name, value] of headers) {
    if (!TOKEN.test(name)) throw new DorsvrError('ERR_RTSP_HEADER_INVALID', `invalid header name ${JSON.stringify(name)}`);
    check(`header ${name}`, value);
    head += `${name}: ${value}\r\n`;
  }
  head += '\r\n';
  const headBytes = Buffer.from(head, 'utf8');
  if (body === undefined || body.length === 0) return headBytes;
  return Buffer.concat([headBytes, body]);
}

/**
 * Serializes a request: start line, headers in the given order, blank line, body. Throws
 * `ERR_RTSP_HEADER_INVALID` when a header name or value would break the framing (CR/LF injection).
 *
 * @example
 * ```ts
 * import { serializeRTSPRequest } from '@dorsvr/livemedia';
 *
 * const bytes = serializeRTSPRequest({ method: 'DESCRIBE', uri: 'rtsp://example.com/movie', headers: { CSeq: '2', Accept: 'application/sdp' } });
 * // DESCRIBE rtsp://example.com/movie RTSP/1.0\r\nCSeq: 2\r\nAccept: application/sdp\r\n\r\n
 * ```
 */
export function serializeRTSPRequest(req: RTSPRequestInit): Buffer {
  if (!TOKEN.test(req.method)) throw new DorsvrError('ERR_RTSP_HEADER_INVALID', `invalid method ${JSON.stringify(req.method)}`);
  if (req.uri.length === 0 || /\s/.test(req.uri)) throw new DorsvrError('ERR_RTSP_HEADER_INVALID', `invalid request URI ${JSON.stringify(req.uri)}`);
  return serialize(`${req.method} ${req.uri} ${req.version ?? 'RTSP/1.0'}`, req.headers, req.body);
}

/** Serializes a response; the reason phrase defaults to the RFC 2326 one for the status. */
export function serializeRTSPResponse(res: RTSPResponseInit): Buffer {
  if (!Number.isInteger(res.status) || res.status < 100 || res.status > 999) {
    throw new DorsvrError('ERR_RTSP_HEADER_INVALID', `invalid status ${res.status}`);
  }
  const reason = res.reason ?? rtspReasonPhrase(res.status);
  check('reason phrase', reason);
  return serialize(`${res.version ?? 'RTSP/1.0'} ${res.status} ${reason}`, res.headers, res.body);
}

/**
 * The 4-byte prefix of a `$`-interleaved frame (`$`, channel, 16-bit big-endian length), written
 * into `out` at `offset` (default: a new array) so callers can send it with the payload as a
 * separate chunk. Throws `ERR_RTSP_INTERLEAVED` for a channel outside 0–255 or length over 65535.
 */
export function writeInterleavedHeader(channel: number, length: number, out: Uint8Array = new Uint8Array(4), offset = 0): Uint8Array {
  if (!Number.isInteger(channel) || channel < 0 || channel > 255) {
    throw new DorsvrError('ERR_RTSP_INTERLEAVED', `interleaved channel ${channel} outside 0-255`);
  }
  if (!Number.isInteger(length) || length < 0 || length > 0xffff) {
    throw new DorsvrError('ERR_RTSP_INTERLEAVED', `interleaved frame length ${length} outside 0-65535`);
  }
  if (offset < 0 || offset + 4 > out.length) throw new DorsvrError('ERR_RTSP_INTERLEAVED', 'no room for the interleaved header');
  out[offset] = 0x24;
  out[offset + 1] = channel;
  out[offset + 2] = length >> 8;
  out[offset + 3] = length & 0xff;
  return out;
}
