import type { FramedSource } from '../core/FramedSource.js';
import { MP3FileSource } from '../audio/MP3FileSource.js';
import { MPEG1or2AudioRTPSink } from '../rtp/MPEG1or2AudioRTPSink.js';
import { FileServerMediaSubsession } from './FileServerMediaSubsession.js';
import type { RTPInterfaceLike, RTPSinkLike } from './StreamTransport.js';

/** live555's MP3AudioFileServerMediaSubsession: an `.mp3` file as RFC 2250 MPEG audio (PT 14). */
export class MP3AudioFileServerMediaSubsession extends FileServerMediaSubsession {
  protected override async createNewStreamSource(): Promise<FramedSource> {
    return MP3FileSource.open(this.fileName);
  }

  protected override createNewRTPSink(rtpInterface: RTPInterfaceLike): RTPSinkLike {
    return new MPEG1or2AudioRTPSink({ scheduler: this.scheduler, maxPacketSize: this.maxPacketSize, rtpInterface });
  }

  protected override estimatedBitrateKbps(): number {
    return 128;
  }
}
