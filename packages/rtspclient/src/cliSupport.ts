/**
 * What the dorsvr CLIs (`dorsvr-client`, and the ones that follow it) share: options declared once
 * and parsed from that declaration (so `--help` lists every option with its default and cannot
 * drift from the parser), `--version`, passwords from an environment variable or a file instead of
 * argv, and a status line that is a rewritten line on a terminal, an occasional line in a log,
 * nothing with `--quiet`, and JSON lines with `--json`.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { RTSPClientTLSOptions } from './RTSPClient.js';
import { RTSPClientError } from './RTSPClientError.js';
import { parseRTSPURL } from './parseRTSPURL.js';

/** One option of a CLI. */
export interface CLIOption {
  /** The long name, without dashes (`duration` for `--duration`); the key of the parsed value. */
  readonly name: string;
  /** A one-letter alias, without the dash (`d` for `-d`). */
  readonly short?: string;
  /** Names of the values the option takes (`['seconds']`; `['user', 'password']` for two); none for a flag. */
  readonly values?: readonly string[];
  /** What it does, one line. */
  readonly description: string;
  /** The default as `--help` shows it (omitted when there is none worth saying). */
  readonly default?: string;
  /** May be given more than once: its values accumulate, in order (otherwise the last one given counts). */
  readonly repeatable?: boolean;
}

/** What {@link parseCLIArgs} found: each option given (flags as `true`, else their values), and the positional arguments. */
export interface ParsedCLIArgs {
  readonly options: ReadonlyMap<string, true | readonly string[]>;
  readonly positional: readonly string[];
}

/** A bad command line: the CLI prints the message and its usage, and exits 2. */
export class CLIUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CLIUsageError';
  }
}

/**
 * Parse `argv` against `spec`: `--name value`, `--name=value`, `-n value`, flags, and `--` ending
 * the options. Throws {@link CLIUsageError} for an unknown option or a missing value.
 */
export function parseCLIArgs(spec: readonly CLIOption[], argv: readonly string[]): ParsedCLIArgs {
  const options = new Map<string, true | readonly string[]>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('-') || a === '-') {
      positional.push(a);
      continue;
    }
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const flag = eq > 0 ? a.slice(0, eq) : a;
    const opt = flag.startsWith('--') ? spec.find((o) => o.name === flag.slice(2)) : spec.find((o) => o.short !== undefined && o.short === flag.slice(1));
    if (!opt) throw new CLIUsageError(`unknown option ${flag}`);
    const names = opt.values ?? [];
    if (names.length === 0) {
      if (eq > 0) throw new CLIUsageError(`${flag} takes no value`);
      options.set(opt.name, true);
      continue;
    }
    const values: string[] = [];
    if (eq > 0) values.push(a.slice(eq + 1));
    while (values.length < names.length) {
      const v = argv[++i];
      if (v === undefined) {
        const missing = names[values.length]!;
        throw new CLIUsageError(values.length === 0 ? `${flag} needs ${article(missing)} ${missing}` : `${flag} needs ${article(missing)} ${missing} after the ${names[values.length - 1]}`);
      }
      values.push(v);
    }
    const before = options.get(opt.name);
    options.set(opt.name, opt.repeatable === true && Array.isArray(before) ? [...(before as readonly string[]), ...values] : values);
  }
  return { options, positional };
}

function article(word: string): string {
  return /^[aeiou]/i.test(word) ? 'an' : 'a';
}

/** The `--help` text: the usage line, a description, then every option with its values and default. */
export function formatHelp(usage: string, description: string, spec: readonly CLIOption[]): string {
  const heads = spec.map((o) => {
    const long = `--${o.name}${(o.values ?? []).map((v) => ` <${v}>`).join('')}`;
    return o.short !== undefined ? `-${o.short}, ${long}` : `    ${long}`;
  });
  const width = Math.max(...heads.map((h) => h.length));
  const lines = spec.map((o, i) => {
    const def = o.default !== undefined ? ` (default: ${o.default})` : '';
    return `  ${heads[i]!.padEnd(width)}  ${o.description}${def}`;
  });
  return `${usage}\n\n${description}\n\nOptions:\n${lines.join('\n')}\n`;
}

