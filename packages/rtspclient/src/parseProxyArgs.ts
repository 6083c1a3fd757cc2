import { readFileSync } from 'node:fs';
import { ACCEPT_MEDIA_CLI_OPTION, checkRTSPURL, CLIUsageError, formatHelp, HELP_VERSION_CLI_OPTIONS, parseCLIArgs, readPassword, readStatusMode, readTLSOptions, RTSP_URL_SCHEMES_HELP, TLS_CLI_OPTIONS, type CLIOption, type StatusMode } from './cliSupport.js';
import type { RTSPClientTLSOptions } from './RTSPClient.js';

/** What `dorsvr-proxy` was asked to do (see {@link parseProxyArgs}). */
export interface ProxyArgs {
  /** The back-end URLs (`rtsp://`, `rtsps://`, `rtsph://`, `rtspsh://`), in order. */
  urls: string[];
  /** `--ca file` / `--insecure`: how `rtsps://` back-ends' certificates are checked (default: against Node's CAs). */
  tls: RTSPClientTLSOptions;
  /** The stream name of each URL (live555ProxyServer's: `proxyStream`, or `proxyStream-1`, `-2`, … for several; `--name` overrides in order). */
  names: string[];
  /** `--port N`: the proxy's RTSP port (default 8554). */
  port: number;
  /** `--host addr`: address to listen on (default: all). */
  host: string | undefined;
  /** `-t`: back-ends over TCP (default: UDP, falling back to TCP). */
  tcp: boolean;
  /** `--accept-media-from-any-address`: the back-ends' RTP/RTCP over UDP from any address (default false: each back-end's own only). */
  acceptMediaFromAnyAddress: boolean;
  /**
   * `-u user pass`, or `--backend-user` with `--password-env`/`--password-file`: credentials for
   * the back-ends (a URL's own password wins for that URL; a URL's own user name goes with this password).
   */
  username: string | undefined;
  password: string | undefined;
  /** `--user name:password` (repeatable) and `--user-file`: readers must authenticate as one of these. */
  users: Array<[string, string]>;
  /** `--status SECONDS`: seconds between status lines (or `--json` stats objects); 0: none. */
  statusSeconds: number;
  /** `--quiet` / `--json`: what goes to stdout besides the URLs (default: text lines). */
  status: StatusMode;
  /** `--metrics-port N`: serve Prometheus metrics on this port (undefined: off). */
  metricsPort: number | undefined;
  /** `--metrics-host addr`: the address of the metrics endpoint. */
  metricsHost: string;
}

/** The usage line `dorsvr-proxy` prints on bad arguments (and first in `--help`). */
export const PROXY_USAGE =
  'usage: dorsvr-proxy <rtsp-url>... [--port N] [--host addr] [-t] [-u user pass | --backend-user name --password-env VAR | --password-file file] [--user name:password]... [--user-file file] [--name name]... [--ca file | -k] [--accept-media-from-any-address] [--status s] [-q | --json] [--metrics-port N]';

