import type { FramedSource } from '../core/FramedSource.js';
import { MPEG2TransportStreamFramer } from '../mpeg2ts/MPEG2TransportStreamFramer.js';
import { SimpleRTPSink } from '../rtp/SimpleRTPSink.js';
import { FileServerMediaSubsession } from './FileServerMediaSubsession.js';
import type { RTPInterfaceLike, RTPSinkLike } from './StreamTransport.js';

/**
 * live555's MPEG2TransportFileServerMediaSubsession: a `.ts` file sent as RTP payload type 33
 * (RFC 2250, 7 TS packets per RTP packet), paced by its PCRs, seekable by byte position.
 */
export class MPEG2TransportFileServerMediaSubsession extends FileServerMediaSubsession {
  protected override async createNewStreamSource(): Promise<FramedSource> {
    return MPEG2TransportStreamFramer.open(this.fileName);
  }

  protected override createNewRTPSink(rtpInterface: RTPInterfaceLike): RTPSinkLike {
    return new SimpleRTPSink({
      scheduler: this.scheduler,
      maxPacketSize: this.maxPacketSize,
      rtpInterface,
      payloadType: 33,
      sdpMediaType: 'video',
      rtpTimestampFrequency: 90_000,
      rtpPayloadFormatName: 'MP2T',
      unitSize: 188,
    });
  }

  protected override estimatedBitrateKbps(): number {
    return 2000;
  }
}
