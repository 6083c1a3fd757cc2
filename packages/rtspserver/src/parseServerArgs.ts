import { readFileSync } from 'node:fs';
import { DorsvrError } from '@dorsvr/scheduler';
import { MulticastAddressPool, checkPortRange, type MulticastOptions, type PortRange } from '@dorsvr/livemedia';

/** What `dorsvr-server` was asked to do (see {@link parseServerArgs}). */
export interface ServerArgs {
  /** The directory whose files are served. */
  dir: string;
  /** RTSP port; undefined: 8554, or 322 with TLS. */
  port: number | undefined;
  host: string | undefined;
  /** Users from `--user` and `--user-file`. */
  users: Array<[string, string]>;
  basic: boolean;
  /** `--require-qop`: refuse Digest answers without qop (the server's `requireDigestQop`). */
  requireQop: boolean;
  publish: boolean;
  tlsCert: string | undefined;
  tlsKey: string | undefined;
  httpPort: number | undefined;
  multicast: MulticastOptions | undefined;
  rtpPortRange: PortRange | undefined;
  /** Seconds between status lines (0: none). */
  statusSeconds: number;
  quiet: boolean;
  /** `--json`: events and status as JSON lines on stdout. */
  json: boolean;
  /** `--metrics-port`: serve Prometheus metrics on this port (undefined: off). */
  metricsPort: number | undefined;
  /** `--metrics-host`: the address of the metrics endpoint. */
  metricsHost: string;
  /**
   * `--timer-slot`: the scheduler's wake-up slot in ms ({@link DEFAULT_SERVER_TIMER_SLOT_MS}): every
   * paced packet of a served file due in one slot leaves at the slot's end, from one wake-up.
   */
  timerSlotMs: number;
}

/**
 * `dorsvr-server`'s default wake-up slot (ms), twice the library's 4 ms
 * (`DEFAULT_TIMER_GRANULARITY_US`): the command paces only files, whose players' jitter buffers
 * absorb the extra lateness (at most 8 ms plus Node's timer lateness; RTP timestamps are unchanged),
 * and relays published streams as packets arrive (never held to a slot), so no live stream gets
 * later. In the server benchmark at N = 10 it halves the wake-ups (MPEG-TS ~250 → ~130 per second)
 * and the CPU per packet falls by ~25 % over TCP and ~10 % over UDP (H.264: no change; see
 * guides/tuning.md). A live source of one's own, served through the pacing sink, does get later with
 * larger slots: an application embedding the server keeps the library default unless it chooses.
 */
export const DEFAULT_SERVER_TIMER_SLOT_MS = 8;
/** The largest `--timer-slot` (ms): half a 25 fps video frame; a wider slot would merge frames into bursts. */
const MAX_TIMER_SLOT_MS = 20;

/** One option of `dorsvr-server`, as `--help` lists it. */
interface ServerOption {
  readonly flags: string;
  readonly value?: string;
  readonly description: string;
  readonly default?: string;
}

/** Every option, declared once: the parser below and `--help` read this list. */
export const SERVER_OPTIONS: readonly ServerOption[] = [
  { flags: '-p, --port', value: 'N', description: 'RTSP port (0: any free one)', default: '8554, or 322 with TLS' },
  { flags: '--host', value: 'ADDR', description: 'address to listen on', default: 'all, IPv6 and IPv4' },
  { flags: '-u, --user', value: 'NAME:PASSWORD', description: 'require Digest credentials (repeatable); also needed to publish', default: 'no authentication' },
  { flags: '--user-file', value: 'FILE', description: 'users from a file, one NAME:PASSWORD a line (keeps passwords out of ps)' },
  { flags: '--basic', description: 'also accept Basic authentication', default: 'Digest only' },
  { flags: '--require-qop', description: 'refuse Digest answers without qop, so no captured request can be replayed (GStreamer and live555-based players then cannot play)', default: 'accepted' },
  { flags: '--publish', description: 'accept publishers (ANNOUNCE/RECORD) on any path that is not a served file', default: 'off' },
  { flags: '--tls-cert', value: 'FILE', description: 'serve RTSPS with this PEM certificate (with --tls-key)', default: 'plain RTSP' },
  { flags: '--tls-key', value: 'FILE', description: 'the PEM private key of --tls-cert' },
  { flags: '--http-port', value: 'N', description: 'also serve RTSP over HTTP (the QuickTime/VLC tunnel) on this port', default: 'off' },
  { flags: '--multicast', value: 'RANGE', description: 'answer multicast SETUPs with groups from RANGE (first-last or a CIDR block)', default: 'off' },
  { flags: '--multicast-ttl', value: 'N', description: 'TTL of multicast packets', default: '1' },
  { flags: '--multicast-interface', value: 'ADDR', description: 'local IPv4 address multicast leaves by', default: 'the address the reader reached' },
  { flags: '--rtp-port-range', value: 'MIN-MAX', description: 'UDP ports for RTP/RTCP pairs', default: '6970 and up' },
  { flags: '--status', value: 'SECONDS', description: 'seconds between status lines (clients, bit rates, packets lost) while clients are connected; with --json, between stats objects (0: none)', default: '10' },
  { flags: '-q, --quiet', description: 'print only the URLs and errors', default: 'off' },
  { flags: '--json', description: 'JSON lines on stdout: one object when listening, per event (session open/close, publish, unpublish) and per status tick', default: 'off' },
  { flags: '--metrics-port', value: 'N', description: 'serve Prometheus metrics at http://HOST:N/metrics', default: 'off' },
  { flags: '--metrics-host', value: 'ADDR', description: 'address of the metrics endpoint (with --metrics-port)', default: '127.0.0.1' },
  {
    flags: '--timer-slot',
    value: 'MS',
    description: `wake-up slot of the file pacing, 1-${MAX_TIMER_SLOT_MS}: packets due in one slot leave together at its end (fewer wake-ups, at most MS ms later; published streams are never held)`,
    default: String(DEFAULT_SERVER_TIMER_SLOT_MS),
  },
  { flags: '-h, --help', description: 'print this help and exit' },
  { flags: '-V, --version', description: 'print the version and exit' },
];

