import { ACCEPT_MEDIA_CLI_OPTION, checkRTSPURL, CLIUsageError, CREDENTIAL_CLI_OPTIONS, formatHelp, HELP_VERSION_CLI_OPTIONS, parseCLIArgs, readStatusMode, readTLSOptions, resolveCLICredentials, RTSP_URL_SCHEMES_HELP, TLS_CLI_OPTIONS, type CLIOption, type StatusMode } from './cliSupport.js';
import type { RTSPClientTLSOptions } from './RTSPClient.js';

/** What `dorsvr-client` was asked to do (see {@link parseClientArgs}). */
export interface ClientArgs {
  /** The stream: `rtsp://`, `rtsps://` (TLS), `rtsph://` / `rtspsh://` (tunnelled over HTTP / HTTPS). */
  url: string;
  /** `--ca file` / `--insecure`: how an `rtsps://` server's certificate is checked (default: against Node's CAs). */
  tls: RTSPClientTLSOptions;
  /** `-t`: RTP over the RTSP connection; otherwise UDP with automatic fallback to TCP. */
  tcp: boolean;
  /** `--accept-media-from-any-address`: RTP/RTCP over UDP from any address (default false: the server's only). */
  acceptMediaFromAnyAddress: boolean;
  /** `-d seconds`: record this long, then TEARDOWN. */
  durationSeconds: number | undefined;
  /** `-u user pass`, or `--user` with `--password-env`/`--password-file`. */
  username: string | undefined;
  password: string | undefined;
  /** `-F prefix`: put before every file name. */
  prefix: string;
  /** `-Q`: QoS statistics every second too, not only at the end. */
  qosEverySecond: boolean;
  /** `-o dir`: where the files go (default the working directory). */
  outputDir: string;
  /** `--quiet` / `--json`: how progress is reported (default a status line on stderr). */
  status: StatusMode;
}

/** The usage line `dorsvr-client` prints on bad arguments. */
export const CLIENT_USAGE =
  'usage: dorsvr-client <rtsp-url> [-t] [-d seconds] [-u user pass | --user name --password-env VAR | --password-file file] [-F prefix] [-Q] [-o dir] [--ca file | -k] [--accept-media-from-any-address] [-q | --json]';

/** Every option of `dorsvr-client`, as `--help` lists them. */
export const CLIENT_OPTIONS: readonly CLIOption[] = [
  { name: 'tcp', short: 't', description: 'receive RTP over the RTSP connection (TCP)', default: 'UDP, falling back to TCP when nothing arrives' },
  { name: 'duration', short: 'd', values: ['seconds'], description: 'record this long, then TEARDOWN', default: 'until the stream ends or SIGINT' },
  ...CREDENTIAL_CLI_OPTIONS,
  ...TLS_CLI_OPTIONS,
  ACCEPT_MEDIA_CLI_OPTION,
  { name: 'prefix', short: 'F', values: ['prefix'], description: 'put this before every file name', default: '""' },
  { name: 'qos', short: 'Q', description: 'print QoS statistics every second, not only at the end', default: 'off' },
  { name: 'output-dir', short: 'o', values: ['dir'], description: 'directory the files are written to (must exist and be writable)', default: '.' },
  { name: 'quiet', short: 'q', description: 'no status line or progress messages (errors still go to stderr)', default: 'off' },
  { name: 'json', description: 'status every second, files and QoS as JSON lines on stdout', default: 'off' },
  ...HELP_VERSION_CLI_OPTIONS,
];

/** `dorsvr-client --help`. */
export function clientHelp(): string {
  return formatHelp(
    CLIENT_USAGE,
    'Records every track of an RTSP stream to a file named <prefix><medium>-<codec>-<n><ext>\n' +
      '(e.g. video-H264-1.264), until the stream ends, -d seconds pass, or SIGINT/SIGTERM.\n' +
      `${RTSP_URL_SCHEMES_HELP}\n` +
      'Exit status: 0 done, 1 failed (one line on stderr says why), 2 bad arguments.',
    CLIENT_OPTIONS,
  );
}

/**
 * Parse `dorsvr-client`'s arguments (openRTSP's flags, and long names). Returns `'help'` or
 * `'version'` when asked, a message instead when they are wrong (unknown flag, missing value, no
 * URL, a second URL, a URL of another scheme, an unreadable --ca file, a password variable that is unset or a password file that cannot be read).
 */
export function parseClientArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ClientArgs | 'help' | 'version' | string {
  try {
    const { options: o, positional } = parseCLIArgs(CLIENT_OPTIONS, argv);
    if (o.has('help')) return 'help';
    if (o.has('version')) return 'version';
    const value = (name: string): string | undefined => {
      const v = o.get(name);
      return Array.isArray(v) ? (v as readonly string[])[0] : undefined;
    };
    const out: ClientArgs = {
      url: '',
      tls: readTLSOptions(o),
      tcp: o.has('tcp'),
      acceptMediaFromAnyAddress: o.has('accept-media-from-any-address'),
      durationSeconds: undefined,
      username: undefined,
      password: undefined,
      prefix: value('prefix') ?? '',
      qosEverySecond: o.has('qos'),
      outputDir: value('output-dir') ?? '.',
      status: readStatusMode(o),
    };
    const d = value('duration');
    if (d !== undefined) {
      const n = Number(d);
      if (!Number.isFinite(n) || n <= 0 || d.trim() === '') return `-d: ${JSON.stringify(d)} is not a positive number of seconds`;
      out.durationSeconds = n;
    }
    if (positional.length === 0) return 'no URL given';
    if (positional.length > 1) return `unexpected argument ${JSON.stringify(positional[1])} (one URL only)`;
    out.url = positional[0]!;
    checkRTSPURL(out.url);
    const credentials = resolveCLICredentials(o, out.url, env);
    if (typeof credentials === 'string') return credentials;
    out.username = credentials.username;
    out.password = credentials.password;
    return out;
  } catch (err) {
    if (err instanceof CLIUsageError) return err.message;
    throw err;
  }
}
