#!/usr/bin/env node
/**
 * dorsvr-server: live555MediaServer's equal. Serves the media files of a directory over RTSP;
 * with --publish it also accepts publishers (ffmpeg -f rtsp, GStreamer rtspclientsink) on any path
 * that is not a served file, and readers play what they publish.
 *
 *   dorsvr-server [dir] [--port N] [--user name:password]… [--host addr] [--basic] [--publish]
 *                 [--tls-cert F --tls-key F] [--http-port N] [--multicast GROUPS]
 *
 * With --tls-cert and --tls-key (PEM files) it serves RTSPS (rtsps://) on --port (default 322).
 * With --http-port it also serves RTSP over HTTP (the QuickTime/VLC tunnel; HTTPS with TLS) there.
 * With --multicast 239.255.42.0/24 (or A.B.C.D-E.F.G.H) it answers multicast SETUPs with groups from it.
 */
import { readdir, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { BasicTaskScheduler } from '@dorsvr/scheduler';
import { DynamicRTSPServer, DYNAMIC_SERVER_EXTENSIONS, isServableName } from './DynamicRTSPServer.js';
import { UserAuthenticationDatabase } from './UserAuthenticationDatabase.js';

interface CliArgs {
  dir: string;
  port: number;
  host: string | undefined;
  users: Array<[string, string]>;
  basic: boolean;
  publish: boolean;
  tlsCert: string | undefined;
  tlsKey: string | undefined;
  portSet: boolean;
  httpPort: number | undefined;
  multicast: string | undefined;
}

function usage(): never {
  process.stderr.write(
    'usage: dorsvr-server [dir] [--port N] [--host addr] [--user name:password]... [--basic] [--publish] [--tls-cert F --tls-key F] [--http-port N] [--multicast GROUPS]\n',
  );
  process.exit(2);
}

function parseArgs(argv: string[]): CliArgs {
  const out: CliArgs = {
    dir: '.',
    port: 8554,
    host: undefined,
    users: [],
    basic: false,
    publish: false,
    tlsCert: undefined,
    tlsKey: undefined,
    portSet: false,
    httpPort: undefined,
    multicast: undefined,
  };
  let dirSet = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) usage();
      return v;
    };
    if (a === '--port' || a === '-p') {
      const n = Number(next());
      if (!Number.isInteger(n) || n < 0 || n > 65535) usage();
      out.port = n;
      out.portSet = true;
    } else if (a === '--host') out.host = next();
    else if (a === '--tls-cert') out.tlsCert = next();
    else if (a === '--tls-key') out.tlsKey = next();
    else if (a === '--http-port') {
      const n = Number(next());
      if (!Number.isInteger(n) || n < 0 || n > 65535) usage();
      out.httpPort = n;
    } else if (a === '--multicast') out.multicast = next();
    else if (a === '--user' || a === '-u') {
      const v = next();
      const c = v.indexOf(':');
      if (c <= 0) usage();
      out.users.push([v.slice(0, c), v.slice(c + 1)]);
    } else if (a === '--basic') out.basic = true;
    else if (a === '--publish') out.publish = true;
    else if (a === '--help' || a === '-h') usage();
    else if (!a.startsWith('-') && !dirSet) {
      out.dir = a;
      dirSet = true;
    } else usage();
  }
  // Both or neither: half a TLS configuration must not silently serve plain RTSP.
  if ((out.tlsCert === undefined) !== (out.tlsKey === undefined)) usage();
  return out;
}

async function listMedia(root: string, rel = '', depth = 0): Promise<string[]> {
  if (depth > 4) return [];
  const out: string[] = [];
  let entries;
  try {
    entries = await readdir(path.join(root, rel), { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    // Dotfiles and dot-directories are never served, so never listed.
    if (e.name.startsWith('.')) continue;
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listMedia(root, r, depth + 1)));
    else if (e.isFile() && isServableName(r)) out.push(r);
  }
  return out;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const scheduler = new BasicTaskScheduler();
  let authDatabase: UserAuthenticationDatabase | undefined;
  if (args.users.length > 0) {
    authDatabase = new UserAuthenticationDatabase();
    for (const [u, p] of args.users) authDatabase.addUser(u, p);
  }
  let tls: { cert: Buffer; key: Buffer } | undefined;
  if (args.tlsCert !== undefined && args.tlsKey !== undefined) {
    try {
      tls = { cert: await readFile(args.tlsCert), key: await readFile(args.tlsKey) };
    } catch (err) {
      console.error(`cannot read the TLS certificate or key: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(2);
    }
  }
  let server: DynamicRTSPServer;
  try {
    server = new DynamicRTSPServer({
      scheduler,
      root: args.dir,
      port: tls !== undefined && !args.portSet ? 322 : args.port,
      tls,
      httpPort: args.httpPort,
      multicast: args.multicast === undefined ? undefined : { groups: args.multicast },
      host: args.host,
      authDatabase,
      allowBasicAuth: args.basic,
      // With --user, publishing needs those credentials too (the server's database).
      publish: args.publish,
    });
  } catch (err) {
    // A bad option (an unusable TLS certificate, say) is said plainly, not as a stack trace.
    console.error(err instanceof Error ? err.message : err);
    scheduler.close();
    process.exit(2);
  }
  server.on('connection', (c) => console.log(`client ${c.remoteAddress}:${c.remotePort} connected`));
  server.on('sessionCreated', (s) =>
    console.log(`session ${s.id}: ${s.remoteAddress} ${server.publishing?.isPublisherSession(s) ? 'publishes' : 'plays'} ${s.streamName}`),
  );
  server.on('publish', (p) => console.log(`publishing ${server.rtspURL(p.path)} (${p.trackCount} track${p.trackCount === 1 ? '' : 's'}) from ${p.connection.remoteAddress}`));
  server.on('unpublish', (p, reason, stats) => console.log(`unpublished ${p.path} (${reason}), ${stats.rtpPackets} packets, ${stats.rtpBytes} bytes received`));
  server.on('sessionClosed', (s, reason, stats) =>
    console.log(`session ${s.id}: closed (${reason}), ${stats.packets} packets, ${stats.bytes} bytes sent`),
  );
  server.on('error', (err) => console.error('error:', err instanceof Error ? err.message : err));
  try {
    await server.listen();
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    scheduler.close();
    process.exit(1);
  }
  const files = await listMedia(server.root);
  console.log(`dorsvr-server: serving ${server.root} on port ${server.port}${authDatabase ? ' (authentication required)' : ''}`);
  if (args.multicast !== undefined) console.log(`multicast from ${args.multicast}`);
  if (args.httpPort !== undefined) console.log(`RTSP over HTTP${tls ? 'S' : ''} on port ${server.httpPort}`);
  if (files.length === 0) console.log(`(no ${[...DYNAMIC_SERVER_EXTENSIONS.keys()].join(' ')} files found)`);
  for (const f of files) console.log(`  ${server.rtspURL(f)}`);
  if (args.publish) {
    console.log(
      `accepting publishers on any other path, e.g. ${server.rtspURL('live/stream')}` +
        (authDatabase ? ' (credentials required)' : ' (anyone may publish: add --user name:password to require credentials)'),
    );
  }
  const stop = (): void => {
    console.log('stopping');
    void server.close().then(() => {
      scheduler.close();
      process.exit(0);
    });
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

void main();
