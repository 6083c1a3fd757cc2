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
export { MediaSubsession, type MediaSubsessionEvents } from './MediaSubsession.js';
export type { MediaSubsessionStats } from './MediaSubsessionStats.js';
export type { SubsessionTransport } from './SubsessionTransport.js';
export { PublishSession } from './PublishSession.js';
export { PublishTrack, type PublishTrackEvents, type PublishTrackStats } from './PublishTrack.js';
export { Publication, type RTSPPublishOptions, type PublicationEvents, type PublicationStats } from './Publication.js';
export { LoopingSource, type LoopingSourceEvents } from './LoopingSource.js';
export { RTSPClientAuthenticator, type RTSPClientAuthenticatorOptions } from './RTSPClientAuthenticator.js';
export { parseRTSPURL, type RTSPURL } from './parseRTSPURL.js';
