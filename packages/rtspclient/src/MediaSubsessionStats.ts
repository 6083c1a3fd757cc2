/** Reception quality of one {@link MediaSubsession}, as a player's QoS report shows it. */
export interface MediaSubsessionStats {
  /** RTP packets that arrived (before any validation), over every transport used. */
  readonly packetsReceived: number;
  /** Packets lost: expected (from sequence numbers) minus received, over every sender heard. */
  readonly packetsLost: number;
  /**
   * Packets expected from the sequence numbers seen, from each sender's first packet (those RFC 3550
   * A.1's probation holds back included): `packetsReceived + packetsLost` for a stream without
   * duplicates. (RTCP receiver reports count from the packet after them, as the RFC says.)
   */
  readonly packetsExpected: number;
  /** Interarrival jitter of the current sender, in milliseconds (RFC 3550 A.8). */
  readonly jitterMs: number;
  /** Bytes received after each packet's 12-byte fixed RTP header. */
  readonly bytesReceived: number;
  /** Average bit rate of the payload since the first packet, in kbit/s (0 before two packets). */
  readonly bitrateKbps: number;
  /** Complete frames delivered by the depacketizer. */
  readonly framesReceived: number;
  /** Frames dropped because a packet of theirs was lost. */
  readonly damagedFrames: number;
  /** Packets that arrived twice. */
  readonly duplicatePackets: number;
  /** Packets that arrived after the reorder buffer gave up on their place. */
  readonly latePackets: number;
  /** Packets whose RTP header did not parse. */
  readonly malformedPackets: number;
  /**
   * UDP datagrams (RTP or RTCP) dropped because they came from another address than the server's
   * (see {@link RTSPClientOptions.acceptMediaFromAnyAddress}).
   */
  readonly foreignPackets: number;
  /** Frames dropped because nobody read them in time. */
  readonly overflowedFrames: number;
  /** RTCP packets received from the server. */
  readonly rtcpPacketsReceived: number;
  /** RTCP reports we sent (receiver reports). */
  readonly rtcpReportsSent: number;
}
