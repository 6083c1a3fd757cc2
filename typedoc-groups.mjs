// A typedoc plugin of this repository: files @dorsvr/livemedia's exports under groups by the folder
// they live in (sources, framers, RTP, RTCP, SDP, RTSP codec, server sessions, sinks), so the API
// site lists a package of 300 exports by job instead of by kind; @dorsvr/rtspserver's and
// @dorsvr/rtspclient's exports likewise by the file they live in (server, requests, publishing,
// authentication, …). A declaration's own @group wins.
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

/** File under packages/rtspserver/src → group. */
const RTSPSERVER_GROUP_OF_FILE = {
  'RTSPServer.ts': 'Server',
  'RTSPServerOptions.ts': 'Server',
  'DynamicRTSPServer.ts': 'Server',
  'RTSPRequestContext.ts': 'Requests and sessions',
  'RTSPSessionRegistry.ts': 'Requests and sessions',
  'RTSPClientSession.ts': 'Requests and sessions',
  'RTSPClientConnection.ts': 'Requests and sessions',
  'clientAddressKey.ts': 'Requests and sessions',
  'parseRequestURL.ts': 'Requests and sessions',
  'transportNegotiation.ts': 'Requests and sessions',
  'handleDescribeRequest.ts': 'Requests and sessions',
  'handleSetupRequest.ts': 'Requests and sessions',
  'handlePlaybackRequests.ts': 'Requests and sessions',
  'handleParameterRequest.ts': 'Requests and sessions',
  'RTSPAuthenticator.ts': 'Authentication',
  'UserAuthenticationDatabase.ts': 'Authentication',
  'RTSPPublishHandler.ts': 'Publishing',
  'PublishPolicy.ts': 'Publishing',
  'PublishedStream.ts': 'Publishing',
  'PublisherTrackInput.ts': 'Publishing',
  'publishControlPaths.ts': 'Publishing',
  'HTTPTunnelListener.ts': 'RTSP over HTTP',
  'Base64StreamDecoder.ts': 'RTSP over HTTP',
  'parseHTTPRequestHead.ts': 'RTSP over HTTP',
  'RTSPServerStats.ts': 'Statistics',
  'ServerStatsCollector.ts': 'Statistics',
  'MetricsHTTPListener.ts': 'Statistics',
  'formatPrometheusMetrics.ts': 'Statistics',
};
/** File under packages/rtspclient/src → group. */
const RTSPCLIENT_GROUP_OF_FILE = {
  'RTSPClient.ts': 'Client',
  'RTSPClientError.ts': 'Client',
  'RTSPClientResponse.ts': 'Client',
  'parseRTSPURL.ts': 'Client',
  'RTSPClientAuthenticator.ts': 'Client',
  'MediaSession.ts': 'Playing',
  'MediaSubsession.ts': 'Playing',
  'MediaSubsessionStats.ts': 'Playing',
  'SubsessionTransport.ts': 'Playing',
  'PublishSession.ts': 'Publishing',
  'PublishTrack.ts': 'Publishing',
  'Publication.ts': 'Publishing',
  'LoopingSource.ts': 'Publishing',
  'ProxyServerMediaSession.ts': 'Proxying',
  'cliSupport.ts': 'Command line',
  'parseClientArgs.ts': 'Command line',
  'parsePublishArgs.ts': 'Command line',
  'parseProxyArgs.ts': 'Command line',
};
/** Re-exports of another package (declared there), by package and name. */
const GROUP_OF_REEXPORT = {
  '@dorsvr/rtspserver': { AuthenticationDatabase: 'Authentication', ServerDigestAlgorithm: 'Authentication' },
};

/** The group of an export declared in `file` (an absolute path), of the package `project`. */
function groupOf(project, name, file) {
  let m = /\/packages\/livemedia\/src\/(([^/]+)\/[^/]+\.ts)$/.exec(file);
  if (m) return GROUP_OF_NAME[name] ?? GROUP_OF_FILE[m[1]] ?? GROUP_OF_FOLDER[m[2]];
  m = /\/packages\/(rtspserver|rtspclient)\/src\/([^/]+\.ts)$/.exec(file);
  if (m) return (m[1] === 'rtspserver' ? RTSPSERVER_GROUP_OF_FILE : RTSPCLIENT_GROUP_OF_FILE)[m[2]];
  return GROUP_OF_REEXPORT[project]?.[name];
}

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    for (const reflection of context.project.children ?? []) {
      const file = context.getSymbolFromReflection(reflection)?.declarations?.[0]?.getSourceFile().fileName;
      if (!file) continue;
      const group = groupOf(context.project.name, reflection.name, file);
      if (!group) continue;
      reflection.comment ??= new Comment();
      if (reflection.comment.blockTags.some((t) => t.tag === '@group')) continue;
      reflection.comment.blockTags.push(new CommentTag('@group', [{ kind: 'text', text: group }]));
    }
  });
}
