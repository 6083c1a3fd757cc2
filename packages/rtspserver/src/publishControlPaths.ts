import { parseRequestURL } from './parseRequestURL.js';

/**
 * The path a request URL names, as one string without leading or trailing slash: `rtsp://h/a/b/`
 * → `a/b`; ffmpeg's `…/a?q=1/streamid=0` → `a/streamid=0`. Throws `ERR_RTSP_URL` (400) when the URL
 * cannot be decoded.
 */
export function requestPath(uri: string): string {
  const c = parseRequestURL(uri)[0]!;
  return c.trackId !== undefined ? `${c.streamName}/${c.trackId}` : c.streamName;
}

/**
 * The path a track's `a=control` names, relative to the ANNOUNCE URL's path `basePath`; undefined
 * when it names the aggregate itself (no control, `*`, or the base URL). Publishers write controls
 * relative (`streamid=0`, ffmpeg; `stream=0`, GStreamer), absolute (`rtsp://cam/live/trackID=1`),
 * or rooted (`/live/x/track1`); a relative one is taken under the base path, as every RTSP peer
 * does (RFC 3986 would drop the base's last segment).
 */
export function trackControlPath(basePath: string, control: string | undefined): string | undefined {
  if (control === undefined) return undefined;
  const c = control.trim();
  if (c === '' || c === '*') return undefined;
  let p: string;
  try {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(c) || c.startsWith('/')) p = requestPath(c);
    else p = `${basePath}/${requestPath(c)}`.replace(/^\/+/, '');
  } catch {
    // Undecodable: compare as sent.
    p = `${basePath}/${c}`;
  }
  return p === basePath ? undefined : p;
}

/** The last `/`-segment of a path. */
function lastSegment(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

/**
 * Which track (index into `controlPaths`, from {@link trackControlPath}) a SETUP of path `p`
 * addresses: the one whose control path it is; for the base path itself, the only track, else
 * the first not yet set up that has no control of its own; else a track whose control ends in
 * the same segment as `p` (a camera naming itself by another host or path in absolute controls).
 * Undefined when none fits.
 */
export function matchTrack(
  basePath: string,
  controlPaths: readonly (string | undefined)[],
  p: string,
  isSetUp: (index: number) => boolean,
): number | undefined {
  const exact = controlPaths.indexOf(p);
  if (exact >= 0) return exact;
  if (p === basePath) {
    if (controlPaths.length === 1) return 0;
    for (let i = 0; i < controlPaths.length; i++) if (controlPaths[i] === undefined && !isSetUp(i)) return i;
    return undefined;
  }
  if (!p.startsWith(`${basePath}/`)) return undefined;
  const seg = lastSegment(p);
  const bySegment = controlPaths.findIndex((c) => c !== undefined && lastSegment(c) === seg);
  return bySegment >= 0 ? bySegment : undefined;
}
