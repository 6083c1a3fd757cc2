// Barrel of the server area: server media sessions (what an RTSP server serves).
export { ServerMediaSession, formatNPT, type ServerMediaSessionOptions } from './ServerMediaSession.js';
export {
  ServerMediaSubsession,
  ServerMediaStream,
  type ClientTransport,
  type StreamStartInfo,
  type StreamStats,
  type ServerMediaStreamEvents,
} from './ServerMediaSubsession.js';
