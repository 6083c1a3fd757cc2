// Barrel of this area: add `export … from` lines for each public file here.
export { AnnexBParser, splitAnnexB, type AnnexBNalCopyCache, type AnnexBNalSink, type AnnexBNalUnit, type AnnexBParserOptions } from './AnnexBParser.js';
export { BitReader } from './BitReader.js';
export { removeEmulationPrevention, addEmulationPrevention } from './removeEmulationPrevention.js';
export {
  H264NalUnitType,
  parseH264NalHeader,
  h264NalUnitType,
  isH264VCL,
  type H264NalHeader,
} from './H264NalUnit.js';
export {
  H265NalUnitType,
  parseH265NalHeader,
  h265NalUnitType,
  isH265VCL,
  isH265IRAP,
  type H265NalHeader,
} from './H265NalUnit.js';
export {
  parseH264SPS,
  parseH264PPSIds,
  parseH264SliceHeaderStart,
  readAspectRatio,
  type H264SPS,
  type H264PPSIds,
  type H264SliceHeaderStart,
  type VideoTimingInfo,
} from './H264SPS.js';
export {
  parseH265VPS,
  parseH265SPS,
  type H265VPS,
  type H265SPS,
  type H265ProfileTierLevel,
} from './H265ParameterSets.js';
export {
  H26xVideoStreamFramer,
  h26xIndexCache,
} from './H26xVideoStreamFramer.js';
export {
  H26xKeyFrameTable,
  H26xKeyFrameTableBuilder,
  MAX_H26X_KEY_FRAMES,
  type H26xKeyFrameEntry,
  type H26xTiming,
} from './H26xKeyFrameTable.js';
export {
  type H26xVideoStreamFramerOptions,
  type H26xNalInfo,
  type H26xKeyFrame,
  type H26xStreamIndex,
  type H26xStreamInfo,
} from './H26xVideoStreamFramer.js';
export { H264VideoStreamFramer } from './H264VideoStreamFramer.js';
export { H265VideoStreamFramer } from './H265VideoStreamFramer.js';
