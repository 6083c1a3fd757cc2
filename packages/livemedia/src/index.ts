/**
 * @packageDocumentation
 * live555's liveMedia for Node: sources, framers, RTP packetizers and depacketizers, RTCP, SDP,
 * the RTSP message codec, and server media sessions.
 *
 * @groupDescription Sources
 * The pull model: `FramedSource` (subclass it for a live source), frames, recycled chunks, the
 * byte-stream sources that read files and memory, and the AAC (ADTS), MP3 and WAV file sources.
 *
 * @groupDescription Framers
 * Byte streams in, timed frames out: H.264/H.265 (NAL units, parameter sets, key-frame index), AAC
 * (ADTS), MPEG-2 TS; the pure header parsers of these and of MP3, WAV and AAC's config; file indexes.
 *
 * @groupDescription RTP
 * RTP packets, the sinks that packetize each codec and the sources that depacketize it.
 *
 * @groupDescription RTCP
 * RTCP packets (SR, RR, SDES, BYE) and the RTCPInstance that sends and reads them.
 *
 * @groupDescription SDP
 * Session descriptions: parsing, writing, `sprop-parameter-sets`.
 *
 * @groupDescription RTSP codec
 * RTSP messages as pure functions over bytes: the incremental parser (with `$`-interleaved frames),
 * the serializer, and the Transport, Range, Session, RTP-Info and authentication headers.
 *
 * @groupDescription Server sessions
 * What an RTSP server serves: ServerMediaSession and its tracks — files, live sources
 * (LiveServerMediaSubsession), on-demand streams — and the transports that fan packets out.
 *
 * @groupDescription Sinks
 * Where frames end: MediaSink and the file writers (`createFileSink`).
 */
export type { Frame, FrameOwner } from './core/Frame.js';
export { SharedChunk } from './core/SharedChunk.js';
export { FramedSource, type FramedSourceEvents, type AnyFramedSource } from './core/FramedSource.js';
export { FramedFilter } from './core/FramedFilter.js';
export { AsyncIterableSource } from './core/AsyncIterableSource.js';
export { LATE_FRAMES_PER_TURN, MediaSink, type MediaSinkEvents } from './core/MediaSink.js';
export * from './rtsp/index.js';
export * from './sdp/index.js';
export * from './rtp/index.js';
export * from './rtcp/index.js';
export * from './rtpsource/index.js';
export * from './sources/index.js';
export * from './h26x/index.js';
export * from './audio/index.js';
export * from './mpeg2ts/index.js';
export * from './server/index.js';
export * from './sinks/index.js';
export * from './relay/index.js';
