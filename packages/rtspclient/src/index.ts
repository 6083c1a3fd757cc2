/**
 * @packageDocumentation
 * @dorsvr/rtspclient: live555's RTSPClient and MediaSession for Node — plays `rtsp://` streams
 * over UDP or TCP (with automatic fallback), with Basic/Digest authentication, keep-alives and
 * RTCP receiver reports, delivering frames to livemedia sinks, events or async iterators; and
 * publishes to a server (ANNOUNCE, SETUP with mode=record, RECORD) from any livemedia
 * `FramedSource` through an RTP sink, or a whole `ServerMediaSession` with `RTSPClient.publish`.
 */
export {
  RTSPClient,
  type RTSPClientOptions,
  type RTSPClientEvents,
  type RTSPSetupOptions,
  type RTSPPlayOptions,
  type RTSPTransportMode,
  type RTSPClientTLSOptions,
} from './RTSPClient.js';
export { RTSPClientError } from './RTSPClientError.js';
export type { RTSPClientResponse } from './RTSPClientResponse.js';
export { MediaSession } from './MediaSession.js';
export { MediaSubsession, type MediaSubsessionEvents, type MediaSubsessionPacketSink } from './MediaSubsession.js';
export type { MediaSubsessionStats } from './MediaSubsessionStats.js';
export type { SubsessionTransport } from './SubsessionTransport.js';
export { PublishSession } from './PublishSession.js';
export { PublishTrack, type PublishTrackEvents, type PublishTrackStats } from './PublishTrack.js';
export { Publication, type RTSPPublishOptions, type PublicationEvents, type PublicationStats } from './Publication.js';
export { LoopingSource, type LoopingSourceEvents } from './LoopingSource.js';
export { RTSPClientAuthenticator, type RTSPClientAuthenticatorOptions } from './RTSPClientAuthenticator.js';
export { parseRTSPURL, type RTSPURL } from './parseRTSPURL.js';
export { parseClientArgs, clientHelp, CLIENT_OPTIONS, CLIENT_USAGE, type ClientArgs } from './parseClientArgs.js';
export {
  parseCLIArgs,
  formatHelp,
  packageVersion,
  readPassword,
  StatusLine,
  CLIUsageError,
  type CLIOption,
  type ParsedCLIArgs,
  type StatusMode,
} from './cliSupport.js';
export {
  ProxyServerMediaSession,
  proxyRetryDelayMs,
  DEFAULT_PROXY_GRACE_MS,
  DEFAULT_PROXY_NO_DATA_TIMEOUT_MS,
  DEFAULT_PROXY_RETRY_INITIAL_MS,
  DEFAULT_PROXY_RETRY_JITTER,
  DEFAULT_PROXY_RETRY_MAX_MS,
  type ProxyBackendState,
  type ProxyServerMediaSessionEvents,
  type ProxyServerMediaSessionOptions,
  type ProxyStats,
} from './ProxyServerMediaSession.js';
export { parsePublishArgs, publishHelp, PUBLISH_OPTIONS, PUBLISH_USAGE, type PublishArgs } from './parsePublishArgs.js';
export { parseProxyArgs, proxyHelp, PROXY_OPTIONS, PROXY_USAGE, type ProxyArgs } from './parseProxyArgs.js';
