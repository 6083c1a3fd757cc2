/**
 * live555MediaServer: serves every media file of a directory, each as `rtsp://host:port/<file>`,
 * created on its first DESCRIBE (the same as the `dorsvr-server` CLI, in a few lines).
 *
 *   npm run build && node build/examples/mediaServer.js [dir] [port]
 */
import * as path from 'node:path';
import { DynamicRTSPServer } from '@dorsvr/rtspserver';

const root = path.resolve(process.argv[2] ?? '.');
const port = Number(process.argv[3] ?? 8554);

const server = new DynamicRTSPServer({ root, port }); // no scheduler given: the shared defaultScheduler()
server.on('sessionCreated', (s) => console.log(`${s.remoteAddress} plays ${s.streamName} (session ${s.id})`));
server.on('sessionClosed', (s, reason, stats) => console.log(`session ${s.id} ended (${reason}): ${stats.packets} packets`));
await server.listen();
console.log(`serving ${root}: play rtsp://127.0.0.1:${server.port}/<file name> (.264 .265 .aac .mp3 .wav .ts)`);
process.once('SIGINT', () => void server.close());
