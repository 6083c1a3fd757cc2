import type { FramedSource } from '../core/FramedSource.js';
import { MPEG2TransportStreamFramer } from '../mpeg2ts/MPEG2TransportStreamFramer.js';
import { createMPEG2TransportRTPSink } from '../rtp/createMPEG2TransportRTPSink.js';
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
    return createMPEG2TransportRTPSink({ scheduler: this.scheduler, maxPacketSize: this.maxPacketSize, rtpInterface });
  }

  protected override estimatedBitrateKbps(): number {
    return 2000;
  }
}
