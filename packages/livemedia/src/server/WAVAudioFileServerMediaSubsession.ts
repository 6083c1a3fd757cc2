import type { FramedSource } from '../core/FramedSource.js';
import { WAVAudioFileSource } from '../audio/WAVAudioFileSource.js';
import { SimpleRTPSink } from '../rtp/SimpleRTPSink.js';
import { DEFAULT_MAX_PACKET_SIZE } from '../rtp/RTPSink.js';
import { FileServerMediaSubsession } from './FileServerMediaSubsession.js';
import type { RTPInterfaceLike, RTPSinkLike } from './StreamTransport.js';

/** RFC 3551's static payload types for the formats a WAV file can hold. */
function staticPayloadType(format: string, rate: number, channels: number): number | undefined {
  if (format === 'PCMU' && rate === 8000 && channels === 1) return 0;
  if (format === 'PCMA' && rate === 8000 && channels === 1) return 8;
  if (format === 'L16' && rate === 44100 && channels === 2) return 10;
  if (format === 'L16' && rate === 44100 && channels === 1) return 11;
  return undefined;
}

/**
 * live555's WAVAudioFileServerMediaSubsession: PCM from a WAV file as L16 (16- and 8-bit PCM),
 * PCMU or PCMA, at the file's rate and channel count; seekable to the sample.
 */
export class WAVAudioFileServerMediaSubsession extends FileServerMediaSubsession {
  protected override async createNewStreamSource(): Promise<FramedSource> {
    // Frames that fill one packet's payload (the 12-byte RTP header aside).
    return WAVAudioFileSource.open(this.fileName, { maxFrameBytes: (this.maxPacketSize ?? DEFAULT_MAX_PACKET_SIZE) - 12 });
  }

  protected override createNewRTPSink(rtpInterface: RTPInterfaceLike, payloadType: number, source: FramedSource): RTPSinkLike {
    const wav = source as WAVAudioFileSource;
    return new SimpleRTPSink({
      scheduler: this.scheduler,
      maxPacketSize: this.maxPacketSize,
      rtpInterface,
      payloadType: staticPayloadType(wav.format, wav.sampleRate, wav.numChannels) ?? payloadType,
      sdpMediaType: 'audio',
      rtpTimestampFrequency: wav.sampleRate,
      rtpPayloadFormatName: wav.format,
      numChannels: wav.numChannels,
      unitSize: wav.bytesPerFrameOut,
    });
  }

  protected override estimatedBitrateKbps(): number {
    return 256;
  }
}
