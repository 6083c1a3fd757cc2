/**
 * @packageDocumentation
 * live555's liveMedia for Node: sources, framers, RTP packetizers and depacketizers, RTCP, SDP,
 * the RTSP message codec, and server media sessions.
 */
export type { Frame } from './core/Frame.js';
export { FramedSource, type FramedSourceEvents } from './core/FramedSource.js';
export { FramedFilter } from './core/FramedFilter.js';
export { AsyncIterableSource } from './core/AsyncIterableSource.js';
export { MediaSink, type MediaSinkEvents } from './core/MediaSink.js';
