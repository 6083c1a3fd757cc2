// Barrel of this area: add `export … from` lines for each public file here.
export { RTPReceptionStats, type RTPReceptionStatsOptions } from './RTPReceptionStats.js';
export {
  RTPReorderBuffer,
  type RTPReorderBufferOptions,
  type ReorderablePacket,
  type ReleasedPacket,
  type ReorderInsertResult,
} from './RTPReorderBuffer.js';
export {
  DEFAULT_BYE_GRACE_US,
  RTPSource,
  type RTPSourceOptions,
  type RTPSourceEvents,
  type RTPPacketEmitter,
  type RTPReceivedPacket,
  type RTPFrame,
  type RTPFrameOptions,
  type RTPDamagedFrameInfo,
} from './RTPSource.js';
export { MultiFramedRTPSource } from './MultiFramedRTPSource.js';
export { H264VideoRTPSource } from './H264VideoRTPSource.js';
export { H265VideoRTPSource } from './H265VideoRTPSource.js';
export { MPEG4GenericRTPSource, type MPEG4GenericRTPSourceOptions } from './MPEG4GenericRTPSource.js';
export { MPEG1or2AudioRTPSource } from './MPEG1or2AudioRTPSource.js';
export { SimpleRTPSource, type SimpleRTPSourceOptions } from './SimpleRTPSource.js';
export { createRTPSource, type RTPSourceDescription } from './createRTPSource.js';
