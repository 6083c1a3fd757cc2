/** What `dorsvr-publish` was asked to do (see {@link parsePublishArgs}). */
export interface PublishArgs {
  /** The file to send (its extension picks the track: .264 .265 .aac .mp3 .wav .ts). */
  file: string;
  /** Where to publish (`rtsp://[user:pass@]host[:port]/path`). */
  url: string;
  /** `-t`: RTP over the RTSP connection; otherwise UDP (TCP when the server refuses UDP). */
  tcp: boolean;
  /** `--loop`: start the file again at its end, until interrupted. */
  loop: boolean;
  /** `-u user pass`. */
  username: string | undefined;
  password: string | undefined;
}

/** The usage line `dorsvr-publish` prints for `--help` and on bad arguments. */
export const PUBLISH_USAGE = 'usage: dorsvr-publish <file> <rtsp-url> [-t] [--loop] [-u user pass]';

/**
 * Parse `dorsvr-publish`'s arguments. Returns `'help'` for `-h`/`--help`, or a message instead
 * when they are wrong (unknown flag, missing value, missing or extra file or URL, not rtsp://).
 */
export function parsePublishArgs(argv: readonly string[]): PublishArgs | 'help' | string {
  const out: PublishArgs = { file: '', url: '', tcp: false, loop: false, username: undefined, password: undefined };
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-t') out.tcp = true;
    else if (a === '--loop') out.loop = true;
    else if (a === '-u') {
      const user = argv[++i];
      const pass = argv[++i];
      if (user === undefined) return '-u needs a user name and a password';
      if (pass === undefined) return '-u needs a password after the user name';
      out.username = user;
      out.password = pass;
    } else if (a === '-h' || a === '--help') return 'help';
    else if (a.startsWith('-') && a !== '-') return `unknown option ${a}`;
    else positional.push(a);
  }
  if (positional.length < 2) return positional.length === 0 ? 'no file and no URL given' : 'no URL given';
  if (positional.length > 2) return `unexpected argument ${JSON.stringify(positional[2])} (one file and one URL)`;
  [out.file, out.url] = positional as [string, string];
  if (!/^rtsp:\/\//i.test(out.url)) return `${JSON.stringify(out.url)} is not an rtsp:// URL`;
  return out;
}
