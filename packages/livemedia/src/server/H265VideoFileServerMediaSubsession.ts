import type { FramedSource } from '../core/FramedSource.js';
import { H265VideoStreamFramer } from '../h26x/H265VideoStreamFramer.js';
import { H265VideoRTPSink } from '../rtp/H265VideoRTPSink.js';
import { FileServerMediaSubsession } from './FileServerMediaSubsession.js';
import type { RTPInterfaceLike, RTPSinkLike } from './StreamTransport.js';

/**
 * live555's H265VideoFileServerMediaSubsession: an H.265 Annex-B elementary stream file
 * (`.265`/`.h265`), framed by {@link H265VideoStreamFramer} and sent by {@link H265VideoRTPSink}
 * (RFC 7798). The SDP carries `sprop-vps`, `sprop-sps` and `sprop-pps` from the file;
 * seeking goes to the key frame at or before the requested time.
 */
export class H265VideoFileServerMediaSubsession extends FileServerMediaSubsession {
  protected override async createNewStreamSource(): Promise<FramedSource> {
    return H265VideoStreamFramer.open(this.fileName);
  }

  protected override createNewRTPSink(rtpInterface: RTPInterfaceLike, payloadType: number, source: FramedSource): RTPSinkLike {
    const framer = source as H265VideoStreamFramer;
    return new H265VideoRTPSink({
      scheduler: this.scheduler,
      maxPacketSize: this.maxPacketSize,
      rtpInterface,
      payloadType,
      vps: framer.vps,
      sps: framer.sps,
      pps: framer.pps,
      aggregateParameterSets: true,
    });
  }

  protected override estimatedBitrateKbps(): number {
    return 500;
  }
}
