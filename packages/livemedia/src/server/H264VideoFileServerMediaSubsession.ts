import type { FramedSource } from '../core/FramedSource.js';
import { H264VideoStreamFramer } from '../h26x/H264VideoStreamFramer.js';
import { H264VideoRTPSink } from '../rtp/H264VideoRTPSink.js';
import { FileServerMediaSubsession } from './FileServerMediaSubsession.js';
import type { RTPInterfaceLike, RTPSinkLike } from './StreamTransport.js';

/**
 * live555's H264VideoFileServerMediaSubsession: an H.264 Annex-B elementary stream file
 * (`.264`/`.h264`), framed by {@link H264VideoStreamFramer} and sent by {@link H264VideoRTPSink}
 * (RFC 6184). The SDP carries `sprop-parameter-sets` and `profile-level-id` from the file's SPS/PPS;
 * seeking goes to the key frame at or before the requested time.
 */
export class H264VideoFileServerMediaSubsession extends FileServerMediaSubsession {
  protected override async createNewStreamSource(): Promise<FramedSource> {
    return H264VideoStreamFramer.open(this.fileName);
  }

  protected override createNewRTPSink(rtpInterface: RTPInterfaceLike, payloadType: number, source: FramedSource): RTPSinkLike {
    const framer = source as H264VideoStreamFramer;
    return new H264VideoRTPSink({
      scheduler: this.scheduler,
      maxPacketSize: this.maxPacketSize,
      rtpInterface,
      payloadType,
      sps: framer.sps,
      pps: framer.pps,
      aggregateParameterSets: true,
    });
  }

  protected override estimatedBitrateKbps(): number {
    return 500;
  }
}
