import { realpath, stat } from 'node:fs/promises';
import * as path from 'node:path';
import createDebug from 'debug';
import {
  ServerMediaSession,
  H264VideoFileServerMediaSubsession,
  H265VideoFileServerMediaSubsession,
  WAVAudioFileServerMediaSubsession,
  ADTSAudioFileServerMediaSubsession,
  MP3AudioFileServerMediaSubsession,
  MPEG2TransportFileServerMediaSubsession,
  type ServerMediaSubsession,
  type FileServerMediaSubsessionOptions,
} from '@dorsvr/livemedia';
import { RTSPServer, type RTSPServerOptions } from './RTSPServer.js';

const debug = createDebug('dorsvr:rtspserver:dynamic');

/** Options of a {@link DynamicRTSPServer}. */
export interface DynamicRTSPServerOptions extends RTSPServerOptions {
  /** The directory whose files are served. */
  root: string;
  /**
   * One shared source per file for all clients instead of one reader per client (default false,
   * as live555MediaServer: each client can then pause and seek on its own).
   */
  reuseFirstSource?: boolean;
}

/** The file extensions served and the track each becomes. */
export const DYNAMIC_SERVER_EXTENSIONS: ReadonlyMap<
  string,
  (file: string, options: FileServerMediaSubsessionOptions) => ServerMediaSubsession
> = new Map<string, (file: string, options: FileServerMediaSubsessionOptions) => ServerMediaSubsession>([
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
 * live555MediaServer's DynamicRTSPServer: serves the files of one directory, creating each
 * stream on its first DESCRIBE from the file's extension (see {@link DYNAMIC_SERVER_EXTENSIONS}:
 * `.264/.h264`, `.265/.h265`, `.aac`, `.mp3`, `.wav`, `.ts`). A URL can never reach outside the directory: `..` segments, absolute
 * paths, encoded tricks (`%2e%2e`, `%2f`) and symlinks leading out all answer 404.
 *
 * @example
 * ```ts
 * const server = new DynamicRTSPServer({ root: '/srv/media', port: 8554, rtpPortRange: { min: 6970, max: 6999 } });
 * await server.listen(); // rtsp://host:8554/<file name>, e.g. /clips/movie.264
 * ```
 */
export class DynamicRTSPServer extends RTSPServer {
  /** The served directory (absolute). */
  readonly root: string;
  readonly #reuseFirstSource: boolean;
  #realRoot: string | undefined;

  constructor(options: DynamicRTSPServerOptions) {
    super(options);
    this.root = path.resolve(options.root);
    this.#reuseFirstSource = options.reuseFirstSource ?? false;
  }

  /** The absolute file a stream name maps to, or undefined when it is not a servable file inside the root. */
  async resolveFile(streamName: string): Promise<string | undefined> {
    if (streamName.length === 0 || streamName.length > 1024) return undefined;
    if (streamName.includes('\0') || streamName.includes('\\')) return undefined;
    const segments = streamName.split('/');
    if (segments.some((s) => s === '' || s === '.' || s === '..')) return undefined;
    if (path.isAbsolute(streamName)) return undefined;
    if (!DYNAMIC_SERVER_EXTENSIONS.has(path.extname(streamName).toLowerCase())) return undefined;
    this.#realRoot ??= await realpath(this.root).catch(() => this.root);
    const candidate = path.join(this.root, ...segments);
    let real: string;
    try {
      real = await realpath(candidate);
      if (!(await stat(real)).isFile()) return undefined;
    } catch {
      return undefined;
    }
    const rel = path.relative(this.#realRoot, real);
    if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) {
      debug('refusing %s: resolves outside the root', streamName);
      return undefined;
    }
    return real;
  }

  override async lookupServerMediaSession(streamName: string): Promise<ServerMediaSession | undefined> {
    const file = await this.resolveFile(streamName);
    const existing = this.serverMediaSessions.get(streamName);
    if (!file) {
      // The file went away: unpublish it.
      if (existing) this.removeServerMediaSession(existing);
      return undefined;
    }
    if (existing) return existing;
    const make = DYNAMIC_SERVER_EXTENSIONS.get(path.extname(file).toLowerCase());
    if (!make) return undefined;
    const sms = new ServerMediaSession(streamName, {
      description: `${path.extname(file).slice(1).toUpperCase()} file, streamed by dorsvr`,
      info: path.basename(file),
    });
    sms.addSubsession(make(file, { scheduler: this.scheduler, reuseFirstSource: this.#reuseFirstSource, portRange: this.rtpPortRange }));
    // Another request may have created it meanwhile (lookups are async).
    const raced = this.serverMediaSessions.get(streamName);
    if (raced) {
      sms.close();
      return raced;
    }
    this.addServerMediaSession(sms);
    debug('created stream %s for %s', streamName, file);
    return sms;
  }
}
