/**
 * Options for {@link DorsvrError}.
 */
export interface DorsvrErrorOptions {
  /** The RTSP status code that describes this error to a peer (e.g. 400, 454, 461). */
  status?: number;
  /** The underlying error, if any. */
  cause?: unknown;
}

/**
 * Every `code` a {@link DorsvrError} of a dorsvr package carries, so that `switch (err.code)`
 * completes and checks its cases. The areas: `ERR_RTSP_*` (the RTSP codec and client),
 * `ERR_SERVER_*` (the server), `ERR_SDP_*`, `ERR_RTP_*`, `ERR_RTCP_*`, `ERR_H26X_*`, audio formats
 * (`ERR_ADTS_*`, `ERR_MP3_*`, `ERR_WAV_*`, `ERR_AUDIO_*`), sources and sinks (`ERR_SOURCE_*`,
 * `ERR_SINK_*`, `ERR_FILE_*`), sockets (`ERR_GROUPSOCK_*`, `ERR_PORT_*`), authentication
 * (`ERR_AUTH_*`), the scheduler (`ERR_SCHEDULER_*`), live streams (`ERR_LIVE_*`), relays (`ERR_RELAY_*`) and proxies (`ERR_PROXY_*`). A test checks that
 * every code used in the sources is listed here.
 *
 * @example
 * ```ts
 * import { DorsvrError } from '@dorsvr/scheduler';
 * import { RTSPClient } from '@dorsvr/rtspclient';
 *
 * const client = new RTSPClient('rtsp://127.0.0.1:8554/movie');
 * try { await client.describe(); } catch (err) {
 *   if (err instanceof DorsvrError) switch (err.code) {
 *     case 'ERR_RTSP_CONNECT': console.error('no server there'); break;
 *     case 'ERR_RTSP_STATUS': console.error('refused:', err.status); break;
 *     default: throw err;
 *   }
 * }
 * ```
 */
export type DorsvrErrorCode =
  | 'ERR_ADTS_FORMAT'
  | 'ERR_ADTS_UNREPRESENTABLE'
  | 'ERR_AUDIO_CONFIG'
  | 'ERR_AUTH_DATABASE'
  | 'ERR_AUTH_REALM'
  | 'ERR_AUTH_USERNAME'
  | 'ERR_BASE64'
  | 'ERR_FILE_OPEN'
  | 'ERR_FILE_READ'
  | 'ERR_FILE_SINK_OPEN'
  | 'ERR_FILE_SINK_WRITE'
  | 'ERR_FILE_TOO_LARGE'
  | 'ERR_GROUPSOCK_ADDRESS'
  | 'ERR_GROUPSOCK_ADDRESS_IN_USE'
  | 'ERR_GROUPSOCK_BIND'
  | 'ERR_GROUPSOCK_CLOSED'
  | 'ERR_GROUPSOCK_MULTICAST'
  | 'ERR_GROUPSOCK_SEND'
  | 'ERR_GROUPSOCK_SOCKET'
  | 'ERR_H26X_AU_TOO_LARGE'
  | 'ERR_H26X_NAL_TOO_LARGE'
  | 'ERR_H26X_NO_NAL_UNITS'
  | 'ERR_H26X_OPTIONS'
  | 'ERR_H26X_PARSE'
  | 'ERR_HTTP_REQUEST'
  | 'ERR_LIVE_OPTIONS'
  | 'ERR_LIVE_PARAMETER_SETS'
  | 'ERR_MP3_FORMAT'
  | 'ERR_MULTICAST_EXHAUSTED'
  | 'ERR_MULTICAST_OPTIONS'
  | 'ERR_PORT_RANGE_EXHAUSTED'
  | 'ERR_PROXY_BACKEND'
  | 'ERR_PROXY_CLOSED'
  | 'ERR_PROXY_URL'
  | 'ERR_RELAY_ENDED'
  | 'ERR_RELAY_MAX_READERS'
  | 'ERR_RELAY_SDP'
  | 'ERR_RTCP_INVALID'
  | 'ERR_RTCP_PARSE'
  | 'ERR_RTP_PACKET'
  | 'ERR_RTP_UNSUPPORTED_CODEC'
  | 'ERR_RTSP_AUTH'
  | 'ERR_RTSP_AUTH_HEADER'
  | 'ERR_RTSP_BAD_RESPONSE'
  | 'ERR_RTSP_BODY_TOO_LARGE'
  | 'ERR_RTSP_CLIENT_CLOSED'
  | 'ERR_RTSP_CLIENT_OPTION'
  | 'ERR_RTSP_CONNECT'
  | 'ERR_RTSP_CONNECTION_CLOSED'
  | 'ERR_RTSP_CSEQ'
  | 'ERR_RTSP_DATE'
  | 'ERR_RTSP_FALLBACK'
  | 'ERR_RTSP_FRAME_READ'
  | 'ERR_RTSP_HEADERS_TOO_LARGE'
  | 'ERR_RTSP_HEADER_INVALID'
  | 'ERR_RTSP_INTERLEAVED'
  | 'ERR_RTSP_KEEPALIVE'
  | 'ERR_RTSP_LINE_TOO_LONG'
  | 'ERR_RTSP_PARSE'
  | 'ERR_RTSP_PARSER_OPTIONS'
  | 'ERR_RTSP_RANGE'
  | 'ERR_RTSP_REDIRECT'
  | 'ERR_RTSP_RTP_INFO'
  | 'ERR_RTSP_SCALE'
  | 'ERR_RTSP_SESSION'
  | 'ERR_RTSP_SESSION_MISMATCH'
  | 'ERR_RTSP_SESSION_NOT_FOUND'
  | 'ERR_RTSP_STATE'
  | 'ERR_RTSP_STATUS'
  | 'ERR_RTSP_TIMEOUT'
  | 'ERR_RTSP_TLS'
  | 'ERR_RTSP_TOO_MANY_SESSIONS'
  | 'ERR_RTSP_TRACK_NOT_SETUP'
  | 'ERR_RTSP_TRANSPORT'
  | 'ERR_RTSP_TRUNCATED'
  | 'ERR_RTSP_URL'
  | 'ERR_SCHEDULER_OPTIONS'
  | 'ERR_SDP_INVALID'
  | 'ERR_SDP_PARSE'
  | 'ERR_SERVER_CLOSED'
  | 'ERR_SERVER_LISTEN'
  | 'ERR_SERVER_NO_MULTICAST'
  | 'ERR_SERVER_NO_UDP'
  | 'ERR_SERVER_OPTION'
  | 'ERR_SERVER_PORT_RANGE'
  | 'ERR_SERVER_STREAM_UNKNOWN'
  | 'ERR_SERVER_SUBSESSION_IN_USE'
  | 'ERR_SERVER_TLS'
  | 'ERR_SINK_BUSY'
  | 'ERR_SINK_CLOSED'
  | 'ERR_SINK_OPTIONS'
  | 'ERR_SOURCE_BUSY'
  | 'ERR_SOURCE_CLOSED'
  | 'ERR_SOURCE_OPTIONS'
  | 'ERR_SOURCE_SEEK'
  | 'ERR_WAV_FORMAT';

