import type { RTSPHeaders } from '@dorsvr/livemedia';

/** A response to one of {@link RTSPClient}'s requests, as the server sent it. */
export interface RTSPClientResponse {
  /** Three-digit status code (2xx when a request method resolved with it). */
  readonly status: number;
  /** Reason phrase as sent. */
  readonly reason: string;
  /** Header lines, looked up case-insensitively. */
  readonly headers: RTSPHeaders;
  /** Body bytes (an SDP for DESCRIBE, parameters for GET_PARAMETER). */
  readonly body: Uint8Array;
  /** The CSeq of the request this answers. */
  readonly cseq: number;
}
