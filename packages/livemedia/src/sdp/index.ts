// Barrel of the sdp area: session description writer (server) and tolerant parser (client).
export type {
  SDPOrigin,
  SDPConnection,
  SDPBandwidth,
  SDPTiming,
  SDPAttribute,
  SDPRtpMap,
  SDPFmtp,
  SDPDirection,
  SDPMediaDescription,
  SDPSessionDescription,
} from './SDPTypes.js';
export {
  parseSDP,
  parseRtpmap,
  parseFmtp,
  staticPayloadTypeRtpMap,
  getSDPAttribute,
  type SDPParseOptions,
} from './parseSDP.js';
export { formatSDP, formatRtpmapLine, formatFmtpLine, type SDPSessionInit, type SDPMediaInit } from './formatSDP.js';
export { parseSpropParameterSets, formatSpropParameterSets } from './SpropParameterSets.js';
