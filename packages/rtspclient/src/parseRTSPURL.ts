import { DorsvrError } from '@dorsvr/scheduler';

/** An `rtsp://` URL split the way {@link RTSPClient} needs it. */
export interface RTSPURL {
  /** Host to connect to: a name or an IP literal, IPv6 without brackets. */
  host: string;
  /** TCP port (default 554). */
  port: number;
  /** Userinfo user name, percent-decoded, when given. */
  username: string | undefined;
  /** Userinfo password, percent-decoded, when given. */
  password: string | undefined;
  /** The URL without userinfo: what goes on the request line. */
  url: string;
}

/**
 * Parses `rtsp://[user[:pass]@]host[:port]/path`, IPv6 hosts in brackets (`rtsp://[::1]:8554/x`).
 * Throws `ERR_RTSP_URL` for anything that is not an `rtsp://` (or `rtspu://`) URL with a host;
 * `rtsps://` (TLS) is not supported.
 */
export function parseRTSPURL(input: string): RTSPURL {
  let u: URL;
  try {
    u = new URL(input);
  } catch (err) {
    throw new DorsvrError('ERR_RTSP_URL', `not a URL: ${JSON.stringify(input.slice(0, 200))}`, { cause: err });
  }
  const scheme = u.protocol.toLowerCase();
  if (scheme !== 'rtsp:' && scheme !== 'rtspu:') throw new DorsvrError('ERR_RTSP_URL', `not an rtsp:// URL: ${JSON.stringify(input.slice(0, 200))}`);
  let host = u.hostname;
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (host === '') throw new DorsvrError('ERR_RTSP_URL', `no host in ${JSON.stringify(input.slice(0, 200))}`);
  const port = u.port === '' ? 554 : Number(u.port);
  const decode = (s: string): string | undefined => {
    if (s === '') return undefined;
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  const username = decode(u.username);
  const password = decode(u.password);
  u.username = '';
  u.password = '';
  return { host, port, username, password, url: u.href };
}