/**
 * The one error class every dorsvr package throws or rejects with.
 *
 * `code` is stable across releases (match on it, not on `message`), in the form
 * `ERR_<AREA>_<WHAT>`, e.g. `ERR_RTSP_PARSE`, `ERR_PORT_RANGE_EXHAUSTED`, `ERR_SOURCE_BUSY`.
 * Errors that a server answers on the wire also carry the RTSP `status` to answer with.
 * It lives in the scheduler package because that is the root every other package imports,
 * as live555 keeps its result messages in the UsageEnvironment.
 *
 * @example
 * ```ts
 * import { DorsvrError, isDorsvrError } from '@dorsvr/scheduler';
 * import { LiveServerMediaSubsession } from '@dorsvr/livemedia';
 *
 * const camera = new LiveServerMediaSubsession({ source: process.stdin, codec: 'h264' });
 * try {
 *   await camera.ready();
 * } catch (err) {
 *   if (isDorsvrError(err, 'ERR_LIVE_PARAMETER_SETS')) console.error(`no SPS/PPS yet (DESCRIBE would get ${err.status})`);
 *   else if (err instanceof DorsvrError) console.error(`${err.code}: ${err.message}`);
 *   else throw err;
 * }
 * ```
 */
export class DorsvrError extends Error {
  /** Stable machine-readable code. */
  readonly code: DorsvrErrorCode | (string & {});
  /** RTSP status code for errors that map to a response. */
  readonly status: number | undefined;

  constructor(code: DorsvrErrorCode | (string & {}), message: string, options: DorsvrErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DorsvrError';
    this.code = code;
    this.status = options.status;
  }
}

/** True when `err` is a {@link DorsvrError}, optionally with the given code. */
export function isDorsvrError(err: unknown, code?: DorsvrErrorCode | (string & {})): err is DorsvrError {
  return err instanceof DorsvrError && (code === undefined || err.code === code);
}
