#!/usr/bin/env node
/**
 * dorsvr-proxy: live555ProxyServer's equal — serves each back-end URL (a camera, another server;
 * `rtsp://`, `rtsps://` with --ca or --insecure, `rtsph://`, `rtspsh://`) to any number of players
 * over one back-end session per URL.
 *
 *   dorsvr-proxy <rtsp-url>... [--port N] [--host addr] [-t] [-u user pass | --backend-user name --password-env VAR | --password-file file]
 *                [--user name:password]... [--user-file file] [--name name]...   (--help lists every option)
 *
 * stdout: one line per stream, `<name>: <proxied rtsp:// URL> (proxies <back-end URL>)`, then a
 * line per back-end state change (`<name>: live`, `<name>: retrying (…; retry in 2.0 s)`, …) and
 * a status line every --status seconds while players are connected (none with --quiet); with
 * --json, JSON lines instead (streams, state changes, player sessions, stats ticks).
 * Exit status 0 on SIGINT/SIGTERM, 1 when the port cannot be listened on, 2 on bad arguments.
 *
 * It lives in a package of its own because it needs both the server (@dorsvr/rtspserver) and the
 * client (@dorsvr/rtspclient), which never import each other.
 */
import { BasicTaskScheduler } from '@dorsvr/scheduler';
import { RTSPServer, UserAuthenticationDatabase } from '@dorsvr/rtspserver';
import { packageVersion, parseProxyArgs, proxyHelp, PROXY_USAGE, ProxyServerMediaSession } from '@dorsvr/rtspclient';

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.href;
  } catch {
    return url;
  }
}

async function main(): Promise<number> {
  const parsed = parseProxyArgs(process.argv.slice(2));
  if (parsed === 'help') {
    process.stdout.write(proxyHelp());
    return 0;
  }
  if (parsed === 'version') {
    process.stdout.write(`${packageVersion(import.meta.url, 'dorsvr-proxy')}\n`);
    return 0;
  }
  if (typeof parsed === 'string') {
    process.stderr.write(`dorsvr-proxy: ${parsed}\n${PROXY_USAGE}   (dorsvr-proxy --help lists the options)\n`);
    return 2;
  }
  const args = parsed;
  if (args.tls.rejectUnauthorized === false && args.status !== 'quiet') process.stderr.write("dorsvr-proxy: warning: --insecure: the back-ends' TLS certificates are not verified\n");
  const scheduler = new BasicTaskScheduler();
  let authDatabase: UserAuthenticationDatabase | undefined;
  if (args.users.length > 0) {
    authDatabase = new UserAuthenticationDatabase();
    for (const [u, p] of args.users) authDatabase.addUser(u, p);
  }
  const server = new RTSPServer({
    scheduler,
    port: args.port,
    host: args.host,
    authDatabase,
    statsIntervalMs: args.status !== 'quiet' && args.statusSeconds > 0 ? args.statusSeconds * 1000 : 0,
    metrics: args.metricsPort === undefined ? undefined : { port: args.metricsPort, host: args.metricsHost },
  });
  /** A text line on stdout (not with --quiet or --json). */
  const say = (line: string): void => {
    if (args.status === 'text') process.stdout.write(`${line}\n`);
  };
  /** --json: one object a line on stdout. */
  const json = (type: string, fields: Record<string, unknown>): void => {
    if (args.status === 'json') process.stdout.write(`${JSON.stringify({ type, time: new Date().toISOString(), ...fields })}\n`);
  };
  server.on('error', (err) => process.stderr.write(`dorsvr-proxy: ${err instanceof Error ? err.message : String(err)}\n`));
  const proxies = args.urls.map((url, i) => {
    const name = args.names[i]!;
    // A URL's own password wins over -u for that URL; a URL's own user name goes with the given password.
    const u = new URL(url);
    const ownPassword = u.password !== '';
    const ownUser = u.username !== '';
    const proxy = new ProxyServerMediaSession(name, url, {
      scheduler,
      transport: args.tcp ? 'tcp' : 'auto',
      acceptMediaFromAnyAddress: args.acceptMediaFromAnyAddress,
      username: ownPassword || ownUser ? undefined : args.username,
      password: ownPassword ? undefined : args.password,
      tls: args.tls,
    });
    proxy.events.on('state', (state, why) => {
      say(`${name}: ${state}${why === undefined ? '' : ` (${why})`}`);
      json('state', { stream: name, state, reason: why });
    });
    proxy.events.on('tracksChanged', (tracks) => {
      say(`${name}: the back-end's tracks changed: ${tracks.map((n) => `track${n}`).join(', ')}`);
      json('tracksChanged', { stream: name, tracks });
    });
    server.addServerMediaSession(proxy);
    return proxy;
  });
  try {
    await server.listen();
  } catch (err) {
    process.stderr.write(`dorsvr-proxy: cannot listen on port ${args.port}: ${err instanceof Error ? err.message : String(err)}\n`);
    for (const p of proxies) p.close();
    scheduler.close();
    return 1;
  }
  if (args.status === 'json') {
    json('listening', {
      port: server.port,
      metricsPort: args.metricsPort === undefined ? undefined : server.metricsPort,
      authentication: authDatabase !== undefined,
      streams: proxies.map((p, i) => ({ name: p.name, url: server.rtspURL(p), backend: redact(args.urls[i]!) })),
    });
  } else {
    for (const [i, p] of proxies.entries()) {
      process.stdout.write(`${p.name}: ${server.rtspURL(p)} (proxies ${redact(args.urls[i]!)})${authDatabase ? ' (authentication required)' : ''}\n`);
    }
    if (args.metricsPort !== undefined) process.stdout.write(`Prometheus metrics at http://${args.metricsHost.includes(':') ? `[${args.metricsHost}]` : args.metricsHost}:${server.metricsPort}/metrics\n`);
  }
  server.on('sessionCreated', (s) => json('session', { event: 'open', id: s.id, stream: s.streamName, remoteAddress: s.remoteAddress }));
  server.on('sessionClosed', (s, reason, st) => json('session', { event: 'close', id: s.id, stream: s.streamName, reason, packets: st.packets, bytes: st.bytes }));
  // Players, the bit rate sent to them, and each back-end's state, bit rate and loss.
  server.on('stats', (st) => {
    const backends = proxies.map((p) => ({ name: p.name, ...p.stats }));
    if (args.status === 'json') {
      json('stats', { ...st, backends });
      return;
    }
    if (st.connections === 0 && st.readers === 0) return;
    const lost = st.readerSessions.reduce((n, r) => n + r.tracks.reduce((m, t) => m + Math.max(0, t.packetsLost ?? 0), 0), 0);
    say(
      `status: ${st.readers} player${st.readers === 1 ? '' : 's'}, ${(st.sentBitsPerSecond / 1000).toFixed(0)} kbit/s sent, ${lost} packets lost (receiver reports); ` +
        backends.map((b) => `${b.name}: ${b.state}, ${b.bitrateKbps.toFixed(0)} kbit/s in, ${b.packetsLost} lost`).join('; '),
    );
  });
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  say('stopping');
  json('stopping', {});
  for (const p of proxies) p.close();
  await server.close();
  scheduler.close();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`dorsvr-proxy: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
