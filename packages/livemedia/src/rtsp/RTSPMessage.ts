import type { DorsvrError } from '@dorsvr/scheduler';
import type { RTSPHeaders } from './RTSPHeaders.js';

/** A parsed RTSP request (`OPTIONS rtsp://h/s RTSP/1.0` + headers + body). */
export interface RTSPRequest {
  readonly type: 'request';
  /** Method as sent (RTSP methods are case-sensitive), e.g. `DESCRIBE`. */
  readonly method: string;
  /** Request-URI as sent (absolute URL, `*`, or a path). */
  readonly uri: string;
  /** Protocol version, e.g. `RTSP/1.0` (also `HTTP/1.x` for RTSP-over-HTTP tunnelling). */
  readonly version: string;
  readonly headers: RTSPHeaders;
  /** Body bytes (Content-Length of them); a view of the received chunk when it fitted in one. */
  readonly body: Uint8Array;
}

/** A parsed RTSP response (`RTSP/1.0 200 OK` + headers + body). */
export interface RTSPResponse {
  readonly type: 'response';
  readonly version: string;
  /** Three-digit status code. */
  readonly status: number;
  /** Reason phrase as sent (may be empty). */
  readonly reason: string;
  readonly headers: RTSPHeaders;
  readonly body: Uint8Array;
}

/** One `$`-interleaved binary frame (RFC 2326 10.12): RTP or RTCP carried on the RTSP connection. */
export interface RTSPInterleavedFrame {
  readonly type: 'interleaved';
  /** Channel byte (0–255), as negotiated by `Transport: …;interleaved=a-b`. */
  readonly channel: number;
  /** Packet bytes; a view of the received chunk when it fitted in one. */
  readonly payload: Uint8Array;
}

/**
 * A message that could not be parsed. The parser has already skipped past it (to the blank line
 * that ends its header, or past its body), so the connection can go on: a server answers
 * `error.status` (400, 413, 414) echoing `cseq`, when `isRequest` says the bad message was a request.
 */
export interface RTSPParseFailure {
  readonly type: 'error';
  /** Code `ERR_RTSP_PARSE`, `ERR_RTSP_LINE_TOO_LONG`, `ERR_RTSP_HEADERS_TOO_LARGE`, `ERR_RTSP_BODY_TOO_LARGE` or `ERR_RTSP_TRUNCATED`; `status` set. */
  readonly error: DorsvrError;
  /** CSeq of the bad message, when its CSeq header was read before the error. */
  readonly cseq: number | undefined;
  /** False when the start line was a status line (a response: do not answer it), true otherwise. */
  readonly isRequest: boolean | undefined;
}

/** Everything {@link RTSPParser} yields from one byte stream. */
export type RTSPParsedItem = RTSPRequest | RTSPResponse | RTSPInterleavedFrame | RTSPParseFailure;
