/**
 * live555ProxyServer in a few lines: serves a back-end RTSP stream (a camera, another server) to
 * any number of players over one back-end session, reconnecting when the back-end fails.
 *
 *   npm run build && node build/examples/proxyServer.js [rtsp-url|-] [port]
 *
 * With no URL (or `-`) it first starts our own media server on test/fixtures (on a free port) and proxies
 * its test.264, so it runs with one command; play the printed URL (e.g. `ffplay rtsp://…/proxyStream`).
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BasicTaskScheduler } from '@dorsvr/scheduler';
import { DynamicRTSPServer, RTSPServer } from '@dorsvr/rtspserver';
import { ProxyServerMediaSession } from '@dorsvr/rtspclient';

const scheduler = new BasicTaskScheduler();
const port = Number(process.argv[3] ?? 8554);

let origin: DynamicRTSPServer | undefined;
let backend = process.argv[2];
if (backend === undefined || backend === '' || backend === '-') {
  const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'test', 'fixtures');
  origin = new DynamicRTSPServer({ scheduler, root: fixtures, port: 0, host: '127.0.0.1' });
  await origin.listen();
  backend = `rtsp://127.0.0.1:${origin.port}/test.264`;
}

const server = new RTSPServer({ scheduler, port });
const proxy = new ProxyServerMediaSession('proxyStream', backend, { scheduler });
proxy.events.on('state', (state, why) => console.log(`back-end ${state}${why === undefined ? '' : ` (${why})`}`));
server.addServerMediaSession(proxy);
await server.listen().catch((err: unknown) => {
  console.error(`proxyServer: ${err instanceof Error ? err.message : String(err)}`); // e.g. the port is in use
  process.exit(1);
});
console.log(`proxying ${backend}: play ${server.rtspURL(proxy)}`);

process.once('SIGINT', () => {
  const s = proxy.stats;
  console.log(`readers ${s.readers}, reconnects ${s.reconnects}, ${s.packetsReceived} packets from the back-end, ${s.packetsLost} lost`);
  proxy.close();
  void Promise.all([server.close(), origin?.close()]).then(() => scheduler.close());
});
