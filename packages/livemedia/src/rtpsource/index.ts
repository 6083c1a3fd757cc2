// Barrel of this area: add `export … from` lines for each public file here.
export { RTPReceptionStats, type RTPReceptionStatsOptions } from './RTPReceptionStats.js';
export {
  RTPReorderBuffer,
  type RTPReorderBufferOptions,
  type ReorderablePacket,
  type ReleasedPacket,
  type ReorderInsertResult,
} from './RTPReorderBuffer.js';
