/**
 * A live source by subclassing: a generated 440 Hz tone (ToneSource, a FramedSource subclass),
 * sent as L16 audio (RFC 3551) to every client from one shared source, through
 * LiveServerMediaSubsession (no subclass of a subsession, no cast).
 *
 *   npm run build && node build/examples/liveToneServer.js [port]
 *
 * then `ffplay rtsp://127.0.0.1:8554/tone`.
 */
import { LiveServerMediaSubsession, ServerMediaSession } from '@dorsvr/livemedia';
import { RTSPServer } from '@dorsvr/rtspserver';
import { ToneSource } from './ToneSource.js';

const SAMPLE_RATE = 8000;

const port = Number(process.argv[2] ?? 8554);
const server = new RTSPServer({ port });
server.addServerMediaSession(
  new ServerMediaSession('tone', { description: 'A 440 Hz tone, generated live' }).addSubsession(
    new LiveServerMediaSubsession({
      source: new ToneSource({ frequency: 440, sampleRate: SAMPLE_RATE }),
      codec: 'l16',
      sampleRate: SAMPLE_RATE,
    }),
  ),
);
await server.listen().catch((err: unknown) => {
  console.error(`liveToneServer: ${err instanceof Error ? err.message : String(err)}`); // e.g. the port is in use
  process.exit(1);
});
console.log(`play the tone: ${server.rtspURL('tone')}`);
process.once('SIGINT', () => void server.close());
