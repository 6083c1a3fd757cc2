// The shapes of an RTSPServer's statistics snapshot (RTSPServer.stats(), the 'stats' event and the
// Prometheus endpoint read them); ServerStatsCollector.ts makes them.

/**
 * One track a reader plays: what the server sent it and what the reader's RTCP receiver reports
 * say about it.
 */
export interface ReaderTrackStats {
  /** The track's control name (`track1`). */
  readonly trackId: string;
  /** RTP packets sent to the reader on this track. */
  readonly packets: number;
  /** RTP payload bytes sent to the reader on this track (headers not included). */
  readonly bytes: number;
  /** Payload bit rate sent, in bit/s, over the last rate window (see {@link RTSPServerStats.rateWindowSeconds}). */
  readonly bitsPerSecond: number;
  /** Packets per second sent, over the same window. */
  readonly packetsPerSecond: number;
  /** RTCP receiver reports received from the reader about this track. */
  readonly receiverReports: number;
  /** Fraction of packets lost (0–1) in the reader's last receiver report; undefined before one came. */
  readonly fractionLost: number | undefined;
  /** Cumulative packets lost, as the reader's last receiver report says (negative with duplicates). */
  readonly packetsLost: number | undefined;
  /** Interarrival jitter in seconds, from the reader's last receiver report. */
  readonly jitterSeconds: number | undefined;
  /**
   * Round-trip time in seconds, from the last receiver report that named one of our sender
   * reports (LSR/DLSR); undefined until such a report came.
   */
  readonly rttSeconds: number | undefined;
}

/** One reader's session (a client playing a stream). */
export interface ReaderSessionStats {
  /** The RTSP session id. */
  readonly id: string;
  /** The stream played (URL path). */
  readonly streamName: string;
  /** The reader's IP address. */
  readonly remoteAddress: string;
  /** How the packets travel. */
  readonly transport: 'udp' | 'tcp' | 'multicast' | 'none';
  /** True between PLAY and PAUSE. */
  readonly playing: boolean;
  /** Seconds since the session's first SETUP. */
  readonly durationSeconds: number;
  /** RTP packets sent over every track. */
  readonly packets: number;
  /** RTP payload bytes sent over every track. */
  readonly bytes: number;
  /** Payload bit rate sent over every track, in bit/s, over the last rate window. */
  readonly bitsPerSecond: number;
  /** Per track, in SETUP order. */
  readonly tracks: readonly ReaderTrackStats[];
}

/**
 * One track a publisher sends: what arrived from it, and the reception statistics the server
 * measures itself (and reports back to the publisher in its receiver reports).
 */
export interface PublisherTrackStats {
  /** The track's index in the publisher's SDP (0-based). */
  readonly index: number;
  /** `video`, `audio`, … (the SDP's `m=` media type). */
  readonly media: string;
  /** The codec's rtpmap name (`H264`, `MPEG4-GENERIC`, …), when the SDP gave one. */
  readonly codec: string | undefined;
  /** How the publisher sends it; undefined before the track's SETUP. */
  readonly transport: 'udp' | 'tcp' | undefined;
  /** RTP packets received from the publisher on this track. */
  readonly packets: number;
  /** Bytes of those RTP packets (RTP headers included). */
  readonly bytes: number;
  /** Bit rate received, in bit/s, over the last rate window. */
  readonly bitsPerSecond: number;
  /** Packets per second received, over the same window. */
  readonly packetsPerSecond: number;
  /** RTCP packets received from the publisher on this track. */
  readonly rtcpPackets: number;
  /** Packets dropped for exceeding the packet size limit. */
  readonly oversized: number;
  /** Packets lost (expected − received, RFC 3550 A.3) since the publisher's current SSRC began. */
  readonly packetsLost: number | undefined;
  /** Fraction lost (0–1) over the interval of the last receiver report the server sent the publisher. */
  readonly fractionLost: number | undefined;
  /** Interarrival jitter in seconds, as the server measures it (RFC 3550 A.8). */
  readonly jitterSeconds: number | undefined;
  /** Readers set up on this track. */
  readonly readers: number;
}

/** One publisher (a stream pushed with ANNOUNCE/RECORD). */
export interface PublisherStats {
  /** The path published (the stream name readers play). */
  readonly path: string;
  /** The publisher's RTSP session id, once a track was SET UP. */
  readonly sessionId: string | undefined;
  /** The publisher's IP address. */
  readonly remoteAddress: string;
  /** The user the publisher authenticated as, if any. */
  readonly username: string | undefined;
  /** True after RECORD (readers can play it). */
  readonly recording: boolean;
  /** Seconds since the ANNOUNCE. */
  readonly durationSeconds: number;
  /** RTP packets received over every track. */
  readonly packets: number;
  /** Bytes of those packets. */
  readonly bytes: number;
  /** Bit rate received over every track, in bit/s, over the last rate window. */
  readonly bitsPerSecond: number;
  /** Per track, in SDP order. */
  readonly tracks: readonly PublisherTrackStats[];
}

/** Server-wide counters since the server was made (they only grow: Prometheus counters). */
export interface RTSPServerTotals {
  /** Reader sessions created (SETUPs that made a session to play). */
  readonly readerSessions: number;
  /** Publisher sessions created. */
  readonly publisherSessions: number;
  /** RTP packets sent to readers, sessions that ended included. */
  readonly packetsSent: number;
  /** RTP payload bytes sent to readers, sessions that ended included. */
  readonly bytesSent: number;
  /** RTP packets received from publishers, publishers that ended included. */
  readonly packetsReceived: number;
  /** Bytes of those packets. */
  readonly bytesReceived: number;
}

/**
 * A snapshot of an {@link RTSPServer}'s statistics: {@link RTSPServer.stats} returns one, the
 * `'stats'` event carries one every `statsIntervalMs`.
 *
 * Rates (`bitsPerSecond`, `packetsPerSecond`) are real rates: the difference of the counters over
 * the last window of at least {@link rateWindowSeconds} (a new session's first rate covers the
 * time since it began), never totals.
 */
export interface RTSPServerStats {
  /** Wall-clock time of the snapshot, ms since the Unix epoch. */
  readonly timeMs: number;
  /** Seconds since the server was made. */
  readonly uptimeSeconds: number;
  /** The shortest window rates are measured over, in seconds. */
  readonly rateWindowSeconds: number;
  /** Open RTSP connections. */
  readonly connections: number;
  /** Reader sessions alive. */
  readonly readers: number;
  /** Publishers alive (announced or recording). */
  readonly publishers: number;
  /** Streams the server has registered (files served so far, published paths, added sessions). */
  readonly streams: number;
  /** Payload bit rate sent to every reader, in bit/s. */
  readonly sentBitsPerSecond: number;
  /** Bit rate received from every publisher, in bit/s. */
  readonly receivedBitsPerSecond: number;
  /** Counters since the server was made. */
  readonly totals: RTSPServerTotals;
  /** Every reader session alive. */
  readonly readerSessions: readonly ReaderSessionStats[];
  /** Every publisher alive. */
  readonly publishedStreams: readonly PublisherStats[];
}
