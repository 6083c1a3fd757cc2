import createDebug from 'debug';
import { DorsvrError, limitOption } from '@dorsvr/scheduler';
import type { FramedSource } from '../core/FramedSource.js';
import type { RTPSink } from '../rtp/RTPSink.js';
import { formatSDP, type SDPMediaInit } from '../sdp/formatSDP.js';
import { parseSDP } from '../sdp/parseSDP.js';
import type { SDPSessionDescription } from '../sdp/SDPTypes.js';
import { ServerMediaSession, type ServerMediaSessionOptions } from '../server/ServerMediaSession.js';
import { RelayRTPInterface } from './RelayRTPInterface.js';
import { RelayTrack, type RelayTrackOptions } from './RelayTrack.js';

const debug = createDebug('dorsvr:livemedia:relay');

/** Tracks of one relayed stream unless {@link RelayServerMediaSessionOptions.maxTracks} says otherwise. */
export const DEFAULT_RELAY_MAX_TRACKS = 16;

/** Options of a {@link RelayServerMediaSession}: the session's and every track's. */
export interface RelayServerMediaSessionOptions extends ServerMediaSessionOptions, RelayTrackOptions {
  /** `m=` sections at most (default {@link DEFAULT_RELAY_MAX_TRACKS}); more is refused (400). Anything but a positive integer throws `ERR_SERVER_OPTION`. */
  maxTracks?: number;
}

/** One input of {@link RelayServerMediaSession.fromSources}: a source and how to packetize it. */
export interface RelaySourceInput {
  /** Frames to relay (a live source, or a file through its framer). */
  source: FramedSource;
  /**
   * Make the RTP sink that packetizes `source`, sending through `rtpInterface` (its SDP lines
   * become the track's `m=` section).
   */
  createSink(rtpInterface: RelayRTPInterface): RTPSink;
}

/**
 * A live `ServerMediaSession` whose tracks relay RTP packets ({@link RelayTrack}s): a published
 * stream (made from the publisher's ANNOUNCEd SDP), a proxied one, or one fed by `FramedSource`s
 * ({@link fromSources}). Each `m=` section becomes one track, in order, served to readers by an
 * RTSP server like any other session (`RelayServerMediaSubsession`s).
 *
 * @example
 * ```ts
 * import { H264VideoRTPSink, H264VideoStreamFramer, RelayServerMediaSession } from '@dorsvr/livemedia';
 * import { RTSPServer } from '@dorsvr/rtspserver';
 *
 * const framer = await H264VideoStreamFramer.open('clip.264');
 * const relayed = RelayServerMediaSession.fromSources('relayed', [
 *   { source: framer, createSink: (rtpInterface) => new H264VideoRTPSink({ rtpInterface, payloadType: 96, sps: framer.sps, pps: framer.pps }) },
 * ]); // plays at once, in real time; a late reader starts at the next key frame
 * const server = new RTSPServer();
 * server.addServerMediaSession(relayed);
 * await server.listen();
 * ```
 */
export class RelayServerMediaSession extends ServerMediaSession {
  /** One per `m=` section, in order (`track1` first). */
  readonly tracks: readonly RelayTrack[];
  /** The session description the tracks were made from. */
  readonly sdp: SDPSessionDescription;
  #ended = false;
  /** Sinks and sources feeding the tracks ({@link fromSources}). */
  #feeds: Array<{ sink: RTPSink; source: FramedSource }> = [];

  /**
   * @param name the stream name (URL path).
   * @param sdp the publisher's session description, parsed (`parseSDP`).
   * Throws `ERR_RELAY_SDP` (status 400) for an SDP with no `m=` section, too many, or one that is
   * not RTP.
   */
  constructor(name: string, sdp: SDPSessionDescription, options: RelayServerMediaSessionOptions = {}) {
    const sessionName = sdp.name.trim();
    super(name, {
      ...options,
      description: options.description ?? (sessionName !== '' && sessionName !== '-' ? sessionName : undefined),
      info: options.info ?? sdp.info,
    });
    const max = limitOption(options.maxTracks, DEFAULT_RELAY_MAX_TRACKS, 'maxTracks', 'ERR_SERVER_OPTION');
    if (sdp.media.length === 0) throw new DorsvrError('ERR_RELAY_SDP', 'the SDP has no m= section', { status: 400 });
    if (sdp.media.length > max) {
      throw new DorsvrError('ERR_RELAY_SDP', `the SDP has ${sdp.media.length} m= sections, more than ${max}`, { status: 400 });
    }
    for (const m of sdp.media) {
      if (!/^RTP\//i.test(m.protocol) || m.payloadTypes.length === 0) {
        throw new DorsvrError('ERR_RELAY_SDP', `cannot relay m=${m.type} ${m.protocol}: not an RTP stream`, { status: 400 });
      }
    }
    this.sdp = sdp;
    this.tracks = sdp.media.map((m) => new RelayTrack(m, options));
    for (const t of this.tracks) this.addSubsession(t.subsession);
  }

  /**
   * A relayed stream fed by `FramedSource`s, each through its RTP sink and a
   * {@link RelayRTPInterface}, so that a live source looks to readers exactly like a published
   * stream. The sources start playing at once, in real time (a reader joining later starts at the
   * next key frame); when all have ended the session {@link end}s, and {@link end} stops them.
   */
  static fromSources(name: string, inputs: readonly RelaySourceInput[], options: RelayServerMediaSessionOptions = {}): RelayServerMediaSession {
    const interfaces = inputs.map(() => new RelayRTPInterface());
    const sinks: RTPSink[] = [];
    try {
      for (const [i, input] of inputs.entries()) sinks.push(input.createSink(interfaces[i]!));
    } catch (err) {
      for (const s of sinks) s.close();
      throw err;
    }
    const media: SDPMediaInit[] = sinks.map((sink, i) => ({
      mediaType: sink.sdpMediaType(),
      payloadType: sink.payloadType,
      rtpmapLine: sink.rtpmapLine(),
      fmtpLine: sink.auxSDPLine(),
      control: `track${i + 1}`,
    }));
    const sdp = parseSDP(formatSDP({ sessionId: 0, name: options.description ?? name, durationSeconds: 0, media }));
    // A local source has no publisher to send receiver reports to.
    const session = new RelayServerMediaSession(name, sdp, { ...options, publisherReports: false });
    interfaces.forEach((f, i) => f.attach(session.tracks[i]!));
    session.#feeds = inputs.map((input, i) => ({ sink: sinks[i]!, source: input.source }));
    let running = inputs.length;
    for (const { sink, source } of session.#feeds) {
      sink.startPlaying(source).then(
        () => {
          if (--running === 0) session.end();
        },
        (err: unknown) => {
          debug('%s: a source feeding the relay failed: %s', name, err instanceof Error ? err.message : String(err));
          session.end();
        },
      );
    }
    return session;
  }

  /** True once {@link end} ran. */
  get ended(): boolean {
    return this.#ended;
  }

  /**
   * The publisher is gone (TEARDOWN, timeout, connection lost) or the sources ended: every track
   * ends ({@link RelayTrack.end}: the publisher gets a BYE, every reader an RTCP BYE after the BYE
   * delay and its stream emits `'end'`); sources feeding the session are stopped and closed.
   * Idempotent.
   */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    for (const { sink, source } of this.#feeds) {
      sink.close();
      source.close();
    }
    this.#feeds = [];
    for (const t of this.tracks) t.end();
  }

  /** {@link end}, then close every track (readers' BYE at once, sockets released). Idempotent. */
  override close(): void {
    this.end();
    super.close();
  }
}
