import type { RTPSinkOptions } from './RTPSink.js';
import { SimpleRTPSink } from './SimpleRTPSink.js';

/**
 * The RTP sink of an MPEG transport stream (RFC 2250): static payload type 33, 90 kHz, whole
 * 188-byte TS packets per RTP packet — what live555 builds as a SimpleRTPSink for MP2T. One place
 * for the file and the live subsession.
 * @internal
 */
export function createMPEG2TransportRTPSink(options: Pick<RTPSinkOptions, 'scheduler' | 'maxPacketSize' | 'rtpInterface'>): SimpleRTPSink {
  return new SimpleRTPSink({
    ...options,
    payloadType: 33,
    sdpMediaType: 'video',
    rtpTimestampFrequency: 90_000,
    rtpPayloadFormatName: 'MP2T',
    unitSize: 188,
  });
}
