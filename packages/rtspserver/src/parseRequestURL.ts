import { DorsvrError } from '@dorsvr/scheduler';

/** One way to read a request URL: a stream name and, optionally, a track control name. */
export interface StreamURLCandidate {
  /** Stream (ServerMediaSession) name: decoded path without leading or trailing slash. */
  readonly streamName: string;
  /** Track control name (`track1`, `trackID=0`), or undefined for the aggregate URL. */
  readonly trackId: string | undefined;
}

/**
 * The ways a request URL may name a stream and track, most specific first. Handles every form
 * real clients send: `rtsp://h:p/stream`, `…/stream/` (trailing slash), `…/stream/track1`,
 * `…/stream?query`, ffmpeg's `…/stream?query/track1` (track after the query), and the relative
 * forms `/stream/track1` and `stream/track1`. Throws `ERR_RTSP_URL` (400) for a URL that cannot be
 * decoded.
 */
export function parseRequestURL(uri: string): StreamURLCandidate[] {
  let rest = uri.trim();
  const scheme = /^rtsps?:\/\/[^/?]*/i.exec(rest) ?? /^rtspu:\/\/[^/?]*/i.exec(rest);
  if (scheme) rest = rest.slice(scheme[0].length);
  const q = rest.indexOf('?');
  const rawPath = q < 0 ? rest : rest.slice(0, q);
  const query = q < 0 ? undefined : rest.slice(q + 1);
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch (cause) {
    throw new DorsvrError('ERR_RTSP_URL', `cannot decode request URL ${JSON.stringify(uri.slice(0, 200))}`, { status: 400, cause });
  }
  if (path.includes('\0')) throw new DorsvrError('ERR_RTSP_URL', 'NUL in request URL', { status: 400 });
  path = path.replace(/^\/+/, '').replace(/\/+$/, '');
  if (query !== undefined && query.includes('/')) {
    const track = query.slice(query.lastIndexOf('/') + 1);
    return [{ streamName: path, trackId: track.length > 0 ? track : undefined }];
  }
  const out: StreamURLCandidate[] = [{ streamName: path, trackId: undefined }];
  const slash = path.lastIndexOf('/');
  if (slash >= 0) out.push({ streamName: path.slice(0, slash), trackId: path.slice(slash + 1) });
  else if (path.length > 0) out.push({ streamName: '', trackId: path });
  return out;
}

/** The absolute base URL of a request (`rtsp://host:port/path`, no query, no trailing slash). */
export function absoluteURL(uri: string, hostHeader: string): string {
  if (/^rtsps?:\/\//i.test(uri)) return uri;
  return `rtsp://${hostHeader}/${uri.replace(/^\/+/, '')}`;
}
