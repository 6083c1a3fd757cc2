/**
 * A live source by subclassing: a generated 440 Hz tone (ToneSource, a FramedSource subclass),
 * sent as L16 audio (RFC 3551) to every client from one shared source (`reuseFirstSource`).
 *
 *   npm run build && node build/examples/liveToneServer.js [port]
 *
 * then `ffplay rtsp://127.0.0.1:8554/tone`.
 */
import { BasicTaskScheduler } from '@dorsvr/scheduler';
import {
  OnDemandServerMediaSubsession,
  ServerMediaSession,
  SimpleRTPSink,
  type FramedSource,
  type OnDemandServerMediaSubsessionOptions,
  type RTPPacketSender,
  type RTPSinkLike,
} from '@dorsvr/livemedia';
import { RTSPServer } from '@dorsvr/rtspserver';
import { ToneSource } from './ToneSource.js';

const SAMPLE_RATE = 8000;

/** The subsession: says which source and which RTP sink; OnDemandServerMediaSubsession does the rest. */
class ToneServerMediaSubsession extends OnDemandServerMediaSubsession {
  constructor(options: OnDemandServerMediaSubsessionOptions) {
    super({ ...options, reuseFirstSource: true });
  }

  protected override async createNewStreamSource(): Promise<FramedSource> {
    return new ToneSource({ frequency: 440, sampleRate: SAMPLE_RATE });
  }

  protected override createNewRTPSink(rtpInterface: object, payloadType: number): RTPSinkLike {
    return new SimpleRTPSink({
      scheduler: this.scheduler,
      rtpInterface: rtpInterface as RTPPacketSender,
      payloadType,
      sdpMediaType: 'audio',
      rtpTimestampFrequency: SAMPLE_RATE,
      rtpPayloadFormatName: 'L16',
      numChannels: 1,
    });
  }

  protected override estimatedBitrateKbps(): number {
    return (SAMPLE_RATE * 16) / 1000;
  }
}

const port = Number(process.argv[2] ?? 8554);
const scheduler = new BasicTaskScheduler();
const server = new RTSPServer({ scheduler, port });
server.addServerMediaSession(
  new ServerMediaSession('tone', { description: 'A 440 Hz tone, generated live' }).addSubsession(
    new ToneServerMediaSubsession({ scheduler }),
  ),
);
await server.listen();
console.log(`play the tone: ${server.rtspURL('tone')}`);
process.once('SIGINT', () => void server.close().then(() => scheduler.close()));