/**
 * What `--version` prints: `<command> (<package>) <version>`, e.g. `dorsvr-client (@dorsvr/rtspclient) 0.1.0`
 * (every dorsvr CLI says it this way: the command, the npm package it comes from, its version), read
 * from the package.json next to the compiled CLI's `dist/` (`cliModuleURL`: its `import.meta.url`).
 * Without `command`, `<package> <version>`.
 */
export function packageVersion(cliModuleURL: string, command?: string): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', cliModuleURL), 'utf8')) as { name?: string; version?: string };
  const name = pkg.name ?? 'dorsvr';
  return `${command === undefined ? name : `${command} (${name})`} ${pkg.version ?? '0.0.0'}`;
}

/**
 * A password from the environment variable `env` or the file `file` (its first line), so it need
 * not appear in argv (where `ps` shows it). Throws {@link CLIUsageError} when the variable is
 * unset or empty, or the file cannot be read or its first line is empty.
 */
export function readPassword(source: { env?: string | undefined; file?: string | undefined }, environment: NodeJS.ProcessEnv = process.env): string | undefined {
  if (source.env !== undefined && source.file !== undefined) throw new CLIUsageError('give --password-env or --password-file, not both');
  if (source.env !== undefined) {
    const v = environment[source.env];
    if (v === undefined || v === '') throw new CLIUsageError(`--password-env: the environment variable ${source.env} is not set`);
    return v;
  }
  if (source.file !== undefined) {
    let text: string;
    try {
      text = readFileSync(source.file, 'utf8');
    } catch (err) {
      throw new CLIUsageError(`--password-file: cannot read ${source.file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    const first = text.split(/\r?\n/, 1)[0] ?? '';
    if (first === '') throw new CLIUsageError(`--password-file: the first line of ${source.file} is empty (it holds the password)`);
    return first;
  }
  return undefined;
}

/** The URL schemes the client CLIs take, as `--help` explains them (every one {@link parseRTSPURL} takes). */
export const RTSP_URL_SCHEMES_HELP =
  'URLs: rtsp://[user:pass@]host[:port]/path (port 554), rtsps:// (RTSP over TLS, port 322), rtsph:// (RTSP\n' +
  'tunnelled over HTTP, port 80), rtspsh:// (over HTTPS, port 443); IPv6 hosts in brackets. The server\'s TLS\n' +
  'certificate is verified against Node\'s CAs (or --ca), and its name against the host; an untrusted one is refused.';

/** The TLS options of the client CLIs (`--ca`, `--insecure`), as `--help` lists them. */
export const TLS_CLI_OPTIONS: readonly CLIOption[] = [
  { name: 'ca', values: ['file'], description: "for rtsps:// and rtspsh://: trust the CA certificate(s) in this PEM file instead of Node's (a self-signed server certificate itself will do)", default: "Node's CA store" },
  { name: 'insecure', short: 'k', description: "for rtsps:// and rtspsh://: do not verify the server's certificate (anyone on the path could read and change the stream)", default: 'off: a certificate that does not verify is refused' },
];

/**
 * `--accept-media-from-any-address` of the client CLIs, as `--help` lists it: the client's
 * `acceptMediaFromAnyAddress` option (off by default).
 */
export const ACCEPT_MEDIA_CLI_OPTION: CLIOption = {
  name: 'accept-media-from-any-address',
  description: "take RTP/RTCP over UDP from any address, not only the server's (for a server whose media leaves from another address; anyone who finds the port can then feed packets in)",
  default: "off: only from the server's address",
};

/** The credential options {@link resolveCLICredentials} reads (`-u`, `--user`, `--password-env`, `--password-file`), as `--help` lists them. */
export const CREDENTIAL_CLI_OPTIONS: readonly CLIOption[] = [
  { name: 'credentials', short: 'u', values: ['user', 'password'], description: 'user name and password (visible in ps: prefer --password-env/--password-file)', default: "none, or the URL's user:pass@" },
  { name: 'user', values: ['name'], description: 'user name for --password-env/--password-file', default: "the URL's user" },
  { name: 'password-env', values: ['VAR'], description: 'read the password from the environment variable VAR' },
  { name: 'password-file', values: ['file'], description: 'read the password from the first line of a file' },
];

/** `--help` and `--version`, the last options every CLI lists. */
export const HELP_VERSION_CLI_OPTIONS: readonly CLIOption[] = [
  { name: 'help', short: 'h', description: 'print this help and exit' },
  { name: 'version', short: 'V', description: 'print the version and exit' },
];

/**
 * Checks a CLI's URL argument: one {@link parseRTSPURL} takes (`rtsp://`, `rtsps://`, `rtsph://`,
 * `rtspsh://`, `rtspu://`). Throws {@link CLIUsageError} saying which schemes there are.
 */
export function checkRTSPURL(url: string): void {
  try {
    parseRTSPURL(url);
  } catch {
    throw new CLIUsageError(`${JSON.stringify(url)} is not an rtsp:// URL (nor rtsps://, rtsph://, rtspsh://)`);
  }
}

/**
 * The TLS options `--ca file` / `--insecure` ask for (see {@link TLS_CLI_OPTIONS}): `{ ca }` with
 * the file's certificates, `{ rejectUnauthorized: false }`, or `{}` (Node's CAs, verified). Throws
 * {@link CLIUsageError} when the file cannot be read or holds no PEM certificate, or both are given.
 */
export function readTLSOptions(options: ParsedCLIArgs['options']): RTSPClientTLSOptions {
  const ca = options.get('ca');
  const insecure = options.has('insecure');
  if (Array.isArray(ca) && insecure) throw new CLIUsageError('--ca and --insecure exclude each other (--ca verifies the certificate, --insecure does not)');
  if (insecure) return { rejectUnauthorized: false };
  if (!Array.isArray(ca)) return {};
  const file = (ca as readonly string[])[0]!;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CLIUsageError(`--ca: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const pems = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (pems.length === 0) throw new CLIUsageError(`--ca: ${file} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  for (const pem of pems) {
    try {
      new X509Certificate(pem);
    } catch (err) {
      throw new CLIUsageError(`--ca: ${file}: a certificate does not parse (${(err as Error).message})`);
    }
  }
  return { ca: pems };
}

/**
 * The user name and password of `dorsvr-client` and `dorsvr-publish` from their parsed options:
 * `-u user pass`, or `--user` (else the URL's `user@`) with `--password-env`/`--password-file`.
 * Returns both undefined when none is given, or a message saying what is wrong (`-u` combined
 * with the others, a password without a user name, `--user` without a password, a URL user name
 * that is not valid percent-encoding). Throws {@link CLIUsageError} as {@link readPassword} does.
 */
export function resolveCLICredentials(
  options: ParsedCLIArgs['options'],
  url: string,
  environment: NodeJS.ProcessEnv,
): { username: string | undefined; password: string | undefined } | string {
  const value = (name: string): string | undefined => {
    const v = options.get(name);
    return Array.isArray(v) ? (v as readonly string[])[0] : undefined;
  };
  const creds = options.get('credentials');
  const fromEnvOrFile = readPassword({ env: value('password-env'), file: value('password-file') }, environment);
  if (Array.isArray(creds)) {
    if (fromEnvOrFile !== undefined || options.has('user')) return '-u gives the user and password: do not combine it with --user/--password-env/--password-file';
    const [username, password] = creds as readonly string[];
    return { username, password };
  }
  if (fromEnvOrFile !== undefined) {
    let user = value('user');
    if (user === undefined) {
      const m = /^rtsp[a-z]*:\/\/([^@/]*)@/i.exec(url); // any scheme checkRTSPURL takes
      try {
        user = m ? decodeURIComponent(m[1]!.split(':')[0]!) : undefined;
      } catch {
        return `the user name in the URL (${JSON.stringify(m![1]!.split(':')[0])}) is not valid percent-encoding`;
      }
    }
    if (!user) return 'a password was given but no user name: add --user name (or user@ in the URL)';
    return { username: user, password: fromEnvOrFile };
  }
  if (options.has('user')) return '--user needs --password-env or --password-file';
  return { username: undefined, password: undefined };
}

/** How a CLI reports progress: a status line on stderr (by default), JSON lines on stdout, or nothing. */
export type StatusMode = 'text' | 'json' | 'quiet';

/** The {@link StatusMode} `--json` / `--quiet` ask for (text when neither); both is a usage error. */
export function readStatusMode(options: ParsedCLIArgs['options']): StatusMode {
  if (options.has('json') && options.has('quiet')) throw new CLIUsageError('--json and --quiet exclude each other');
  return options.has('json') ? 'json' : options.has('quiet') ? 'quiet' : 'text';
}

/**
 * Progress output. `text`: on a terminal one line rewritten in place on stderr, else a line every
 * `logEverySeconds`; `json`: one JSON object per line on stdout (`{"type":…}`); `quiet`: nothing.
 * Messages ({@link log}) go to stderr in every mode but `quiet` drops them unless they are errors.
 */
export class StatusLine {
  readonly mode: StatusMode;
  readonly #tty: boolean;
  readonly #logEvery: number;
  #shown = false;
  #count = 0;

  constructor(mode: StatusMode, options: { tty?: boolean; logEverySeconds?: number } = {}) {
    this.mode = mode;
    this.#tty = options.tty ?? process.stderr.isTTY === true;
    this.#logEvery = options.logEverySeconds ?? 2;
  }

  /** One status update (called about once a second): `text` for people, `data` for `--json`. */
  update(text: string, data: Record<string, unknown>): void {
    this.#count++;
    if (this.mode === 'json') this.json({ type: 'status', ...data });
    else if (this.mode === 'text') {
      if (this.#tty) {
        process.stderr.write(`\r\x1b[K${text}`);
        this.#shown = true;
      } else if (this.#count % this.#logEvery === 0) this.log(text);
    }
  }

  /** A JSON line on stdout (`--json` only). */
  json(data: Record<string, unknown>): void {
    if (this.mode === 'json') process.stdout.write(`${JSON.stringify(data)}\n`);
  }

  /** A message line on stderr (an `error` is printed even with `--quiet`). */
  log(line: string, error = false): void {
    if (this.mode === 'quiet' && !error) return;
    this.clear();
    process.stderr.write(`${line}\n`);
  }

  /** Remove the terminal status line, if shown. */
  clear(): void {
    if (this.#shown) {
      process.stderr.write('\r\x1b[K');
      this.#shown = false;
    }
  }
}

/** A message on one line (a server's reason phrase or a stack of causes may span several). */
export function oneLine(s: string): string {
  return s.replace(/\s*\r?\n\s*/g, ' ').trim();
}

/**
 * The one-line reason for a client CLI's failure, as a user wants to read it: a refused
 * connection names the host and port, a 401 says whether credentials are missing or wrong.
 */
export function explainClientError(err: unknown, args: { readonly url: string; readonly username: string | undefined }): string {
  if (err instanceof RTSPClientError) {
    if (err.code === 'ERR_RTSP_CONNECT') {
      const cause = err.cause as NodeJS.ErrnoException | undefined;
      if (cause?.code === 'ECONNREFUSED') {
        const u = parseRTSPURL(args.url);
        return `cannot connect to ${u.host.includes(':') ? `[${u.host}]` : u.host}:${u.port}: connection refused`;
      }
    }
    // A certificate that did not verify (not a handshake that failed for another reason).
    if (err.code === 'ERR_RTSP_TLS' && /CERT|SELF_SIGNED|UNABLE_TO|ALTNAME/.test(String((err.cause as NodeJS.ErrnoException | undefined)?.code ?? ''))) {
      return `${oneLine(err.message)} (the server's certificate was not accepted: --ca file trusts the CA that signed it; --insecure skips the check)`;
    }
    if (err.code === 'ERR_RTSP_STATUS' && err.status === 401) {
      const hint = args.username === undefined ? 'credentials required: use -u user pass' : 'the user name or password was refused';
      return `${oneLine(err.message)} (${hint})`;
    }
  }
  return oneLine(err instanceof Error ? err.message : String(err));
}
