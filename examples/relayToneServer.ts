/**
 * A live source through the relay: the generated tone (ToneSource) packetized once by its RTP sink
 * and relayed as packets to every reader, each with its own SSRC, sequence numbers and timestamps
 * (what a published stream looks like to readers; `RelayServerMediaSession.fromSources`).
 *
 *   npm run build && node build/examples/relayToneServer.js [port]
 *
 * then `ffplay rtsp://127.0.0.1:8554/relayed-tone`.
 */
import { BasicTaskScheduler } from '@dorsvr/scheduler';
import { RelayServerMediaSession, SimpleRTPSink } from '@dorsvr/livemedia';
import { RTSPServer } from '@dorsvr/rtspserver';
import { ToneSource } from './ToneSource.js';

const SAMPLE_RATE = 8000;
const port = Number(process.argv[2] ?? 8554);
const scheduler = new BasicTaskScheduler();
const server = new RTSPServer({ scheduler, port });
const session = RelayServerMediaSession.fromSources(
  'relayed-tone',
  [
    {
      source: new ToneSource({ frequency: 440, sampleRate: SAMPLE_RATE }),
      createSink: (rtpInterface) =>
        new SimpleRTPSink({
          scheduler,
          rtpInterface,
          payloadType: 96,
          sdpMediaType: 'audio',
          rtpTimestampFrequency: SAMPLE_RATE,
          rtpPayloadFormatName: 'L16',
        }),
    },
  ],
  { scheduler, description: 'A 440 Hz tone, relayed' },
);
server.addServerMediaSession(session);
await server.listen().catch((err: unknown) => {
  console.error(`relayToneServer: ${err instanceof Error ? err.message : String(err)}`); // e.g. the port is in use
  process.exit(1);
});
console.log(`play the relayed tone: ${server.rtspURL('relayed-tone')}`);
process.once('SIGINT', () => void server.close().then(() => scheduler.close()));
