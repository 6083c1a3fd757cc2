// A typedoc plugin of this repository: files @dorsvr/livemedia's exports under groups by the folder
// they live in (sources, framers, RTP, RTCP, SDP, RTSP codec, server sessions, sinks), so the API
// site lists a package of 300 exports by job instead of by kind. A declaration's own @group wins.
import { Comment, CommentTag, Converter } from 'typedoc';

/** Folder under packages/livemedia/src → group. */
const GROUP_OF_FOLDER = {
  core: 'Sources',
  sources: 'Sources',
  h26x: 'Framers',
  audio: 'Framers',
  mpeg2ts: 'Framers',
  rtp: 'RTP',
  rtpsource: 'RTP',
  rtcp: 'RTCP',
  sdp: 'SDP',
  rtsp: 'RTSP codec',
  server: 'Server sessions',
  relay: 'Server sessions',
  sinks: 'Sinks',
};
/** Files whose exports belong elsewhere than their folder's group. */
const GROUP_OF_FILE = { 'core/MediaSink.ts': 'Sinks' };
/**
 * Exports that belong elsewhere than their file's group: the audio file sources read files and
 * deliver frames as the byte-stream sources do (live555's FramedFileSources), and the AAC config
 * parser sits with the other header parsers rather than with the sink that uses it.
 */
const GROUP_OF_NAME = {
  ADTSAudioFileSource: 'Sources',
  MP3FileSource: 'Sources',
  WAVAudioFileSource: 'Sources',
  WAVAudioFileSourceOptions: 'Sources',
  IndexedAudioFileSource: 'Sources',
  AudioFrameFileReader: 'Sources',
  AUDIO_FILE_CHUNK_SIZE: 'Sources',
  parseAudioSpecificConfig: 'Framers',
  AudioSpecificConfig: 'Framers',
};

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    for (const reflection of context.project.children ?? []) {
      const file = context.getSymbolFromReflection(reflection)?.declarations?.[0]?.getSourceFile().fileName;
      const m = file && /\/packages\/livemedia\/src\/(([^/]+)\/[^/]+\.ts)$/.exec(file);
      if (!m) continue;
      const group = GROUP_OF_NAME[reflection.name] ?? GROUP_OF_FILE[m[1]] ?? GROUP_OF_FOLDER[m[2]];
      if (!group) continue;
      reflection.comment ??= new Comment();
      if (reflection.comment.blockTags.some((t) => t.tag === '@group')) continue;
      reflection.comment.blockTags.push(new CommentTag('@group', [{ kind: 'text', text: group }]));
    }
  });
}
