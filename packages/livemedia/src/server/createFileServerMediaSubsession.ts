import * as path from 'node:path';
import type { FileServerMediaSubsession, FileServerMediaSubsessionOptions } from './FileServerMediaSubsession.js';
import { H264VideoFileServerMediaSubsession } from './H264VideoFileServerMediaSubsession.js';
import { H265VideoFileServerMediaSubsession } from './H265VideoFileServerMediaSubsession.js';
import { WAVAudioFileServerMediaSubsession } from './WAVAudioFileServerMediaSubsession.js';
import { ADTSAudioFileServerMediaSubsession } from './ADTSAudioFileServerMediaSubsession.js';
import { MP3AudioFileServerMediaSubsession } from './MP3AudioFileServerMediaSubsession.js';
import { MPEG2TransportFileServerMediaSubsession } from './MPEG2TransportFileServerMediaSubsession.js';

/**
 * The file extensions (lower case, with the dot) a file track can be made from, and the
 * subsession each becomes: `.264/.h264`, `.265/.h265`, `.aac`, `.mp3`, `.wav`, `.ts`.
 */
export const FILE_SERVER_MEDIA_SUBSESSIONS: ReadonlyMap<
  string,
  (file: string, options: FileServerMediaSubsessionOptions) => FileServerMediaSubsession
> = new Map<string, (file: string, options: FileServerMediaSubsessionOptions) => FileServerMediaSubsession>([
  ['.264', (f, o) => new H264VideoFileServerMediaSubsession(f, o)],
  ['.h264', (f, o) => new H264VideoFileServerMediaSubsession(f, o)],
  ['.265', (f, o) => new H265VideoFileServerMediaSubsession(f, o)],
  ['.h265', (f, o) => new H265VideoFileServerMediaSubsession(f, o)],
  ['.wav', (f, o) => new WAVAudioFileServerMediaSubsession(f, o)],
  ['.aac', (f, o) => new ADTSAudioFileServerMediaSubsession(f, o)],
  ['.mp3', (f, o) => new MP3AudioFileServerMediaSubsession(f, o)],
  ['.ts', (f, o) => new MPEG2TransportFileServerMediaSubsession(f, o)],
]);

/**
 * The file track for `fileName`, chosen by its extension (see {@link FILE_SERVER_MEDIA_SUBSESSIONS}),
 * or undefined for an extension no file track reads. The file is opened only when the track is
 * described or streamed.
 *
 * @example
 * ```ts
 * import { ServerMediaSession, createFileServerMediaSubsession } from '@dorsvr/livemedia';
 *
 * const track = createFileServerMediaSubsession('movie.265', {}); // an H265VideoFileServerMediaSubsession
 * if (track === undefined) throw new Error('not a media file dorsvr serves');
 * const movie = new ServerMediaSession('movie').addSubsession(track);
 * ```
 */
export function createFileServerMediaSubsession(fileName: string, options: FileServerMediaSubsessionOptions): FileServerMediaSubsession | undefined {
  return FILE_SERVER_MEDIA_SUBSESSIONS.get(path.extname(fileName).toLowerCase())?.(fileName, options);
}
