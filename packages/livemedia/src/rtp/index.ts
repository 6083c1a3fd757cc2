// Barrel of the rtp area: RTP packets and the sending side (sinks).
export { parseRTPHeader, writeRTPHeader, rtpHeaderLength, type RTPHeader, type ParsedRTPPacket } from './RTPPacket.js';
export type { InterleavedChannel } from './InterleavedChannel.js';
export { RTPSink, DEFAULT_MAX_PACKET_SIZE, type RTPSinkOptions, type RTPPacketSender } from './RTPSink.js';
export { MultiFramedRTPSink } from './MultiFramedRTPSink.js';
export { H264VideoRTPSink, type H264VideoRTPSinkOptions } from './H264VideoRTPSink.js';
export { H265VideoRTPSink, type H265VideoRTPSinkOptions } from './H265VideoRTPSink.js';
export { SimpleRTPSink, type SimpleRTPSinkOptions } from './SimpleRTPSink.js';
export { MPEG4GenericRTPSink, type MPEG4GenericRTPSinkOptions } from './MPEG4GenericRTPSink.js';
export { MPEG1or2AudioRTPSink } from './MPEG1or2AudioRTPSink.js';
