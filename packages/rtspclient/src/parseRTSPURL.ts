import { DorsvrError } from '@dorsvr/scheduler';

/** An `rtsp://` URL split the way {@link RTSPClient} needs it. */
export interface RTSPURL {
  /** Host to connect to: a name or an IP literal, IPv6 without brackets. */
  host: string;
  /** TCP port (default 554; 322 for `rtsps://`, 80 for `rtsph://`, 443 for `rtspsh://`). */
  port: number;
  /** True for `rtsps://` and `rtspsh://`: the connection is TLS. */
  secure: boolean;
  /** True for `rtsph://` and `rtspsh://`: RTSP tunnelled over HTTP (HTTPS) to `port`. */
  httpTunnel: boolean;
  /** Userinfo user name, percent-decoded, when given. */
  username: string | undefined;
  /** Userinfo password, percent-decoded, when given. */
  password: string | undefined;
  /** The URL without userinfo: what goes on the request line. */
  url: string;
}

/**
 * Parses `rtsp://[user[:pass]@]host[:port]/path`, IPv6 hosts in brackets (`rtsp://[::1]:8554/x`),
 * `rtsps://` (RTSP over TLS, default port 322), and GStreamer's `rtsph://` / `rtspsh://` (RTSP
 * tunnelled over HTTP / HTTPS). Throws `ERR_RTSP_URL` for anything that is not one of those (or
 * `rtspu://`) with a host. The URL requests carry keeps its scheme, except that a tunnel's says
 * `rtsp://` (`rtsps://`), as other tunnelling clients send.
 */
export function parseRTSPURL(input: string): RTSPURL {
  let u: URL;
  try {
    u = new URL(input);
  } catch (err) {
    throw new DorsvrError('ERR_RTSP_URL', `not a URL: ${JSON.stringify(input.slice(0, 200))}`, { cause: err });
  }
  const scheme = u.protocol.toLowerCase();
  if (!['rtsp:', 'rtspu:', 'rtsps:', 'rtsph:', 'rtspsh:'].includes(scheme)) throw new DorsvrError('ERR_RTSP_URL', `not an rtsp:// URL: ${JSON.stringify(input.slice(0, 200))}`);
  let host = u.hostname;
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (host === '') throw new DorsvrError('ERR_RTSP_URL', `no host in ${JSON.stringify(input.slice(0, 200))}`);
  const secure = scheme === 'rtsps:' || scheme === 'rtspsh:';
  const httpTunnel = scheme === 'rtsph:' || scheme === 'rtspsh:';
  const port = u.port !== '' ? Number(u.port) : httpTunnel ? (secure ? 443 : 80) : secure ? 322 : 554;
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
  let url = u.href;
  // A tunnel's requests name the URL as rtsp:// (rtsps://) with the tunnel's port said explicitly.
  if (httpTunnel) {
    const t = new URL(`${secure ? 'rtsps' : 'rtsp'}:${url.slice(scheme.length)}`);
    t.port = String(port);
    url = t.href;
  }
  return { host, port, secure, httpTunnel, username, password, url };
}
