import { EventEmitter } from 'eventemitter3';
import createDebug from 'debug';
import type { RelayServerMediaSession, SDPSessionDescription } from '@dorsvr/livemedia';
import type { RTSPClientSession } from './RTSPClientSession.js';
import type { RTSPClientConnection } from './RTSPClientConnection.js';
import type { PublisherTrackInput, PublisherTrackInputStats } from './PublisherTrackInput.js';
import { matchTrack, trackControlPath } from './publishControlPaths.js';

const debug = createDebug('dorsvr:rtspserver:publish');

/** Why a published stream ended. */
export type PublishEndReason = 'teardown' | 'timeout' | 'connection-closed' | 'taken-over' | 'server-closed' | 'announce-timeout' | 'error';

/**
 * Totals of a published stream over its tracks, since its ANNOUNCE: a track SET UP again keeps
 * counting from where its earlier SETUP left off.
 */
export interface PublishedStreamStats {
  /** RTP packets received from the publisher. */
  rtpPackets: number;
  /** Bytes of those packets. */
  rtpBytes: number;
  /** RTCP packets received from the publisher. */
  rtcpPackets: number;
  /** Packets dropped for exceeding the packet size limit. */
  oversized: number;
  /** UDP datagrams dropped for coming from another address than the publisher's. */
  foreign: number;
  /** RTP packets dropped, not relayed, because the publisher had PAUSEd their track. */
  whilePaused: number;
}

/** Events of a {@link PublishedStream}. */
export interface PublishedStreamEvents {
  /** The stream ended (once). */
  end: [reason: PublishEndReason];
}

/**
 * One publisher's stream at a path: the relay its packets feed, one {@link PublisherTrackInput}
 * per track once SET UP, and the publisher's RTSP session. States: announced (ANNOUNCE done,
 * tracks being SET UP, invisible to readers) → recording (after RECORD: readers see the path)
 * → ended (TEARDOWN, the connection or the publisher's packets gone, taken over, server closed).
 */
export class PublishedStream extends EventEmitter<PublishedStreamEvents> {
  /** The path published (the stream name readers use). */
  readonly path: string;
  /** The relay readers are served from. */
  readonly relay: RelayServerMediaSession;
  /** The publisher's session, from its first SETUP on. */
  session: RTSPClientSession | undefined;
  /** The publisher's RTSP connection (the stream ends when it closes). */
  readonly connection: RTSPClientConnection;
  /** The user the publisher authenticated as, if any. */
  readonly username: string | undefined;
  /** The publisher's session description. */
  readonly sdp: SDPSessionDescription;
  readonly #controlPaths: (string | undefined)[];
  readonly #inputs: (PublisherTrackInput | undefined)[];
  readonly #rtcpListeners: (((p: Uint8Array) => void) | undefined)[];
  #recording = false;
  /** Per track, the counters of the inputs that later SETUPs of the track replaced. */
  readonly #replaced: (PublisherTrackInputStats | undefined)[] = [];
  /** Per track, its input's `whilePaused` count when it was last paused. */
  readonly #droppedAtPause: number[] = [];
  #ended = false;
  /** While a UDP publisher's last datagrams are drained after its end: ends the drain now. */
  #finishDrain: (() => void) | undefined;
  #finalStats: PublishedStreamStats | undefined;
  readonly #onConnectionClose = (): void => this.end('connection-closed');

