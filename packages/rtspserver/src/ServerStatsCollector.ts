import type { TaskScheduler } from '@dorsvr/scheduler';
import type { RTSPClientSession, SessionStats } from './RTSPClientSession.js';
import type { PublishedStream, PublishedStreamStats } from './PublishedStream.js';
import type {
  PublisherStats,
  PublisherTrackStats,
  ReaderSessionStats,
  ReaderTrackStats,
  RTSPServerStats,
} from './RTSPServerStats.js';

/** What a {@link ServerStatsCollector} reads of its server. */
export interface ServerStatsSource {
  readonly scheduler: TaskScheduler;
  /** The sessions alive (readers' and publishers'). */
  readonly clientSessions: ReadonlyMap<string, RTSPClientSession>;
  /** Open RTSP connections. */
  readonly connectionCount: number;
  /** Streams registered. */
  readonly streamCount: number;
  /** The published streams alive, when publishing is on. */
  readonly publishedStreams: ReadonlyMap<string, PublishedStream> | undefined;
}

/** Where a counter stood at the start of its current rate window. */
interface RateMeter {
  startUs: number;
  bytes: number;
  packets: number;
  bitsPerSecond: number;
  packetsPerSecond: number;
  /** True once a window ended (before that, every snapshot gets the rate since the start). */
  windowed: boolean;
  /** The snapshot that last read it (meters no snapshot read are dropped). */
  generation: number;
}

/** Default shortest rate window, µs. */
export const DEFAULT_RATE_WINDOW_US = 1_000_000;

/**
 * Makes an {@link RTSPServer}'s statistics snapshots: it keeps the counters of sessions that
 * ended (so that totals only grow), the time each session began, and one rate meter per session,
 * track and server-wide counter. A rate is the growth of its counter over a window of at least
 * `windowUs` (a window ends when a snapshot finds it that old, and the next one starts): asking
 * for snapshots more often returns the last window's rate again, never a total or a noisy
 * millisecond's worth.
 */
export class ServerStatsCollector {
  readonly #source: ServerStatsSource;
  readonly #windowUs: number;
  readonly #createdUs: number;
  /** Session id → when it was made, and whether a publisher made it. */
  readonly #sessions = new Map<string, { startUs: number; publisher: boolean }>();
  /** Published stream → when its figures began (its session's SETUP, or when first seen). */
  readonly #published = new WeakMap<PublishedStream, number>();
  readonly #meters = new Map<string, RateMeter>();
  #generation = 0;
  #readerSessions = 0;
  #publisherSessions = 0;
  #closedSent = { packets: 0, bytes: 0 };
  #closedReceived = { packets: 0, bytes: 0 };

  constructor(source: ServerStatsSource, windowUs: number = DEFAULT_RATE_WINDOW_US) {
    this.#source = source;
    this.#windowUs = windowUs;
    this.#createdUs = source.scheduler.now();
  }

