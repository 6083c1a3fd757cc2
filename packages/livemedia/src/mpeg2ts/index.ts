// Barrel of the mpeg2ts area: MPEG-2 transport streams.
export {
  MPEG2TransportStreamFramer,
  readPCR,
  TS_PACKET_SIZE,
  type MPEG2TransportStreamFramerOptions,
} from './MPEG2TransportStreamFramer.js';