/** The one-line usage that follows a bad-argument message. */
export const SERVER_USAGE = 'usage: dorsvr-server [dir] [options]   (dorsvr-server --help lists them)';

/** The `--help` text: every option with its default. */
export function serverHelp(): string {
  const lines = [
    'dorsvr-server: serves the media files of a directory over RTSP (live555MediaServer\'s equal):',
    '.264 .h264 .265 .h265 .aac .mp3 .wav .ts, as rtsp://host:port/<path inside the directory>.',
    '',
    'usage: dorsvr-server [dir] [options]      dir: the directory to serve (default: the current one)',
    '',
  ];
  for (const o of SERVER_OPTIONS) {
    const left = `  ${o.flags}${o.value ? ` ${o.value}` : ''}`;
    lines.push(`${left.padEnd(34)} ${o.description}${o.default ? ` (default: ${o.default})` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}

function portNumber(flag: string, v: string): number {
  const n = Number(v);
  if (!/^\d{1,5}$/.test(v) || n > 65535) throw new DorsvrError('ERR_SERVER_OPTION', `${flag}: ${JSON.stringify(v)} is not a port number (0-65535)`);
  return n;
}

function userPair(flag: string, v: string): [string, string] {
  const c = v.indexOf(':');
  if (c <= 0) throw new DorsvrError('ERR_SERVER_OPTION', `${flag}: ${JSON.stringify(v)} is not NAME:PASSWORD`);
  // Fail closed: `--user "alice:$PW"` with PW unset must not make a user without a password.
  if (c === v.length - 1) throw new DorsvrError('ERR_SERVER_OPTION', `${flag}: ${JSON.stringify(v)} has an empty password`);
  return [v.slice(0, c), v.slice(c + 1)];
}

/**
 * Parse `dorsvr-server`'s arguments. Returns `'help'` or `'version'` when asked for them; throws a
 * `DorsvrError` (`ERR_SERVER_OPTION`) saying what is wrong otherwise. Reads `--user-file` (a file
 * that cannot be read is an error too).
 */
export function parseServerArgs(argv: readonly string[]): ServerArgs | 'help' | 'version' {
  const out: ServerArgs = {
    dir: '.',
    port: undefined,
    host: undefined,
    users: [],
    basic: false,
    requireQop: false,
    publish: false,
    tlsCert: undefined,
    tlsKey: undefined,
    httpPort: undefined,
    multicast: undefined,
    rtpPortRange: undefined,
    statusSeconds: 10,
    quiet: false,
    json: false,
    metricsPort: undefined,
    metricsHost: '127.0.0.1',
    timerSlotMs: DEFAULT_SERVER_TIMER_SLOT_MS,
  };
  let metricsHostSet = false;
  let dirSet = false;
  let ttl: number | undefined;
  let iface: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new DorsvrError('ERR_SERVER_OPTION', `${a} needs a value`);
      return v;
    };
    switch (a) {
      case '-h':
      case '--help':
        return 'help';
      case '-V':
      case '--version':
        return 'version';
      case '-p':
      case '--port':
        out.port = portNumber(a, value());
        break;
      case '--host':
        out.host = value();
        break;
      case '-u':
      case '--user':
        out.users.push(userPair(a, value()));
        break;
      case '--user-file': {
        const file = value();
        let text: string;
        try {
          text = readFileSync(file, 'utf8');
        } catch (err) {
          throw new DorsvrError('ERR_SERVER_OPTION', `--user-file: cannot read ${file}: ${(err as Error).message}`);
        }
        const before = out.users.length;
        for (const line of text.split(/\r?\n/)) {
          const t = line.trim();
          if (t !== '' && !t.startsWith('#')) out.users.push(userPair(`--user-file ${file}`, t));
        }
        // Fail closed: an empty file would otherwise mean a server open to everyone.
        if (out.users.length === before) throw new DorsvrError('ERR_SERVER_OPTION', `--user-file: ${file} has no users`);
        break;
      }
      case '--basic':
        out.basic = true;
        break;
      case '--require-qop':
        out.requireQop = true;
        break;
      case '--publish':
        out.publish = true;
        break;
      case '--tls-cert':
        out.tlsCert = value();
        break;
      case '--tls-key':
        out.tlsKey = value();
        break;
      case '--http-port':
        out.httpPort = portNumber(a, value());
        break;
      case '--multicast':
        out.multicast = { groups: value() };
        break;
      case '--multicast-ttl': {
        const v = value();
        ttl = Number(v);
        if (!/^\d{1,3}$/.test(v) || ttl > 255) throw new DorsvrError('ERR_SERVER_OPTION', `--multicast-ttl: ${JSON.stringify(v)} is not 0-255`);
        break;
      }
      case '--multicast-interface':
        iface = value();
        break;
      case '--rtp-port-range': {
        const v = value();
        const m = /^(\d{1,5})-(\d{1,5})$/.exec(v);
        if (!m) throw new DorsvrError('ERR_SERVER_OPTION', `--rtp-port-range: ${JSON.stringify(v)} is not MIN-MAX`);
        out.rtpPortRange = checkPortRange({ min: Number(m[1]), max: Number(m[2]) });
        break;
      }
      case '--status': {
        const v = value();
        const n = Number(v);
        if (v.trim() === '' || !Number.isFinite(n) || n < 0) throw new DorsvrError('ERR_SERVER_OPTION', `--status: ${JSON.stringify(v)} is not a number of seconds`);
        if (n > 0 && n < 0.1) throw new DorsvrError('ERR_SERVER_OPTION', `--status: ${v} is below 0.1 s (0 turns it off)`);
        out.statusSeconds = n;
        break;
      }
      case '-q':
      case '--quiet':
        out.quiet = true;
        break;
      case '--json':
        out.json = true;
        break;
      case '--metrics-port':
        out.metricsPort = portNumber(a, value());
        break;
      case '--metrics-host':
        out.metricsHost = value();
        metricsHostSet = true;
        break;
      case '--timer-slot': {
        const v = value();
        const n = Number(v);
        if (!/^\d{1,2}$/.test(v) || n < 1 || n > MAX_TIMER_SLOT_MS) {
          throw new DorsvrError('ERR_SERVER_OPTION', `--timer-slot: ${JSON.stringify(v)} is not a whole number of ms from 1 to ${MAX_TIMER_SLOT_MS}`);
        }
        out.timerSlotMs = n;
        break;
      }
      default:
        if (a.startsWith('-') && a !== '-') throw new DorsvrError('ERR_SERVER_OPTION', `unknown option ${a}`);
        if (dirSet) throw new DorsvrError('ERR_SERVER_OPTION', `unexpected argument ${JSON.stringify(a)} (one directory only)`);
        out.dir = a;
        dirSet = true;
    }
  }
  // Both or neither: half a TLS configuration must not silently serve plain RTSP.
  if ((out.tlsCert === undefined) !== (out.tlsKey === undefined)) {
    throw new DorsvrError('ERR_SERVER_OPTION', '--tls-cert and --tls-key go together');
  }
  if (out.json && out.quiet) throw new DorsvrError('ERR_SERVER_OPTION', '--json and --quiet exclude each other');
  if (metricsHostSet && out.metricsPort === undefined) throw new DorsvrError('ERR_SERVER_OPTION', '--metrics-host needs --metrics-port');
  if (out.requireQop && out.users.length === 0) throw new DorsvrError('ERR_SERVER_OPTION', '--require-qop needs --user or --user-file');
  if (out.multicast === undefined && (ttl !== undefined || iface !== undefined)) {
    throw new DorsvrError('ERR_SERVER_OPTION', '--multicast-ttl and --multicast-interface need --multicast');
  }
  if (out.multicast !== undefined) {
    if (ttl !== undefined) out.multicast.ttl = ttl;
    if (iface !== undefined) out.multicast.interfaceAddress = iface;
    // Checked now, so that a bad range is a bad argument rather than a failure after startup.
    new MulticastAddressPool(out.multicast);
  }
  return out;
}