  constructor(path: string, sdp: SDPSessionDescription, relay: RelayServerMediaSession, connection: RTSPClientConnection, username: string | undefined) {
    super();
    this.path = path;
    this.sdp = sdp;
    this.relay = relay;
    this.connection = connection;
    this.username = username;
    this.#controlPaths = sdp.media.map((m) => trackControlPath(path, m.control));
    this.#inputs = sdp.media.map(() => undefined);
    this.#rtcpListeners = sdp.media.map(() => undefined);
    // A publisher whose RTSP connection is gone is gone, over UDP too (ffmpeg and GStreamer keep
    // theirs open for the whole publish).
    connection.socket.once('close', this.#onConnectionClose);
  }

  /** True after RECORD. */
  get recording(): boolean {
    return this.#recording;
  }

  /** True once ended. */
  get ended(): boolean {
    return this.#ended;
  }

  /** Number of tracks. */
  get trackCount(): number {
    return this.#controlPaths.length;
  }

  /** The inputs of the tracks SET UP so far (undefined for the others). */
  get inputs(): readonly (PublisherTrackInput | undefined)[] {
    return this.#inputs;
  }

  /** True when every track is SET UP. */
  get allTracksSetUp(): boolean {
    return this.#inputs.every((i) => i !== undefined);
  }

  /** The track a SETUP's URL path addresses (see {@link matchTrack}), or undefined. */
  trackForPath(p: string): number | undefined {
    return matchTrack(this.path, this.#controlPaths, p, (i) => this.#inputs[i] !== undefined);
  }

  /**
   * Attach the input of track `index` (a SETUP with `mode=record`); a second SETUP of a track
   * replaces its input. The relay's RTCP for the publisher goes out through it.
   */
  attachInput(index: number, input: PublisherTrackInput): void {
    const track = this.relay.tracks[index];
    if (!track || this.#ended) {
      void input.close();
      return;
    }
    // A paused track set up again (rtspclientsink does before it resumes) stays paused until RECORD.
    const previous = this.#inputs[index];
    const wasPaused = previous?.paused === true;
    if (previous) this.#replaced[index] = addTrackStats({ ...ZERO_TRACK_STATS }, this.#replaced[index], previous.stats);
    this.#detachInput(index);
    if (wasPaused) {
      input.paused = true;
      this.#droppedAtPause[index] = 0;
    }
    this.#inputs[index] = input;
    const listener = (p: Uint8Array): void => input.sendRTCP(p);
    this.#rtcpListeners[index] = listener;
    track.on('rtcpToPublisher', listener);
  }

  /** RECORD: the path becomes visible to readers (the caller adds the relay to the server). */
  record(): void {
    this.#recording = true;
  }

  /** True while every track set up is PAUSEd (see {@link pause}). */
  get paused(): boolean {
    const set = this.#inputs.filter((i) => i !== undefined);
    return set.length > 0 && set.every((i) => i.paused);
  }

  /**
   * The publisher's PAUSE (RFC 2326 §10.6: recording halts): the RTP of tracks `indices` (default:
   * all) is dropped instead of relayed until {@link resume}. Readers keep their sessions; the
   * publisher's session lives on its keep-alives (or packets) as ever.
   */
  pause(indices: readonly number[] = this.#inputs.map((_, i) => i)): void {
    for (const i of indices) {
      const input = this.#inputs[i];
      if (!input || input.paused) continue;
      input.paused = true;
      this.#droppedAtPause[i] = input.stats.whilePaused;
      debug('%s: track %d paused', this.path, i + 1);
    }
  }

  /**
   * RECORD after PAUSE: tracks `indices` (default: all) are relayed again. A track whose packets
   * were dropped meanwhile starts a new source in the relay, so that H.264/H.265 readers wait for
   * the next key frame instead of decoding frames that refer to dropped ones.
   */
  resume(indices: readonly number[] = this.#inputs.map((_, i) => i)): void {
    for (const i of indices) {
      const input = this.#inputs[i];
      if (!input || !input.paused) continue;
      input.paused = false;
      if (input.stats.whilePaused > (this.#droppedAtPause[i] ?? 0)) this.relay.tracks[i]?.newSource();
      debug('%s: track %d recording again', this.path, i + 1);
    }
  }

  /**
   * The counters of track `index` since the ANNOUNCE: its input's, plus those of the inputs that
   * earlier SETUPs of the track made (a SETUP again replaces the input, not the counts). Undefined
   * for a track never SET UP. A new object each call.
   */
  trackStats(index: number): PublisherTrackInputStats | undefined {
    const input = this.#inputs[index];
    const replaced = this.#replaced[index];
    if (!input && !replaced) return undefined;
    return addTrackStats({ ...ZERO_TRACK_STATS }, replaced, input?.stats);
  }

  /** Sum of the tracks' counters ({@link trackStats}); after the end, the final ones. */
  stats(): PublishedStreamStats {
    if (this.#finalStats) return { ...this.#finalStats };
    const sum = addTrackStats({ ...ZERO_TRACK_STATS }, ...this.#inputs.map((_, i) => this.trackStats(i)));
    const { rtpPackets, rtpBytes, rtcpPackets, oversized, foreign, whilePaused } = sum;
    return { rtpPackets, rtpBytes, rtcpPackets, oversized, foreign, whilePaused };
  }

  /**
   * End the stream: the relay ends (readers get an RTCP BYE), every input closes (UDP ports
   * released, interleaved channels unbound) and `'end'` is emitted. Idempotent. The caller
   * removes the relay from the server and closes the publisher's session.
   */
  end(reason: PublishEndReason): void {
    if (this.#ended) {
      // Ended again while draining (the server closing): the rest of the drain is not waited for.
      this.#finishDrain?.();
      return;
    }
    this.#ended = true;
    debug('%s: publisher ended (%s)', this.path, reason);
    this.connection.socket.off('close', this.#onConnectionClose);
    const udp = this.#inputs.filter((i): i is PublisherTrackInput => i?.transport.mode === 'udp');
    if (udp.length > 0 && (reason === 'teardown' || reason === 'connection-closed')) this.#drainThen(udp, () => this.#finish(reason));
    else this.#finish(reason);
  }

  /**
   * A UDP publisher's last datagrams can still wait in our sockets when its TEARDOWN (or its
   * connection's close) is read: a server that was busy for a while reads each socket a batch per
   * event-loop turn, and the RTSP connection's turn may come first. Before the relay ends, its
   * inputs go on relaying until a check finds that nothing came since the check before (10 ms
   * apart, so at least one turn's reads lie between); at most 50 checks (about 0.5 s).
   */
  #drainThen(inputs: readonly PublisherTrackInput[], done: () => void): void {
    const scheduler = this.relay.tracks[0]?.scheduler;
    if (!scheduler) return done();
    const received = (): number => inputs.reduce((n, i) => n + i.stats.rtpPackets + i.stats.rtcpPackets + i.stats.whilePaused, 0);
    let last = -1;
    let checks = 0;
    let task = scheduler.scheduleDelayedTask(10_000, check);
    this.#finishDrain = () => {
      scheduler.unscheduleDelayedTask(task);
      this.#finishDrain = undefined;
      done();
    };
    function check(this: void): void {
      const now = received();
      if (now === last || ++checks >= 50) return finish();
      last = now;
      task = scheduler!.scheduleDelayedTask(10_000, check);
    }
    const finish = (): void => this.#finishDrain?.();
  }

  #finish(reason: PublishEndReason): void {
    this.#finalStats = this.stats();
    try {
      this.relay.end();
    } finally {
      for (let i = 0; i < this.#inputs.length; i++) this.#detachInput(i);
      this.emit('end', reason);
    }
  }

  #detachInput(index: number): void {
    const input = this.#inputs[index];
    if (!input) return;
    const listener = this.#rtcpListeners[index];
    if (listener) this.relay.tracks[index]?.off('rtcpToPublisher', listener);
    this.#rtcpListeners[index] = undefined;
    this.#inputs[index] = undefined;
    const t = input.transport;
    if (t.mode === 'tcp') {
      for (const ch of [t.rtpChannel, t.rtcpChannel]) {
        const b = this.connection.channels.get(ch);
        if (b && b.session === this.session && b.stream === undefined) this.connection.channels.delete(ch);
      }
    }
    void input.close();
  }
}

const ZERO_TRACK_STATS: Readonly<PublisherTrackInputStats> = { rtpPackets: 0, rtpBytes: 0, rtcpPackets: 0, rtcpSent: 0, oversized: 0, foreign: 0, whilePaused: 0 };

/** `into` += each of `parts` (those given), field by field; returns `into`. */
function addTrackStats(into: PublisherTrackInputStats, ...parts: (PublisherTrackInputStats | undefined)[]): PublisherTrackInputStats {
  for (const p of parts) {
    if (!p) continue;
    into.rtpPackets += p.rtpPackets;
    into.rtpBytes += p.rtpBytes;
    into.rtcpPackets += p.rtcpPackets;
    into.rtcpSent += p.rtcpSent;
    into.oversized += p.oversized;
    into.foreign += p.foreign;
    into.whilePaused += p.whilePaused;
  }
  return into;
}
