/** What `dorsvr-client` was asked to do (see {@link parseClientArgs}). */
export interface ClientArgs {
  url: string;
  /** `-t`: RTP over the RTSP connection; otherwise UDP with automatic fallback to TCP. */
  tcp: boolean;
  /** `-d seconds`: record this long, then TEARDOWN. */
  durationSeconds: number | undefined;
  /** `-u user pass`. */
  username: string | undefined;
  password: string | undefined;
  /** `-F prefix`: put before every file name. */
  prefix: string;
  /** `-Q`: QoS statistics every second too, not only at the end. */
  qosEverySecond: boolean;
  /** `-o dir`: where the files go (default the working directory). */
  outputDir: string;
}

/** The usage line `dorsvr-client` prints on bad arguments. */
export const CLIENT_USAGE = 'usage: dorsvr-client <rtsp-url> [-t] [-d seconds] [-u user pass] [-F prefix] [-Q] [-o dir]';

/**
 * Parse `dorsvr-client`'s arguments (openRTSP's flags, by hand). Returns a message instead when
 * they are wrong (unknown flag, missing value, no URL, a second URL).
 */
export function parseClientArgs(argv: readonly string[]): ClientArgs | string {
  const out: ClientArgs = {
    url: '',
    tcp: false,
    durationSeconds: undefined,
    username: undefined,
    password: undefined,
    prefix: '',
    qosEverySecond: false,
    outputDir: '.',
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (what: string): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs ${what}`);
      return v;
    };
    try {
      if (a === '-t') out.tcp = true;
      else if (a === '-Q') out.qosEverySecond = true;
      else if (a === '-d') {
        const v = value('a duration in seconds');
        const d = Number(v);
        if (!Number.isFinite(d) || d <= 0) return `-d: ${JSON.stringify(v)} is not a positive number of seconds`;
        out.durationSeconds = d;
      } else if (a === '-u') {
        out.username = value('a user name and a password');
        out.password = value('a password after the user name');
      } else if (a === '-F') out.prefix = value('a file name prefix');
      else if (a === '-o') out.outputDir = value('a directory');
      else if (a === '-h' || a === '--help') return 'help';
      else if (a.startsWith('-') && a !== '-') return `unknown option ${a}`;
      else if (out.url === '') out.url = a;
      else return `unexpected argument ${JSON.stringify(a)} (one URL only)`;
    } catch (err) {
      return (err as Error).message;
    }
  }
  if (out.url === '') return 'no URL given';
  if (!/^rtsp:\/\//i.test(out.url)) return `${JSON.stringify(out.url)} is not an rtsp:// URL`;
  return out;
}