  /** A session was made (the server's `sessionCreated`). */
  sessionCreated(session: RTSPClientSession, publisher: boolean): void {
    if (this.#sessions.has(session.id)) return;
    this.#sessions.set(session.id, { startUs: this.#source.scheduler.now(), publisher });
    if (publisher) this.#publisherSessions++;
    else this.#readerSessions++;
  }

  /** A session ended with these final figures (the server's `sessionClosed`). */
  sessionClosed(session: RTSPClientSession, stats: SessionStats): void {
    this.#sessions.delete(session.id);
    this.#closedSent.packets += stats.packets;
    this.#closedSent.bytes += stats.bytes;
  }

  /** A published stream ended with these final figures (the server's `unpublish`). */
  publisherEnded(stats: PublishedStreamStats): void {
    this.#closedReceived.packets += stats.rtpPackets;
    this.#closedReceived.bytes += stats.rtpBytes;
  }

  /** The statistics now. */
  snapshot(): RTSPServerStats {
    const scheduler = this.#source.scheduler;
    const now = scheduler.now();
    const generation = ++this.#generation;
    const publishers = [...(this.#source.publishedStreams?.values() ?? [])].filter((p) => !p.ended);
    const publisherSessionIds = new Set<string>();
    for (const p of publishers) if (p.session) publisherSessionIds.add(p.session.id);

    const readerSessions: ReaderSessionStats[] = [];
    let sentPackets = this.#closedSent.packets;
    let sentBytes = this.#closedSent.bytes;
    for (const s of this.#source.clientSessions.values()) {
      if (s.closed) continue;
      const known = this.#sessions.get(s.id);
      if (publisherSessionIds.has(s.id) || known?.publisher === true) continue;
      const startUs = known?.startUs ?? now;
      const st = s.stats();
      sentPackets += st.packets;
      sentBytes += st.bytes;
      const tracks: ReaderTrackStats[] = [];
      for (const [trackId, t] of Object.entries(st.tracks)) {
        const rate = this.#rate(`r:${s.id}:${trackId}`, now, startUs, t.bytes, t.packets, generation);
        tracks.push({
          trackId,
          packets: t.packets,
          bytes: t.bytes,
          bitsPerSecond: rate.bitsPerSecond,
          packetsPerSecond: rate.packetsPerSecond,
          receiverReports: t.receiverReports,
          fractionLost: t.fractionLost,
          packetsLost: t.cumulativeLost,
          jitterSeconds: t.jitterSeconds,
          rttSeconds: t.rttSeconds,
        });
      }
      readerSessions.push({
        id: s.id,
        streamName: s.streamName,
        remoteAddress: s.remoteAddress,
        transport: s.transport,
        playing: s.playing,
        durationSeconds: (now - startUs) / 1e6,
        packets: st.packets,
        bytes: st.bytes,
        bitsPerSecond: this.#rate(`r:${s.id}`, now, startUs, st.bytes, st.packets, generation).bitsPerSecond,
        tracks,
      });
    }

    const publishedStreams: PublisherStats[] = [];
    let receivedPackets = this.#closedReceived.packets;
    let receivedBytes = this.#closedReceived.bytes;
    for (const p of publishers) {
      let startUs = this.#published.get(p);
      if (startUs === undefined) {
        startUs = (p.session && this.#sessions.get(p.session.id)?.startUs) ?? now;
        this.#published.set(p, startUs);
      }
      const key = `p:${p.path}:${p.session?.id ?? ''}`;
      const tracks: PublisherTrackStats[] = [];
      let packets = 0;
      let bytes = 0;
      for (let i = 0; i < p.trackCount; i++) {
        const input = p.inputs[i];
        const relayTrack = p.relay.tracks[i];
        const media = p.sdp.media[i];
        const s = p.trackStats(i); // across SETUPs of the track again: the totals never go back
        const reception = relayTrack?.receptionStats;
        const tPackets = s?.rtpPackets ?? 0;
        const tBytes = s?.rtpBytes ?? 0;
        packets += tPackets;
        bytes += tBytes;
        const rate = this.#rate(`${key}:${i}`, now, startUs, tBytes, tPackets, generation);
        const pt = media?.payloadTypes[0];
        tracks.push({
          index: i,
          media: media?.type ?? 'unknown',
          codec: media?.rtpmaps.find((m) => m.payloadType === pt)?.encodingName,
          transport: input?.transport.mode,
          packets: tPackets,
          bytes: tBytes,
          bitsPerSecond: rate.bitsPerSecond,
          packetsPerSecond: rate.packetsPerSecond,
          rtcpPackets: s?.rtcpPackets ?? 0,
          oversized: s?.oversized ?? 0,
          packetsLost: reception?.valid ? reception.packetsLost : undefined,
          fractionLost: reception?.valid ? reception.fractionLost : undefined,
          jitterSeconds: reception?.valid ? reception.jitterSeconds : undefined,
          readers: relayTrack?.readers.length ?? 0,
        });
      }
      receivedPackets += packets;
      receivedBytes += bytes;
      publishedStreams.push({
        path: p.path,
        sessionId: p.session?.id,
        remoteAddress: p.connection.remoteAddress,
        username: p.username,
        recording: p.recording,
        durationSeconds: (now - startUs) / 1e6,
        packets,
        bytes,
        bitsPerSecond: this.#rate(key, now, startUs, bytes, packets, generation).bitsPerSecond,
        tracks,
      });
    }

    const sent = this.#rate('sent', now, this.#createdUs, sentBytes, sentPackets, generation);
    const received = this.#rate('received', now, this.#createdUs, receivedBytes, receivedPackets, generation);
    for (const [k, m] of this.#meters) if (m.generation !== generation) this.#meters.delete(k);
    return {
      timeMs: Math.round(scheduler.wallClockUs() / 1000),
      uptimeSeconds: (now - this.#createdUs) / 1e6,
      rateWindowSeconds: this.#windowUs / 1e6,
      connections: this.#source.connectionCount,
      readers: readerSessions.length,
      publishers: publishedStreams.length,
      streams: this.#source.streamCount,
      sentBitsPerSecond: sent.bitsPerSecond,
      receivedBitsPerSecond: received.bitsPerSecond,
      totals: {
        readerSessions: this.#readerSessions,
        publisherSessions: this.#publisherSessions,
        packetsSent: sentPackets,
        bytesSent: sentBytes,
        packetsReceived: receivedPackets,
        bytesReceived: receivedBytes,
      },
      readerSessions,
      publishedStreams,
    };
  }

  /**
   * The rate of counter `key` (`bytes`, `packets`, which began at 0 at `startUs`): recomputed
   * when its window is at least (nine tenths of) `windowUs` old, which then starts a new window;
   * before the first window ended, the rate since `startUs` at every call.
   */
  #rate(key: string, now: number, startUs: number, bytes: number, packets: number, generation: number): { bitsPerSecond: number; packetsPerSecond: number } {
    let m = this.#meters.get(key);
    if (!m) {
      m = { startUs: Math.min(startUs, now), bytes: 0, packets: 0, bitsPerSecond: 0, packetsPerSecond: 0, windowed: false, generation };
      this.#meters.set(key, m);
    }
    m.generation = generation;
    const dt = now - m.startUs;
    const full = dt >= this.#windowUs * 0.9;
    if (!m.windowed || full) {
      m.bitsPerSecond = dt > 0 ? Math.max(0, ((bytes - m.bytes) * 8 * 1e6) / dt) : 0;
      m.packetsPerSecond = dt > 0 ? Math.max(0, ((packets - m.packets) * 1e6) / dt) : 0;
      if (full) {
        m.windowed = true;
        m.startUs = now;
        m.bytes = bytes;
        m.packets = packets;
      }
    }
    return { bitsPerSecond: m.bitsPerSecond, packetsPerSecond: m.packetsPerSecond };
  }
}
