#!/usr/bin/env node
/**
 * dorsvr-proxy: live555ProxyServer's equal — serves each back-end `rtsp://` URL (a camera, another
 * server) to any number of players over one back-end session per URL.
 *
 *   dorsvr-proxy <rtsp-url>... [--port N] [--host addr] [-t] [-u user pass | --backend-user name --password-env VAR | --password-file file]
 *                [--user name:password]... [--user-file file] [--name name]...   (--help lists every option)
 *
 * stdout: one line per stream, `<name>: <proxied rtsp:// URL> (proxies <back-end URL>)`, then a
 * line per back-end state change (`<name>: live`, `<name>: retrying (…; retry in 2.0 s)`, …).
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
    process.stdout.write(`${packageVersion(import.meta.url)}\n`);
    return 0;
  }
  if (typeof parsed === 'string') {
    process.stderr.write(`dorsvr-proxy: ${parsed}\n${PROXY_USAGE}   (dorsvr-proxy --help lists the options)\n`);
    return 2;
  }
  const args = parsed;
  const scheduler = new BasicTaskScheduler();
  let authDatabase: UserAuthenticationDatabase | undefined;
  if (args.users.length > 0) {
    authDatabase = new UserAuthenticationDatabase();
    for (const [u, p] of args.users) authDatabase.addUser(u, p);
  }
  const server = new RTSPServer({ scheduler, port: args.port, host: args.host, authDatabase });
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
      username: ownPassword || ownUser ? undefined : args.username,
      password: ownPassword ? undefined : args.password,
    });
    proxy.events.on('state', (state, why) => process.stdout.write(`${name}: ${state}${why === undefined ? '' : ` (${why})`}\n`));
    proxy.events.on('tracksChanged', (tracks) => process.stdout.write(`${name}: the back-end's tracks changed: ${tracks.map((n) => `track${n}`).join(', ')}\n`));
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
  for (const [i, p] of proxies.entries()) {
    process.stdout.write(`${p.name}: ${server.rtspURL(p)} (proxies ${redact(args.urls[i]!)})${authDatabase ? ' (authentication required)' : ''}\n`);
  }
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  process.stdout.write('stopping\n');
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
