// Barrel of the server area: server media sessions (what an RTSP server serves).
export { ServerMediaSession, type ServerMediaSessionOptions } from './ServerMediaSession.js';
export {
  checkAuthenticationDatabase,
  isAuthenticationDatabase,
  type AuthenticationDatabase,
  type ServerDigestAlgorithm,
} from './AuthenticationDatabase.js';
export {
  ServerMediaSubsession,
  ServerMediaStream,
  type ClientTransport,
  type MulticastDelivery,
  type StreamStartInfo,
  type StreamStats,
  type ServerMediaStreamEvents,
  type ServerDefaults,
} from './ServerMediaSubsession.js';
export {
  OnDemandServerMediaSubsession,
  type OnDemandServerMediaSubsessionOptions,
} from './OnDemandServerMediaSubsession.js';
export { PassiveServerMediaSubsession, type PassiveServerMediaSubsessionOptions } from './PassiveServerMediaSubsession.js';
export {
  StreamTransport,
  type StreamTransportFactory,
  type StreamTransportRequest,
  type RTPSinkLike,
  type RTPInterfaceLike,
  type PortRange,
} from './StreamTransport.js';
export { ServerFanout, type FanoutDestination, type ServerFanoutEvents, type ServerFanoutOptions } from './ServerFanout.js';
export {
  DefaultStreamTransport,
  defaultStreamTransportFactory,
  bindServerPortPair,
  checkPortRange,
  DEFAULT_SERVER_PORT_BASE,
} from './DefaultStreamTransport.js';
export { FileServerMediaSubsession, type FileServerMediaSubsessionOptions } from './FileServerMediaSubsession.js';
export { H264VideoFileServerMediaSubsession } from './H264VideoFileServerMediaSubsession.js';
export { H265VideoFileServerMediaSubsession } from './H265VideoFileServerMediaSubsession.js';
export { WAVAudioFileServerMediaSubsession } from './WAVAudioFileServerMediaSubsession.js';
export { MPEG2TransportFileServerMediaSubsession } from './MPEG2TransportFileServerMediaSubsession.js';
export { ADTSAudioFileServerMediaSubsession } from './ADTSAudioFileServerMediaSubsession.js';
export { MP3AudioFileServerMediaSubsession } from './MP3AudioFileServerMediaSubsession.js';
export { createFileServerMediaSubsession, FILE_SERVER_MEDIA_SUBSESSIONS } from './createFileServerMediaSubsession.js';
export {
  LiveServerMediaSubsession,
  type LiveServerMediaSubsessionOptions,
  type LiveCodec,
} from './LiveServerMediaSubsession.js';
export {
  MulticastAddressPool,
  MAX_MULTICAST_GROUPS,
  DEFAULT_MULTICAST_PORT_BASE,
  DEFAULT_MULTICAST_TTL,
  type MulticastOptions,
  type MulticastAllocation,
} from './MulticastAddressPool.js';
export { MulticastStreamTransport, type MulticastStreamTransportOptions } from './MulticastStreamTransport.js';
