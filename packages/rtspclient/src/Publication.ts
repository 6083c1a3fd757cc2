import createDebug from 'debug';
import { EventEmitter } from 'eventemitter3';
import type { OnDemandServerMediaSubsession, RTPSinkLike } from '@dorsvr/livemedia';
import { LoopingSource } from './LoopingSource.js';
import type { PublishSession } from './PublishSession.js';
import type { PublishTrack } from './PublishTrack.js';
import type { RTSPTransportMode } from './RTSPClient.js';

const debug = createDebug('dorsvr:rtspclient:publish');

/** Options of {@link RTSPClient.publish}. */
export interface RTSPPublishOptions {
  /** How each track is carried (default: the client's {@link RTSPClientOptions.transport}). */
  transport?: RTSPTransportMode;
  /**
   * When a track's source ends, start it again (a file from its start), its RTP timestamps and
   * sequence numbers going on; {@link Publication.done} then resolves only after {@link Publication.stop}.
   */
  loop?: boolean;
}

/** Events of a {@link Publication}. */
export interface PublicationEvents {
  /** A track's source started again (`--loop`); `count` restarts of that track so far. */
  loop: [track: PublishTrack, count: number];
  /** Every track's source ended (or {@link Publication.stop} ran) and sending stopped. */
  end: [];
  /** A track's source or sink failed; that track stopped. */
  error: [track: PublishTrack, err: unknown];
}

/** What a {@link Publication} has sent so far. */
export interface PublicationStats {
  /** RTP packets sent, all tracks. */
  packetsSent: number;
  /** RTP payload bytes sent, all tracks. */
  bytesSent: number;
  /** Media time sent, in seconds: the furthest any track got. */
  secondsSent: number;
}

interface Part {
  track: PublishTrack;
  subsession: OnDemandServerMediaSubsession;
  source: LoopingSource;
  sink: RTPSinkLike;
}

/**
 * A `ServerMediaSession` being published by {@link RTSPClient.publish}: one source and RTP sink
 * per announced track, sent in real time. It owns those sources and sinks and closes them when
 * sending ends; the RTSP session itself ends with the client's `close()` (RTCP BYE, TEARDOWN).
 *
 * @example
 * ```ts
 * import { ServerMediaSession, createFileServerMediaSubsession } from '@dorsvr/livemedia';
 * import { RTSPClient } from '@dorsvr/rtspclient';
 *
 * const client = new RTSPClient('rtsp://127.0.0.1:8554/live', { transport: 'tcp' });
 * const track = createFileServerMediaSubsession('clip.264', { scheduler: client.scheduler })!;
 * const publication = await client.publish(new ServerMediaSession('live').addSubsession(track));
 * await publication.done; // the whole file was sent, in real time
 * console.log(publication.stats.packetsSent);
 * await client.close(); // RTCP BYE, TEARDOWN
 * ```
 */
export class Publication extends EventEmitter<PublicationEvents> {
  /** The announced session (its tracks, their transports and statistics). */
  readonly session: PublishSession;
  /** Resolves when every track stopped sending (end of its source, {@link stop}, or an error of its own, see `'error'`). */
  readonly done: Promise<void>;
  readonly #parts: Part[];
  #resolveDone: () => void = () => {};
  #started = false;
  #stopped = false;

  private constructor(session: PublishSession, parts: Part[]) {
    super();
    this.session = session;
    this.#parts = parts;
    this.done = new Promise((resolve) => (this.#resolveDone = resolve));
  }

  /**
   * Makes each track's source and RTP sink (opening the files, so a bad file fails before
   * RECORD). `subsessions[i]` is the track of `session.tracks[i]`.
   * @internal
   */
  static async prepare(session: PublishSession, subsessions: readonly OnDemandServerMediaSubsession[], options: RTSPPublishOptions): Promise<Publication> {
    const parts: Part[] = [];
    try {
      for (let i = 0; i < subsessions.length; i++) {
        const subsession = subsessions[i]!;
        const track = session.tracks[i]!;
        const input = await subsession.newStreamSource();
        let sink: RTPSinkLike;
        try {
          sink = subsession.newRTPSink(track.rtpInterface, input);
        } catch (err) {
          input.close();
          throw err;
        }
        const source = new LoopingSource(input, () => subsession.newStreamSource(), options.loop === true);
        parts.push({ track, subsession, source, sink });
      }
    } catch (err) {
      for (const p of parts) {
        p.sink.close();
        p.source.close();
      }
      throw err;
    }
    return new Publication(session, parts);
  }

  /**
   * Starts sending every track (after RECORD).
   * @internal
   */
  start(): void {
    if (this.#started || this.#stopped) return;
    this.#started = true;
    const sending = this.#parts.map(async (p) => {
      p.source.on('loop', (n) => this.emit('loop', p.track, n));
      try {
        await p.track.send(p.source, p.sink);
      } catch (err) {
        debug('%s: sending failed: %s', p.track.controlURL, (err as Error).message);
        this.emit('error', p.track, err);
      }
    });
    void Promise.all(sending).then(() => this.#finish());
  }

  /** Statistics now. */
  get stats(): PublicationStats {
    let packetsSent = 0;
    let bytesSent = 0;
    let sentUs = 0;
    for (const p of this.#parts) {
      const s = p.track.stats;
      packetsSent += s.packetsSent;
      bytesSent += s.bytesSent;
      sentUs = Math.max(sentUs, p.source.sentUs);
    }
    return { packetsSent, bytesSent, secondsSent: sentUs / 1e6 };
  }

  /** Stops sending (`done` resolves); the sources and sinks are closed. Idempotent. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const p of this.#parts) p.track.stop();
    if (!this.#started) this.#finish();
  }

  #finish(): void {
    for (const p of this.#parts) {
      p.sink.close();
      p.source.close();
    }
    this.#stopped = true;
    this.emit('end');
    this.#resolveDone();
  }
}
