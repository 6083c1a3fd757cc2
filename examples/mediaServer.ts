/**
 * live555MediaServer: serves every media file of a directory, each as `rtsp://host:port/<file>`,
 * created on its first DESCRIBE (the same as the `dorsvr-server` CLI, in a few lines).
 *
 *   npm run build && node build/examples/mediaServer.js [dir] [port]
 */
import { statSync } from 'node:fs';
import * as path from 'node:path';
import { DynamicRTSPServer } from '@dorsvr/rtspserver';

const root = path.resolve(process.argv[2] ?? '.');
const port = Number(process.argv[3] ?? 8554);
// A directory that is not there is an error, not a server that serves nothing (as dorsvr-server).
try {
  if (!statSync(root).isDirectory()) throw new Error('not a directory');
} catch (err) {
  console.error(`mediaServer: cannot serve ${root}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  process.exit(2);
}

const server = new DynamicRTSPServer({ root, port }); // no scheduler given: the shared defaultScheduler()
server.on('sessionCreated', (s) => console.log(`${s.remoteAddress} plays ${s.streamName} (session ${s.id})`));
server.on('sessionClosed', (s, reason, stats) => console.log(`session ${s.id} ended (${reason}): ${stats.packets} packets`));
await server.listen().catch((err: unknown) => {
  console.error(`mediaServer: ${err instanceof Error ? err.message : String(err)}`); // e.g. the port is in use
  process.exit(1);
});
console.log(`serving ${root}: play rtsp://127.0.0.1:${server.port}/<file name> (.264 .265 .aac .mp3 .wav .ts)`);
process.once('SIGINT', () => void server.close());