/** Every option of `dorsvr-proxy`, as `--help` lists them. */
export const PROXY_OPTIONS: readonly CLIOption[] = [
  { name: 'port', short: 'p', values: ['port'], description: 'RTSP port to serve on (0: any free one)', default: '8554' },
  { name: 'host', values: ['addr'], description: 'address to listen on', default: 'all, IPv6 and IPv4' },
  { name: 'tcp', short: 't', description: 'back-ends over TCP', default: 'UDP, falling back to TCP when nothing arrives' },
  { name: 'credentials', short: 'u', values: ['user', 'password'], description: 'credentials for the back-ends (visible in ps: prefer --password-env/--password-file)', default: "none, or each URL's user:pass@" },
  { name: 'backend-user', values: ['name'], description: 'back-end user name for --password-env/--password-file', default: "each URL's user" },
  { name: 'password-env', values: ['VAR'], description: "read the back-ends' password from the environment variable VAR" },
  { name: 'password-file', values: ['file'], description: "read the back-ends' password from the first line of a file" },
  ...TLS_CLI_OPTIONS.map((o) => ({ ...o, description: o.description.replace('for rtsps:// and rtspsh://', 'for rtsps:// and rtspsh:// back-ends') })),
  { ...ACCEPT_MEDIA_CLI_OPTION, description: ACCEPT_MEDIA_CLI_OPTION.description.replace("only the server's", "only each back-end's"), default: "off: only from each back-end's address" },
  { name: 'user', values: ['name:password'], repeatable: true, description: 'players must authenticate (Digest) as this user; repeatable', default: 'no authentication' },
  { name: 'user-file', values: ['file'], description: "players' users from a file, one name:password a line, # comments (keeps passwords out of ps)" },
  { name: 'name', values: ['name'], repeatable: true, description: 'stream name of the next URL, in order; repeatable', default: 'proxyStream, or proxyStream-1, -2, … for several URLs' },
  { name: 'status', values: ['seconds'], description: 'seconds between status lines (players, bit rates, back-end state and loss) while players are connected; with --json, between stats objects (0: none)', default: '10' },
  { name: 'quiet', short: 'q', description: 'print only the URLs and errors', default: 'off' },
  { name: 'json', description: 'JSON lines on stdout: the streams, back-end state changes, player sessions opening and closing, a stats object per status tick', default: 'off' },
  { name: 'metrics-port', values: ['port'], description: 'serve Prometheus metrics at http://ADDR:port/metrics', default: 'off' },
  { name: 'metrics-host', values: ['addr'], description: 'address of the metrics endpoint (with --metrics-port)', default: '127.0.0.1' },
  ...HELP_VERSION_CLI_OPTIONS,
];

/** `dorsvr-proxy --help`. */
export function proxyHelp(): string {
  return formatHelp(
    PROXY_USAGE,
    'Proxies each back-end URL (a camera, another server) and prints the URL players use:\n' +
      'rtsp://<host>:<port>/proxyStream for one URL, proxyStream-1, proxyStream-2, … for several.\n' +
      'Back-end state changes (connecting, live, retrying, idle) are printed as they happen.\n' +
      `Back-end ${RTSP_URL_SCHEMES_HELP.replace("The server's", "A back-end's")}\n` +
      'Exit status: 0 on SIGINT/SIGTERM, 1 when the port cannot be listened on, 2 bad arguments.',
    PROXY_OPTIONS,
  );
}

function userPair(where: string, v: string): [string, string] {
  const c = v.indexOf(':');
  if (c <= 0) throw new CLIUsageError(`${where} needs name:password`);
  // Fail closed: `--user "viewer:$PW"` with PW unset must not make a user without a password.
  if (c === v.length - 1) throw new CLIUsageError(`${where}: ${JSON.stringify(v)} has an empty password`);
  return [v.slice(0, c), v.slice(c + 1)];
}

/**
 * Parse `dorsvr-proxy`'s arguments. Returns `'help'` or `'version'` when asked, or a message when
 * they are wrong (unknown option, missing value, bad port, no URL, not an RTSP URL, an unreadable --ca file, more names than
 * URLs, a name used twice, a password variable that is unset, a file that cannot be read).
 */
