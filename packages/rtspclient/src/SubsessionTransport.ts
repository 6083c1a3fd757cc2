/** How a {@link MediaSubsession}'s stream is carried, as negotiated by SETUP. */
export interface SubsessionTransport {
  /**
   * `udp`: RTP and RTCP on a client port pair; `tcp`: `$`-interleaved on the RTSP connection;
   * `multicast`: the server's group, on the ports it chose.
   */
  readonly mode: 'udp' | 'tcp' | 'multicast';
  /** The multicast group joined (multicast). */
  readonly group?: string | undefined;
  /** Our RTP/RTCP ports (UDP; multicast: the group's ports). */
  readonly clientPorts?: { readonly rtp: number; readonly rtcp: number } | undefined;
  /** The server's RTP/RTCP ports, when it said (UDP). */
  readonly serverPorts?: { readonly rtp: number; readonly rtcp: number | undefined } | undefined;
  /** The server's address the RTCP reports go to (UDP). */
  readonly serverAddress?: string | undefined;
  /** Interleaved RTP/RTCP channels, as the server answered them (TCP). */
  readonly channels?: { readonly rtp: number; readonly rtcp: number } | undefined;
  /** The server's SSRC when the Transport reply named it. */
  readonly ssrc?: number | undefined;
  /** The Transport header of the SETUP reply, when there was one. */
  readonly header: string | undefined;
}
