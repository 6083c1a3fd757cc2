/**
 * A TCP connection that carries RTP/RTCP `$`-interleaved (RFC 2326 section 10.12): the server's
 * and the client's RTSP connections implement it. Writes `$`, the channel, a 16-bit length, then
 * the chunks; returns false when the packet was dropped because the connection's bounded send
 * queue is full (a slow reader loses packets instead of stalling everyone).
 */
export interface InterleavedChannel {
  sendInterleaved(channel: number, chunks: readonly Uint8Array[]): boolean;
}
