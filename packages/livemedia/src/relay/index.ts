// Barrel of the relay area: published, proxied and source-fed streams relayed as RTP packets.
export {
  RelayServerMediaSession,
  DEFAULT_RELAY_MAX_TRACKS,
  type RelayServerMediaSessionOptions,
  type RelaySourceInput,
} from './RelayServerMediaSession.js';
export {
  RelayTrack,
  DEFAULT_RELAY_MAX_READERS,
  DEFAULT_RELAY_KEY_FRAME_WAIT_US,
  DEFAULT_RELAY_BYE_DELAY_US,
  RELAY_MAX_PREFIX_PACKETS,
  RELAY_MAX_PREFIX_BYTES,
  type RelayTrackOptions,
  type RelayTrackEvents,
  type RelayTrackStats,
} from './RelayTrack.js';
export { RelayServerMediaSubsession } from './RelayServerMediaSubsession.js';
export { RelayReader, type RelayReaderState, type InterleavedTarget } from './RelayReader.js';
export { RelayRTPInterface } from './RelayRTPInterface.js';
export { RelaySocketPair } from './RelaySocketPair.js';
export { RelayParameterSets, type RelayCodec } from './RelayParameterSets.js';
export { isH264KeyFrameStart, isH265KeyFrameStart, h264KeyFramePrefix, h265KeyFramePrefix, type KeyFramePrefixKind } from './keyFrameStart.js';
