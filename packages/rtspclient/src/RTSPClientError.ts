import { DorsvrError } from '@dorsvr/scheduler';
import type { RTSPClientResponse } from './RTSPClientResponse.js';

/**
 * Why an {@link RTSPClient} request failed. Stable `code`s:
 * - `ERR_RTSP_STATUS`: the server answered a non-2xx status (`status`, `response` set; 401 after
 *   the credentials were refused or when none were given);
 * - `ERR_RTSP_TIMEOUT`: no response within `requestTimeoutMs`;
 * - `ERR_RTSP_CONNECTION_CLOSED`: the connection closed (or failed) before the response;
 * - `ERR_RTSP_CONNECT`: the TCP connection could not be made;
 * - `ERR_RTSP_CLIENT_CLOSED`: {@link RTSPClient.close} was called;
 * - `ERR_RTSP_REDIRECT`: too many or unusable `Location:` redirects;
 * - `ERR_RTSP_BAD_RESPONSE`: a response the client cannot use (no SDP, bad Transport, …);
 * - `ERR_RTSP_STATE`: the call makes no sense now (PLAY before SETUP, …);
 * - `ERR_RTSP_KEEPALIVE`: a keep-alive failed for another reason (an `error` event; a refused or
 *   unanswered keep-alive has the request's own code).
 */
export class RTSPClientError extends DorsvrError {
  /** The request method that failed. */
  readonly method: string;
  /** The server's response, for `ERR_RTSP_STATUS`. */
  readonly response: RTSPClientResponse | undefined;

  constructor(code: string, method: string, message: string, options: { status?: number; response?: RTSPClientResponse; cause?: unknown } = {}) {
    super(code, message, { status: options.status, cause: options.cause });
    this.name = 'RTSPClientError';
    this.method = method;
    this.response = options.response;
  }
}
