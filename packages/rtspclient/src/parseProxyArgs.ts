/** What `dorsvr-proxy` was asked to do (see {@link parseProxyArgs}). */
export interface ProxyArgs {
  /** The back-end `rtsp://` URLs, in order. */
  urls: string[];
  /** The stream name of each URL (live555ProxyServer's: `proxyStream`, or `proxyStream-1`, `-2`, … for several; `--name` overrides in order). */
  names: string[];
  /** `--port N`: the proxy's RTSP port (default 8554). */
  port: number;
  /** `--host addr`: address to listen on (default: all). */
  host: string | undefined;
  /** `-t`: back-ends over TCP (default: UDP, falling back to TCP). */
  tcp: boolean;
  /** `-u user pass`: credentials for the back-ends (a URL's own userinfo wins for that URL). */
  username: string | undefined;
  password: string | undefined;
  /** `--user name:password` (repeatable): readers must authenticate as one of these. */
  users: Array<[string, string]>;
}

/** The usage text `dorsvr-proxy` prints for `--help` (stdout) and on bad arguments (stderr). */
export const PROXY_USAGE = [
  'usage: dorsvr-proxy <rtsp-url>... [--port N] [--host addr] [-t] [-u user pass] [--user name:password]... [--name name]...',
  '  Proxies each back-end rtsp:// URL (a camera, another server) and prints the URL players use:',
  '  rtsp://<host>:<port>/proxyStream for one URL, proxyStream-1, proxyStream-2, … for several.',
  '  --port N              RTSP port to serve on (default 8554)',
  '  --host addr           address to listen on (default: all)',
  '  -t                    back-ends over TCP (default: UDP, falling back to TCP)',
  '  -u user pass          credentials for the back-ends (or put them in the URL: rtsp://user:pass@host/…)',
  '  --user name:password  players must authenticate (Digest) as this user; repeatable',
  '  --name name           stream name of the next URL, in order (instead of proxyStream…); repeatable',
  '  -h, --help            this text',
  '  Back-end state changes (connecting, live, retrying, idle) are printed as they happen.',
].join('\n');

/**
 * Parse `dorsvr-proxy`'s arguments. Returns `'help'` for `-h`/`--help`, or a message when they are
 * wrong (unknown option, missing value, bad port, no URL, not rtsp://, more names than URLs, a
 * name used twice).
 */
export function parseProxyArgs(argv: readonly string[]): ProxyArgs | 'help' | string {
  const out: ProxyArgs = { urls: [], names: [], port: 8554, host: undefined, tcp: false, username: undefined, password: undefined, users: [] };
  const given: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-h' || a === '--help') return 'help';
    if (a === '-t') out.tcp = true;
    else if (a === '--port' || a === '-p') {
      const v = argv[++i];
      if (v === undefined) return `${a} needs a port number`;
      const n = Number(v);
      if (!/^\d+$/.test(v) || n < 0 || n > 65_535) return `bad port ${JSON.stringify(v)}`;
      out.port = n;
    } else if (a === '--host') {
      const v = argv[++i];
      if (v === undefined || v === '') return '--host needs an address';
      out.host = v;
    } else if (a === '-u') {
      const user = argv[++i];
      const pass = argv[++i];
      if (user === undefined) return '-u needs a user name and a password';
      if (pass === undefined) return '-u needs a password after the user name';
      out.username = user;
      out.password = pass;
    } else if (a === '--user') {
      const v = argv[++i];
      const c = v === undefined ? -1 : v.indexOf(':');
      if (v === undefined || c <= 0) return '--user needs name:password';
      out.users.push([v.slice(0, c), v.slice(c + 1)]);
    } else if (a === '--name') {
      const v = argv[++i];
      if (v === undefined || !/^[A-Za-z0-9._~-][A-Za-z0-9._~/-]*$/.test(v) || v.includes('..')) return `--name needs a stream name (letters, digits, . _ ~ - /): ${JSON.stringify(v ?? '')}`;
      given.push(v);
    } else if (a.startsWith('-')) return `unknown option ${a}`;
    else {
      if (!/^rtsp:\/\//i.test(a)) return `${JSON.stringify(a)} is not an rtsp:// URL`;
      try {
        new URL(a);
      } catch {
        return `${JSON.stringify(a)} is not a valid URL`;
      }
      out.urls.push(a);
    }
  }
  if (out.urls.length === 0) return 'no back-end URL given';
  if (given.length > out.urls.length) return `${given.length} names for ${out.urls.length} URL(s)`;
  out.names = out.urls.map((_, i) => given[i] ?? (out.urls.length === 1 ? 'proxyStream' : `proxyStream-${i + 1}`));
  if (new Set(out.names).size !== out.names.length) return `a stream name is used twice: ${out.names.join(', ')}`;
  return out;
}
