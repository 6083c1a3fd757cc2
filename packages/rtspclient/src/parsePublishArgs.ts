import { checkRTSPURL, CLIUsageError, CREDENTIAL_CLI_OPTIONS, formatHelp, HELP_VERSION_CLI_OPTIONS, parseCLIArgs, readStatusMode, readTLSOptions, resolveCLICredentials, RTSP_URL_SCHEMES_HELP, TLS_CLI_OPTIONS, type CLIOption, type StatusMode } from './cliSupport.js';
import type { RTSPClientTLSOptions } from './RTSPClient.js';

/** What `dorsvr-publish` was asked to do (see {@link parsePublishArgs}). */
export interface PublishArgs {
  /** The file to send (its extension picks the track: .264 .265 .aac .mp3 .wav .ts). */
  file: string;
  /** Where to publish (`rtsp://[user:pass@]host[:port]/path`, or `rtsps://`, `rtsph://`, `rtspsh://`). */
  url: string;
  /** `--ca file` / `--insecure`: how an `rtsps://` server's certificate is checked (default: against Node's CAs). */
  tls: RTSPClientTLSOptions;
  /** `-t`: RTP over the RTSP connection; otherwise UDP (TCP when the server refuses UDP). */
  tcp: boolean;
  /** `--loop`: start the file again at its end, until interrupted. */
  loop: boolean;
  /** `-u user pass`, or `--user` with `--password-env`/`--password-file`. */
  username: string | undefined;
  password: string | undefined;
  /** `--quiet` / `--json`: how progress is reported (default a progress line on stderr). */
  status: StatusMode;
}

/** The usage line `dorsvr-publish` prints on bad arguments (and first in `--help`). */
export const PUBLISH_USAGE =
  'usage: dorsvr-publish <file> <rtsp-url> [-t] [--loop] [-u user pass | --user name --password-env VAR | --password-file file] [--ca file | -k] [-q | --json]';

/** Every option of `dorsvr-publish`, as `--help` lists them. */
export const PUBLISH_OPTIONS: readonly CLIOption[] = [
  { name: 'tcp', short: 't', description: 'send RTP over the RTSP connection (TCP)', default: 'UDP, TCP when the server refuses UDP' },
  { name: 'loop', description: 'start the file again at its end, until SIGINT/SIGTERM', default: 'off: send it once' },
  ...CREDENTIAL_CLI_OPTIONS,
  ...TLS_CLI_OPTIONS,
  { name: 'quiet', short: 'q', description: 'no progress line or messages (errors still go to stderr)', default: 'off' },
  { name: 'json', description: "progress every second (packets, bytes, the server's loss/jitter/RTT reports) and the summary as JSON lines on stdout", default: 'off' },
  ...HELP_VERSION_CLI_OPTIONS,
];

/** `dorsvr-publish --help`. */
export function publishHelp(): string {
  return formatHelp(
    PUBLISH_USAGE,
    'Sends a file to an RTSP server in real time (ANNOUNCE, SETUP mode=record, RECORD), as a server\n' +
      'would stream it: .264/.h264, .265/.h265, .aac, .mp3, .wav, .ts.\n' +
      `${RTSP_URL_SCHEMES_HELP}\n` +
      'Exit status: 0 sent (or stopped by SIGINT/SIGTERM), 1 failed (one line on stderr says why), 2 bad arguments.',
    PUBLISH_OPTIONS,
  );
}

/**
 * Parse `dorsvr-publish`'s arguments. Returns `'help'` or `'version'` when asked, or a message
 * instead when they are wrong (unknown flag, missing value, missing or extra file or URL, not
 * an RTSP URL, an unreadable --ca file, a password variable that is unset or a password file that cannot be read).
 */
export function parsePublishArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): PublishArgs | 'help' | 'version' | string {
  try {
    const { options: o, positional } = parseCLIArgs(PUBLISH_OPTIONS, argv);
    if (o.has('help')) return 'help';
    if (o.has('version')) return 'version';
    const status = readStatusMode(o);
    const out: PublishArgs = { file: '', url: '', tls: readTLSOptions(o), tcp: o.has('tcp'), loop: o.has('loop'), username: undefined, password: undefined, status };
    if (positional.length < 2) return positional.length === 0 ? 'no file and no URL given' : 'no URL given';
    if (positional.length > 2) return `unexpected argument ${JSON.stringify(positional[2])} (one file and one URL)`;
    [out.file, out.url] = positional as [string, string];
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
