// Barrel of the rtsp area: the RTSP message codec and header helpers (pure, no I/O).
export { RTSPHeaders, type RTSPHeadersInit } from './RTSPHeaders.js';
export type { RTSPRequest, RTSPResponse, RTSPInterleavedFrame, RTSPParseFailure, RTSPParsedItem } from './RTSPMessage.js';
export { RTSPParser, type RTSPParserOptions } from './RTSPParser.js';
export { RTSP_STATUS_TEXT, rtspReasonPhrase } from './RTSPStatus.js';
export {
  serializeRTSPRequest,
  serializeRTSPResponse,
  writeInterleavedHeader,
  type RTSPRequestInit,
  type RTSPResponseInit,
} from './serializeRTSPMessage.js';
export {
  parseTransportHeader,
  parseTransportSpec,
  formatTransportHeader,
  formatTransportSpec,
  type TransportSpec,
  type TransportPortPair,
} from './TransportHeader.js';
export { parseSessionHeader, formatSessionHeader, type SessionHeader } from './SessionHeader.js';
export {
  parseRangeHeader,
  formatRangeHeader,
  parseNptTime,
  formatNptTime,
  clockTimeToEpochMs,
  epochMsToClockTime,
  type RangeHeader,
  type NptRange,
  type ClockRange,
  type SmpteRange,
} from './RangeHeader.js';
export { parseRTPInfoHeader, formatRTPInfoHeader, type RTPInfoEntry } from './RTPInfoHeader.js';
export {
  parseCSeq,
  parseCommaList,
  formatCommaList,
  formatRTSPDate,
  parseRTSPDate,
  parseScale,
  formatScale,
  resolveControlURL,
} from './simpleHeaders.js';
export { parseAuthHeader, formatAuthHeader, quoteAuthParam, type AuthChallenge } from './AuthHeader.js';
export {
  parseDigestAlgorithm,
  digestHash,
  computeDigestHA1,
  computeDigestResponse,
  parseDigestChallenges,
  selectAuthChallenge,
  formatDigestChallenge,
  parseDigestAuthorization,
  formatDigestAuthorization,
  createDigestAuthorization,
  verifyDigestAuthorization,
  digestURIMatches,
  encodeBasicAuthorization,
  decodeBasicAuthorization,
  type DigestAlgorithm,
  type DigestChallenge,
  type DigestCredentials,
  type DigestAuthorizationInit,
  type DigestVerifyInit,
  type SelectedAuthChallenge,
} from './DigestAuthentication.js';
export { parseTextParameters, formatTextParameters } from './TextParameters.js';
