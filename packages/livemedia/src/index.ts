/**
 * @packageDocumentation
 * live555's liveMedia for Node: sources, framers, RTP packetizers and depacketizers, RTCP, SDP,
 * the RTSP message codec, and server media sessions.
 */
export type { Frame, FrameOwner } from './core/Frame.js';
export { SharedChunk } from './core/SharedChunk.js';
export { FramedSource, type FramedSourceEvents, type AnyFramedSource } from './core/FramedSource.js';
export { FramedFilter } from './core/FramedFilter.js';
export { AsyncIterableSource } from './core/AsyncIterableSource.js';
export { MediaSink, type MediaSinkEvents } from './core/MediaSink.js';
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
