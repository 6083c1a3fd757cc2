#!/usr/bin/env node
/**
 * dorsvr-server: live555MediaServer's equal. Serves the media files of a directory over RTSP;
 * with --publish it also accepts publishers (ffmpeg -f rtsp, GStreamer rtspclientsink) on any path
 * that is not a served file, and readers play what they publish. RTSPS (--tls-cert/--tls-key), RTSP
 * over HTTP (--http-port) and multicast (--multicast) are off unless asked for.
 *
 *   dorsvr-server [dir] [options]        (dorsvr-server --help lists every option with its default)
 */
import { readFileSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { BasicTaskScheduler } from '@dorsvr/scheduler';
import { DynamicRTSPServer, DYNAMIC_SERVER_EXTENSIONS, isServableName } from './DynamicRTSPServer.js';
import { UserAuthenticationDatabase } from './UserAuthenticationDatabase.js';
import type { RTSPClientSession } from './RTSPClientSession.js';
import { parseServerArgs, serverHelp, SERVER_USAGE, type ServerArgs } from './parseServerArgs.js';

/** A bad command line: what is wrong, the usage line, exit 2. */
function badArgument(message: string): never {
  process.stderr.write(`dorsvr-server: ${message}\n${SERVER_USAGE}\n`);
  process.exit(2);
}

/** `dorsvr-server (@dorsvr/rtspserver) 0.1.0`: the command, its package, the version (as every dorsvr CLI says it). */
function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { name?: string; version?: string };
  return `dorsvr-server (${pkg.name ?? '@dorsvr/rtspserver'}) ${pkg.version ?? 'unknown'}`;
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

function parse(argv: string[]): ServerArgs {
  let r: ReturnType<typeof parseServerArgs>;
  try {
    r = parseServerArgs(argv);
  } catch (err) {
    badArgument(err instanceof Error ? err.message : String(err));
  }
  if (r === 'help') {
    process.stdout.write(serverHelp());
    process.exit(0);
  }
  if (r === 'version') {
    process.stdout.write(`${version()}\n`);
    process.exit(0);
  }
  return r;
}

async function main(): Promise<void> {
  const args = parse(process.argv.slice(2));
  // A directory that is not there (or not one, or not readable) is an error, not a server that serves nothing.
  try {
    if (!(await stat(args.dir)).isDirectory()) badArgument(`${args.dir} is not a directory`);
    await readdir(args.dir);
  } catch (err) {
    badArgument(`cannot serve ${args.dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let tls: { cert: Buffer; key: Buffer } | undefined;
  if (args.tlsCert !== undefined && args.tlsKey !== undefined) {
    try {
      tls = { cert: await readFile(args.tlsCert), key: await readFile(args.tlsKey) };
    } catch (err) {
      badArgument(`cannot read the TLS certificate or key: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const scheduler = new BasicTaskScheduler({ granularityUs: args.timerSlotMs * 1000 });
  let authDatabase: UserAuthenticationDatabase | undefined;
  if (args.users.length > 0) {
    authDatabase = new UserAuthenticationDatabase();
    for (const [u, p] of args.users) authDatabase.addUser(u, p);
  }
  let server: DynamicRTSPServer;
  try {
    server = new DynamicRTSPServer({
      scheduler,
      root: args.dir,
      port: args.port ?? (tls === undefined ? 8554 : 322),
      host: args.host,
      tls,
      httpPort: args.httpPort,
      multicast: args.multicast,
      rtpPortRange: args.rtpPortRange,
      authDatabase,
      allowBasicAuth: args.basic,
      requireDigestQop: args.requireQop,
      // With --user, publishing needs those credentials too (the server's database).
      publish: args.publish,
      // The status line (or --json's stats objects) comes from the server's 'stats' event.
      statsIntervalMs: args.statusSeconds > 0 && !args.quiet ? args.statusSeconds * 1000 : 0,
      metrics: args.metricsPort === undefined ? undefined : { port: args.metricsPort, host: args.metricsHost },
    });
  } catch (err) {
    // A bad option (an unusable TLS certificate, say) is said plainly, not as a stack trace.
    scheduler.close();
    badArgument(err instanceof Error ? err.message : String(err));
  }
  const log = (line: string): void => {
    if (!args.quiet && !args.json) console.log(line);
  };
  /** --json: one object a line on stdout, `type` first and the time it happened. */
  const json = (type: string, fields: Record<string, unknown>): void => {
    if (args.json) process.stdout.write(`${JSON.stringify({ type, time: new Date().toISOString(), ...fields })}\n`);
  };
  const role = (s: RTSPClientSession): 'publisher' | 'reader' => (server.publishing?.isPublisherSession(s) ? 'publisher' : 'reader');
  server.on('connection', (c) => {
    log(`client ${c.remoteAddress}:${c.remotePort} connected`);
    json('connection', { event: 'open', id: c.id, remoteAddress: c.remoteAddress, remotePort: c.remotePort });
  });
  server.on('disconnect', (c) => json('connection', { event: 'close', id: c.id, remoteAddress: c.remoteAddress, remotePort: c.remotePort }));
  server.on('sessionCreated', (s) => {
    const r = role(s);
    log(`session ${s.id}: ${s.remoteAddress} ${r === 'publisher' ? 'publishes' : 'plays'} ${s.streamName}`);
    json('session', { event: 'open', id: s.id, role: r, stream: s.streamName, remoteAddress: s.remoteAddress });
  });
  server.on('publish', (p) => {
    log(`publishing ${server.rtspURL(p.path)} (${p.trackCount} track${p.trackCount === 1 ? '' : 's'}) from ${p.connection.remoteAddress}`);
    json('publish', { path: p.path, url: server.rtspURL(p.path), tracks: p.trackCount, remoteAddress: p.connection.remoteAddress, username: p.username });
  });
  server.on('unpublish', (p, reason, stats) => {
    log(`unpublished ${p.path} (${reason}), ${stats.rtpPackets} packets, ${stats.rtpBytes} bytes received`);
    json('unpublish', { path: p.path, reason, packets: stats.rtpPackets, bytes: stats.rtpBytes, rtcpPackets: stats.rtcpPackets, oversized: stats.oversized, foreign: stats.foreign, whilePaused: stats.whilePaused });
  });
  server.on('sessionClosed', (s, reason, stats) => {
    log(`session ${s.id}: closed (${reason}), ${stats.packets} packets, ${stats.bytes} bytes sent`);
    const tracks = Object.entries(stats.tracks).map(([trackId, t]) => ({ trackId, ...t }));
    json('session', { event: 'close', id: s.id, stream: s.streamName, reason, packets: stats.packets, bytes: stats.bytes, tracks });
  });
  server.on('error', (err) => console.error('error:', err instanceof Error ? err.message : err));
  try {
    await server.listen();
  } catch (err) {
    console.error(`dorsvr-server: ${err instanceof Error ? err.message : String(err)}`);
    scheduler.close();
    process.exit(1);
  }
  const files = await listMedia(server.root);
  if (args.json) {
    json('listening', {
      root: server.root,
      port: server.port,
      httpPort: args.httpPort === undefined ? undefined : server.httpPort,
      metricsPort: args.metricsPort === undefined ? undefined : server.metricsPort,
      authentication: authDatabase !== undefined,
      publish: args.publish,
      urls: files.map((f) => server.rtspURL(f)),
    });
  } else {
    console.log(`dorsvr-server: serving ${server.root} on port ${server.port}${authDatabase ? ' (authentication required)' : ''}`);
    if (args.httpPort !== undefined) console.log(`RTSP over HTTP${tls ? 'S' : ''} on port ${server.httpPort}`);
    if (args.metricsPort !== undefined) console.log(`Prometheus metrics at http://${args.metricsHost.includes(':') ? `[${args.metricsHost}]` : args.metricsHost}:${server.metricsPort}/metrics`);
    if (files.length === 0) console.log(`(no ${[...DYNAMIC_SERVER_EXTENSIONS.keys()].join(' ')} files found)`);
    for (const f of files) console.log(`  ${server.rtspURL(f)}`);
    if (args.multicast) console.log(`multicast on request (RTP/AVP;multicast): groups ${args.multicast.groups}`);
    if (args.publish) {
      console.log(
        `accepting publishers on any other path, e.g. ${server.rtspURL('live/stream')}` +
          (authDatabase ? ' (credentials required)' : ' (anyone may publish: add --user name:password to require credentials)'),
      );
    }
  }
  // A status line while clients are connected (clients, bit rates, what readers report lost), or
  // with --json a stats object every tick: both from the server's 'stats' event.
  server.on('stats', (st) => {
    let lost = 0;
    for (const r of st.readerSessions) for (const t of r.tracks) lost += Math.max(0, t.packetsLost ?? 0);
    let publisherLost = 0;
    for (const p of st.publishedStreams) for (const t of p.tracks) publisherLost += Math.max(0, t.packetsLost ?? 0);
    if (args.json) {
      json('stats', { packetsLost: lost, publisherPacketsLost: publisherLost, ...st });
      return;
    }
    if (st.connections === 0 && st.readers === 0 && st.publishers === 0) return;
    const kbps = (bps: number): string => (bps / 1000).toFixed(0);
    console.log(
      `status: ${st.connections} connection${st.connections === 1 ? '' : 's'}, ${st.readers} reader${st.readers === 1 ? '' : 's'}, ` +
        `${st.publishers} publisher${st.publishers === 1 ? '' : 's'}, ${kbps(st.sentBitsPerSecond)} kbit/s sent, ` +
        (st.publishers > 0 ? `${kbps(st.receivedBitsPerSecond)} kbit/s received, ` : '') +
        `${lost} packets lost (receiver reports)` +
        (st.publishers > 0 ? `, ${publisherLost} lost from publishers` : ''),
    );
  });
  const stop = (): void => {
    log('stopping');
    json('stopping', {});
    void server.close().then(() => {
      scheduler.close();
      process.exit(0);
    });
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

void main();
