import type { FramedSource } from '../core/FramedSource.js';
import { ADTSAudioFileSource } from '../audio/ADTSAudioFileSource.js';
import { MPEG4GenericRTPSink } from '../rtp/MPEG4GenericRTPSink.js';
import { FileServerMediaSubsession } from './FileServerMediaSubsession.js';
import type { RTPInterfaceLike, RTPSinkLike } from './StreamTransport.js';

/** live555's ADTSAudioFileServerMediaSubsession: an `.aac` (ADTS) file as RFC 3640 AAC-hbr. */
export class ADTSAudioFileServerMediaSubsession extends FileServerMediaSubsession {
  protected override async createNewStreamSource(): Promise<FramedSource> {
    return ADTSAudioFileSource.open(this.fileName);
  }

  protected override createNewRTPSink(rtpInterface: RTPInterfaceLike, payloadType: number, source: FramedSource): RTPSinkLike {
    const adts = source as ADTSAudioFileSource;
    return new MPEG4GenericRTPSink({
      scheduler: this.scheduler,
      maxPacketSize: this.maxPacketSize,
      rtpInterface,
      payloadType,
      samplingFrequency: adts.sampleRate,
      numChannels: adts.numChannels,
      configHex: adts.configHex,
    });
  }

  protected override estimatedBitrateKbps(): number {
    return 96;
  }
}
