/**
 * @packageDocumentation
 * @dorsvr/rtspserver: live555's RTSPServer and live555MediaServer for Node — an RTSP 1.0 server
 * for {@link @dorsvr/livemedia!ServerMediaSession}s, with Digest authentication, session
 * reclamation, and `dorsvr-server`, the media server of a directory.
 */
export {
  RTSPServer,
  RTSP_SERVER_METHODS,
  type RTSPServerOptions,
  type RTSPServerEvents,
  type RTSPConnectionInfo,
  type RTSPParameterHandler,
  type RTSPAccessCheck,
} from './RTSPServer.js';
export type {
  RTSPRequestContext,
  RTSPResponse,
  RTSPRequestTarget,
  RTSPAccessAction,
  RTSPServerCore,
} from './RTSPRequestContext.js';
export { RTSPSessionRegistry, type RTSPSessionRegistryOptions } from './RTSPSessionRegistry.js';
export { chooseTransport, transportDirection, pickInterleavedChannels, type TransportDirection } from './transportNegotiation.js';
export { handleDescribeRequest } from './handleDescribeRequest.js';
export { handleSetupRequest } from './handleSetupRequest.js';
export {
  handlePlayRequest,
  handlePauseRequest,
  handleTeardownRequest,
  streamsAddressed,
  type AddressedStreams,
} from './handlePlaybackRequests.js';
export { handleParameterRequest } from './handleParameterRequest.js';
export { RTSPClientSession, type SessionCloseReason, type SessionStats } from './RTSPClientSession.js';
export {
  RTSPClientConnection,
  type RTSPClientConnectionOptions,
  type InterleavedBinding,
  type ConnectionCloseReason,
} from './RTSPClientConnection.js';
export { RTSPAuthenticator, type AuthResult, type AuthRequest, type RTSPAuthenticatorOptions } from './RTSPAuthenticator.js';
export { UserAuthenticationDatabase, type UserAuthenticationDatabaseOptions } from './UserAuthenticationDatabase.js';
/** Re-exported from `@dorsvr/livemedia`, where the database interface lives. */
export type { ServerDigestAlgorithm, AuthenticationDatabase } from '@dorsvr/livemedia';
export { parseRequestURL, absoluteURL, type StreamURLCandidate } from './parseRequestURL.js';
export { clientAddressKey } from './clientAddressKey.js';
export {
  DynamicRTSPServer,
  DYNAMIC_SERVER_EXTENSIONS,
  isServableName,
  type DynamicRTSPServerOptions,
  type DynamicFileLookup,
} from './DynamicRTSPServer.js';
export { RTSPPublishHandler, type RTSPPublishHost } from './RTSPPublishHandler.js';
export {
  PUBLISH_BUSY_STATUS,
  PUBLISH_BUSY_REASON,
  resolvePublishOptions,
  type PublishOptions,
  type PublishPolicy,
  type PublishRequester,
  type PublisherInfo,
  type BusyPathDecision,
  type ResolvedPublishOptions,
} from './PublishPolicy.js';
export { PublishedStream, type PublishEndReason, type PublishedStreamStats, type PublishedStreamEvents } from './PublishedStream.js';
export {
  PublisherTrackInput,
  type PublishedTrackSink,
  type PublisherTrackInputStats,
  type PublisherTrackTransport,
  type PublisherTrackInputOptions,
} from './PublisherTrackInput.js';
export { requestPath, trackControlPath, matchTrack } from './publishControlPaths.js';
export { HTTPTunnelListener, HTTP_TUNNEL_RETIRED_COOKIE_SECONDS, HTTP_TUNNEL_MAX_RETIRED_COOKIES, type HTTPTunnelListenerOptions } from './HTTPTunnelListener.js';
export { Base64StreamDecoder } from './Base64StreamDecoder.js';
export { parseHTTPRequestHead, findHeadEnd, type HTTPRequestHead } from './parseHTTPRequestHead.js';
export type {
  RTSPServerStats,
  RTSPServerTotals,
  ReaderSessionStats,
  ReaderTrackStats,
  PublisherStats,
  PublisherTrackStats,
} from './RTSPServerStats.js';
export { ServerStatsCollector, DEFAULT_RATE_WINDOW_US, type ServerStatsSource } from './ServerStatsCollector.js';
export { formatPrometheusMetrics, escapePrometheusLabelValue, PROMETHEUS_CONTENT_TYPE } from './formatPrometheusMetrics.js';
export { MetricsHTTPListener, resolveMetricsOptions, type MetricsOptions, type ResolvedMetricsOptions } from './MetricsHTTPListener.js';
