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
 * The one error class every dorsvr package throws or rejects with.
 *
 * `code` is stable across releases (match on it, not on `message`), in the form
 * `ERR_<AREA>_<WHAT>`, e.g. `ERR_RTSP_PARSE`, `ERR_PORT_RANGE_EXHAUSTED`, `ERR_SOURCE_BUSY`.
 * Errors that a server answers on the wire also carry the RTSP `status` to answer with.
 * It lives in the scheduler package because that is the root every other package imports,
 * as live555 keeps its result messages in the UsageEnvironment.
 */
export class DorsvrError extends Error {
  /** Stable machine-readable code. */
  readonly code: string;
  /** RTSP status code for errors that map to a response. */
  readonly status: number | undefined;

  constructor(code: string, message: string, options: DorsvrErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DorsvrError';
    this.code = code;
    this.status = options.status;
  }
}

/** True when `err` is a {@link DorsvrError}, optionally with the given code. */
export function isDorsvrError(err: unknown, code?: string): err is DorsvrError {
  return err instanceof DorsvrError && (code === undefined || err.code === code);
}