export function parseProxyArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ProxyArgs | 'help' | 'version' | string {
  try {
    const { options: o, positional } = parseCLIArgs(PROXY_OPTIONS, argv);
    if (o.has('help')) return 'help';
    if (o.has('version')) return 'version';
    const values = (name: string): readonly string[] => {
      const v = o.get(name);
      return Array.isArray(v) ? (v as readonly string[]) : [];
    };
    const value = (name: string): string | undefined => values(name)[0];
    const status = readStatusMode(o);
    const out: ProxyArgs = {
      urls: [],
      tls: readTLSOptions(o),
      names: [],
      port: 8554,
      host: undefined,
      tcp: o.has('tcp'),
      acceptMediaFromAnyAddress: o.has('accept-media-from-any-address'),
      username: undefined,
      password: undefined,
      users: [],
      statusSeconds: 10,
      status,
      metricsPort: undefined,
      metricsHost: '127.0.0.1',
    };
    const statusSeconds = value('status');
    if (statusSeconds !== undefined) {
      const n = Number(statusSeconds);
      if (statusSeconds.trim() === '' || !Number.isFinite(n) || n < 0) return `--status: ${JSON.stringify(statusSeconds)} is not a number of seconds`;
      if (n > 0 && n < 0.1) return `--status: ${statusSeconds} is below 0.1 s (0 turns it off)`;
      out.statusSeconds = n;
    }
    const metricsPort = value('metrics-port');
    if (metricsPort !== undefined) {
      const n = Number(metricsPort);
      if (!/^\d+$/.test(metricsPort) || n > 65_535) return `--metrics-port: bad port ${JSON.stringify(metricsPort)}`;
      out.metricsPort = n;
    }
    const metricsHost = value('metrics-host');
    if (metricsHost !== undefined) {
      if (out.metricsPort === undefined) return '--metrics-host needs --metrics-port';
      if (metricsHost === '') return '--metrics-host needs an address';
      out.metricsHost = metricsHost;
    }
    const port = value('port');
    if (port !== undefined) {
      const n = Number(port);
      if (!/^\d+$/.test(port) || n > 65_535) return `bad port ${JSON.stringify(port)}`;
      out.port = n;
    }
    const host = value('host');
    if (host !== undefined) {
      if (host === '') return '--host needs an address';
      out.host = host;
    }
    for (const u of values('user')) out.users.push(userPair('--user', u));
    const userFile = value('user-file');
    if (userFile !== undefined) {
      let text: string;
      try {
        text = readFileSync(userFile, 'utf8');
      } catch (err) {
        return `--user-file: cannot read ${userFile} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`;
      }
      const before = out.users.length;
      for (const line of text.split(/\r?\n/)) {
        const t = line.trim();
        if (t !== '' && !t.startsWith('#')) out.users.push(userPair(`--user-file ${userFile}: each line`, t));
      }
      if (out.users.length === before) return `--user-file: ${userFile} has no users (a server open to everyone would be a surprise)`;
    }
    const given = values('name');
    for (const n of given) {
      if (!/^[A-Za-z0-9._~-][A-Za-z0-9._~/-]*$/.test(n) || n.includes('..')) return `--name needs a stream name (letters, digits, . _ ~ - /): ${JSON.stringify(n)}`;
    }
    for (const a of positional) {
      checkRTSPURL(a);
      out.urls.push(a);
    }
    if (out.urls.length === 0) return 'no back-end URL given';
    if (given.length > out.urls.length) return `${given.length} names for ${out.urls.length} URL(s)`;
    out.names = out.urls.map((_, i) => given[i] ?? (out.urls.length === 1 ? 'proxyStream' : `proxyStream-${i + 1}`));
    if (new Set(out.names).size !== out.names.length) return `a stream name is used twice: ${out.names.join(', ')}`;
    const creds = o.get('credentials');
    const fromEnvOrFile = readPassword({ env: value('password-env'), file: value('password-file') }, env);
    if (Array.isArray(creds)) {
      if (fromEnvOrFile !== undefined || o.has('backend-user')) return '-u gives the user and password: do not combine it with --backend-user/--password-env/--password-file';
      [out.username, out.password] = creds as [string, string];
    } else if (fromEnvOrFile !== undefined) {
      out.username = value('backend-user');
      if (out.username === undefined && out.urls.some((u) => new URL(u).username === '')) {
        return 'a password was given but no user name: add --backend-user name (or user@ in each URL)';
      }
      out.password = fromEnvOrFile;
    } else if (o.has('backend-user')) return '--backend-user needs --password-env or --password-file';
    return out;
  } catch (err) {
    if (err instanceof CLIUsageError) return err.message;
    throw err;
  }
}
