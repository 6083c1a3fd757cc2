/**
 * @packageDocumentation
 * @dorsvr/rtspserver: live555's RTSPServer and live555MediaServer for Node — an RTSP 1.0 server
 * for {@link @dorsvr/livemedia!ServerMediaSession}s, with Digest authentication, session
 */
export {
  RTSPServer,
  RTSP_SERVER_METHODS,
  type RTSPServerOptions,
  type RTSPServerEvents,
  type RTSPConnectionInfo,
  type RTSPParameterHandler,
} from './RTSPServer.js';
export { RTSPClientSession, type SessionCloseReason, type SessionStats } from './RTSPClientSession.js';
export { RTSPClientConnection, type RTSPClientConnectionOptions } from './RTSPClientConnection.js';
export { RTSPAuthenticator, type AuthResult } from './RTSPAuthenticator.js';
export { UserAuthenticationDatabase, type UserAuthenticationDatabaseOptions } from './UserAuthenticationDatabase.js';
/** Re-exported from `@dorsvr/livemedia`, where the database interface lives. */
export type { ServerDigestAlgorithm, AuthenticationDatabase } from '@dorsvr/livemedia';
export { parseRequestURL, absoluteURL, type StreamURLCandidate } from './parseRequestURL.js';
export { DynamicRTSPServer, DYNAMIC_SERVER_EXTENSIONS, type DynamicRTSPServerOptions } from './DynamicRTSPServer.js';
