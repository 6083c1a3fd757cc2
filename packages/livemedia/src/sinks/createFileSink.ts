import { ADTSAudioFileSink } from './ADTSAudioFileSink.js';
import { FileSink, type FileSinkOptions } from './FileSink.js';
import { planFileSink, type FileSinkDescription } from './fileExtensionFor.js';
import { H264VideoFileSink } from './H264VideoFileSink.js';
import { H265VideoFileSink } from './H265VideoFileSink.js';
import { WAVAudioFileSink } from './WAVAudioFileSink.js';

/**
 * The file sink for an SDP media section, as openRTSP picks one: {@link H264VideoFileSink} and
 * {@link H265VideoFileSink} (parameter sets from the fmtp), {@link ADTSAudioFileSink} for AAC
 * `mpeg4-generic` (ADTS from `config=`), {@link WAVAudioFileSink} for L16/L24/L8/PCMU/PCMA, and a
 * plain {@link FileSink} for everything else (MPA → MP3, MP2T → TS, unknown → raw frames). Name the
 * file with {@link fileExtensionFor}. The file is opened when the sink starts playing.
 *
 * @example
 * ```ts
 * import { createFileSink, fileExtensionFor } from '@dorsvr/livemedia';
 * import { RTSPClient } from '@dorsvr/rtspclient';
 *
 * const client = new RTSPClient('rtsp://127.0.0.1:8554/movie');
 * const sub = (await client.describe()).subsessions[0]!;
 * const sink = createFileSink(`recording${fileExtensionFor(sub.description)}`, sub.description);
 * await sink.open(); // fails here (ERR_FILE_SINK_OPEN) when the file cannot be written
 * await client.setup(sub);
 * await client.play();
 * await sink.startPlaying(sub.source).finally(() => sink.close());
 * ```
 */
export function createFileSink(path: string, desc: FileSinkDescription, options: FileSinkOptions = {}): FileSink {
  const plan = planFileSink(desc);
  switch (plan.kind) {
    case 'h264':
      return new H264VideoFileSink(path, { ...options, spropParameterSets: plan.sprop });
    case 'h265':
      return new H265VideoFileSink(path, { ...options, spropVPS: plan.vps, spropSPS: plan.sps, spropPPS: plan.pps });
    case 'aac':
      return new ADTSAudioFileSink(path, { ...options, config: plan.config });
    case 'wav':
      return new WAVAudioFileSink(path, { ...options, format: plan.format, sampleRate: plan.sampleRate, channels: plan.channels });
    case 'raw':
      return new FileSink(path, options);
  }
}
