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
