import type { ServerMediaSession, ServerMediaStream, ServerMediaSubsession, StreamStats } from '@dorsvr/livemedia';
import type { TaskToken } from '@dorsvr/scheduler';
import type { RTSPClientConnection } from './RTSPClientConnection.js';

/** Why a session ended. */
export type SessionCloseReason = 'teardown' | 'timeout' | 'connection-closed' | 'server-closed' | 'error';

/** A snapshot of one session's statistics, per track. */
export interface SessionStats {
  /** Track control name (`track1`) → that track's statistics. */
  readonly tracks: Record<string, StreamStats>;
  /** Sum of RTP packets sent over every track. */
  readonly packets: number;
  /** Sum of RTP payload bytes sent over every track. */
  readonly bytes: number;
}

/**
 * live555's RTSPClientSession: the state of one RTSP session (the `Session:` id), which may
 * outlive the TCP connection that created it when it streams over UDP.
 */
export class RTSPClientSession {
  /** The session id (16 upper-case hex digits). */
  readonly id: string;
  /** The stream this session plays. */
  readonly serverMediaSession: ServerMediaSession;
  /** Address of the client that created the session. */
  readonly remoteAddress: string;
  /** Per-track streams, in SETUP order. */
  readonly streams = new Map<ServerMediaSubsession, ServerMediaStream>();
  /** The connection carrying interleaved streams (undefined for a UDP-only session). */
  interleavedConnection: RTSPClientConnection | undefined;
  /** True between PLAY and PAUSE. */
  playing = false;
  /** True once the session ended. */
  closed = false;
  /** @internal liveness timer. */
  livenessTask: TaskToken = 0;

  constructor(id: string, serverMediaSession: ServerMediaSession, remoteAddress: string) {
    this.id = id;
    this.serverMediaSession = serverMediaSession;
    this.remoteAddress = remoteAddress;
  }

  /** The stream name (URL path). */
  get streamName(): string {
    return this.serverMediaSession.name;
  }

  /** Transport of the session: `udp`, `tcp`, `multicast`, or `none` before the first SETUP. */
  get transport(): 'udp' | 'tcp' | 'multicast' | 'none' {
    for (const s of this.streams.values()) return s.transport.mode;
    return 'none';
  }

  /** Statistics per track and in total. */
  stats(): SessionStats {
    const tracks: Record<string, StreamStats> = {};
    let packets = 0;
    let bytes = 0;
    for (const [sub, st] of this.streams) {
      st.updateStats?.();
      tracks[sub.trackId] = { ...st.stats };
      packets += st.stats.packets;
      bytes += st.stats.bytes;
    }
    return { tracks, packets, bytes };
  }
}
