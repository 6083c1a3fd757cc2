/**
 * live555's testOnDemandRTSPServer: one named stream per codec, each client getting its own
 * reader of the file (so it can pause and seek on its own).
 *
 *   npm run build && node build/examples/onDemandServer.js [port] [dir]
 *
 * then e.g. `ffplay rtsp://127.0.0.1:8554/h264ESVideoTest`.
 */
import * as path from 'node:path';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  ServerMediaSession,
  H264VideoFileServerMediaSubsession,
  H265VideoFileServerMediaSubsession,
  ADTSAudioFileServerMediaSubsession,
  MP3AudioFileServerMediaSubsession,
  WAVAudioFileServerMediaSubsession,
  MPEG2TransportFileServerMediaSubsession,
  type FileServerMediaSubsessionOptions,
  type ServerMediaSubsession,
} from '@dorsvr/livemedia';
import { RTSPServer } from '@dorsvr/rtspserver';

const here = path.dirname(fileURLToPath(import.meta.url));
const port = Number(process.argv[2] ?? 8554);
const dir = path.resolve(process.argv[3] ?? path.join(here, '..', '..', 'test', 'fixtures'));

const server = new RTSPServer({ port }); // no scheduler given: server and tracks share defaultScheduler()
const options: FileServerMediaSubsessionOptions = { reuseFirstSource: false };

// [stream name, description, file, subsession factory]
const streams: Array<[string, string, string, (file: string) => ServerMediaSubsession]> = [
  ['h264ESVideoTest', 'H.264 video elementary stream', 'test.264', (f) => new H264VideoFileServerMediaSubsession(f, options)],
  ['h265ESVideoTest', 'H.265 video elementary stream', 'test.265', (f) => new H265VideoFileServerMediaSubsession(f, options)],
  ['aacAudioTest', 'AAC audio (ADTS)', 'test.aac', (f) => new ADTSAudioFileServerMediaSubsession(f, options)],
  ['mp3AudioTest', 'MPEG-1 layer 3 audio', 'test.mp3', (f) => new MP3AudioFileServerMediaSubsession(f, options)],
  ['wavAudioTest', 'WAV (PCM) audio', 'test.wav', (f) => new WAVAudioFileServerMediaSubsession(f, options)],
  ['mpeg2TransportStreamTest', 'MPEG-2 transport stream', 'test.ts', (f) => new MPEG2TransportFileServerMediaSubsession(f, options)],
];

for (const [name, description, file, make] of streams) {
  const full = path.join(dir, file);
  if (!existsSync(full)) {
    console.log(`(skipping ${name}: ${full} not found)`);
    continue;
  }
  const sms = new ServerMediaSession(name, { description, info: file });
  sms.addSubsession(make(full));
  server.addServerMediaSession(sms);
}

server.on('connection', (c) => console.log(`client ${c.remoteAddress}:${c.remotePort} connected`));
server.on('error', (err) => console.error('error:', err instanceof Error ? err.message : err));
await server.listen().catch((err: unknown) => {
  console.error(`onDemandServer: ${err instanceof Error ? err.message : String(err)}`); // e.g. the port is in use
  process.exit(1);
});
for (const sms of server.serverMediaSessions.values()) {
  console.log(`"${sms.name}" stream, from the file "${sms.info}": play it with ${server.rtspURL(sms)}`);
}
process.once('SIGINT', () => void server.close());
