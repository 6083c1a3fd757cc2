import { realpath, stat } from 'node:fs/promises';
import * as path from 'node:path';
import createDebug from 'debug';
import {
  ServerMediaSession,
  FILE_SERVER_MEDIA_SUBSESSIONS,
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

/** The file extensions served and the track each becomes (livemedia's file tracks, by extension). */
export const DYNAMIC_SERVER_EXTENSIONS: ReadonlyMap<
  string,
  (file: string, options: FileServerMediaSubsessionOptions) => ServerMediaSubsession
> = FILE_SERVER_MEDIA_SUBSESSIONS;

/** What a {@link DynamicRTSPServer.resolveFile} lookup found. */
export type DynamicFileLookup =
  /** A servable file: its real path and what identifies this version of it. */
  | { readonly kind: 'file'; readonly file: string; readonly version: string }
  /** Nothing servable under that name (absent, outside the root, a dotfile, not a regular file). */
  | { readonly kind: 'absent' }
  /** The file system could not say (EACCES, EIO, EMFILE, …): neither served nor unpublished. */
  | { readonly kind: 'unknown'; readonly error: unknown };

/** Errors that say for sure there is no file there (anything else may pass). */
const ABSENT_CODES = new Set(['ENOENT', 'ENOTDIR', 'ELOOP', 'ENAMETOOLONG']);

/**
 * live555MediaServer's DynamicRTSPServer: serves the files of one directory, creating each
 * stream on its first DESCRIBE from the file's extension (see {@link DYNAMIC_SERVER_EXTENSIONS}:
 * `.264/.h264`, `.265/.h265`, `.aac`, `.mp3`, `.wav`, `.ts`). A URL can never reach outside the directory: `..` segments, absolute
 * paths, encoded tricks (`%2e%2e`, `%2f`) and symlinks leading out all answer 404, and neither
 * are dotfiles or anything inside a dot-directory (`.secret.264`, `.hidden/a.264`) served.
 *
 * A stream follows its file: a file that is gone is unpublished (its sessions end); a file that
 * was replaced (another inode, size or modification time) gets a fresh stream and description for
 * new clients while sessions already playing the old one go on to their end; a transient error
 * reading the directory (EACCES, EIO) changes nothing.
 *
 * @example
 * ```ts
 * import { DynamicRTSPServer } from '@dorsvr/rtspserver';
 *
 * const server = new DynamicRTSPServer({ root: '/srv/media', port: 8554, rtpPortRange: { min: 6970, max: 6999 } });
 * await server.listen(); // rtsp://host:8554/<file name>, e.g. /clips/movie.264
 * ```
 */
export class DynamicRTSPServer extends RTSPServer {
  /** The served directory (absolute). */
  readonly root: string;
  readonly #reuseFirstSource: boolean;
  #realRoot: string | undefined;
  /** The streams made from files → the version of the file each was made from. */
  readonly #versions = new WeakMap<ServerMediaSession, string>();

  constructor(options: DynamicRTSPServerOptions) {
    super(options);
    this.root = path.resolve(options.root);
    this.#reuseFirstSource = options.reuseFirstSource ?? false;
  }

  /** The absolute file a stream name maps to, or undefined when it is not a servable file inside the root. */
  async resolveFile(streamName: string): Promise<string | undefined> {
    const r = await this.lookupFile(streamName);
    return r.kind === 'file' ? r.file : undefined;
  }

  /**
   * What a stream name maps to: a servable file inside the root (with its version), nothing, or
   * unknown when the file system failed to answer.
   */
  async lookupFile(streamName: string): Promise<DynamicFileLookup> {
    const absent = { kind: 'absent' } as const;
    if (!isServableName(streamName)) return absent;
    const segments = streamName.split('/');
    try {
      this.#realRoot ??= await realpath(this.root);
      const real = await realpath(path.join(this.root, ...segments));
      const rel = path.relative(this.#realRoot, real);
      if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) {
        debug('refusing %s: resolves outside the root', streamName);
        return absent;
      }
      // A symlink inside the root may lead to a dotfile, or to a name no longer servable.
      if (!isServableName(rel.split(path.sep).join('/'))) return absent;
      const st = await stat(real);
      if (!st.isFile()) return absent;
      return { kind: 'file', file: real, version: `${real}:${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}` };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException | undefined)?.code;
      if (code !== undefined && ABSENT_CODES.has(code)) return absent;
      debug('cannot look up %s: %s', streamName, err instanceof Error ? err.message : String(err));
      return { kind: 'unknown', error: err };
    }
  }

  /**
   * A publisher may not take a path that names a file served here (with the `publish` option),
   * nor one the file system cannot answer for (fail closed).
   */
  protected override async mayPublishAt(path: string): Promise<boolean> {
    const kind = (await this.lookupFile(path)).kind;
    return kind !== 'file' && kind !== 'unknown';
  }

  override async lookupServerMediaSession(streamName: string): Promise<ServerMediaSession | undefined> {
    const existing = this.serverMediaSessions.get(streamName);
    // One the application added itself is served as it is.
    if (existing && !this.#versions.has(existing)) return existing;
    const found = await this.lookupFile(streamName);
    if (found.kind === 'unknown') {
      // Maybe there, maybe not: keep serving what is published, publish nothing new.
      return existing;
    }
    if (found.kind === 'absent') {
      // The file went away: unpublish it.
      if (existing) {
        debug('%s is gone: unpublishing it', streamName);
        this.removeServerMediaSession(existing);
      }
      return undefined;
    }
    if (existing && this.#versions.get(existing) === found.version) return existing;
    const make = DYNAMIC_SERVER_EXTENSIONS.get(path.extname(found.file).toLowerCase());
    if (!make) return undefined;
    const sms = new ServerMediaSession(streamName, {
      description: `${path.extname(found.file).slice(1).toUpperCase()} file, streamed by dorsvr`,
      info: path.basename(found.file),
    });
    sms.addSubsession(make(found.file, { scheduler: this.scheduler, reuseFirstSource: this.#reuseFirstSource, portRange: this.rtpPortRange }));
    // Another request may have created it meanwhile (lookups are async).
    const raced = this.serverMediaSessions.get(streamName);
    if (raced && raced !== existing && (!this.#versions.has(raced) || this.#versions.get(raced) === found.version)) {
      sms.close();
      return raced;
    }
    if (existing) {
      // Sessions playing the old file go on to their end; new clients get the new one.
      debug('%s was replaced: a fresh stream for new clients', streamName);
      this.removeServerMediaSession(existing, { keepSessions: true });
    }
    this.#versions.set(sms, found.version);
    this.addServerMediaSession(sms);
    debug('created stream %s for %s', streamName, found.file);
    return sms;
  }
}

/**
 * True when `name` (a stream name, `/`-separated) could be a served file: no empty, `.` or `..`
 * segment, no segment starting with a dot, no NUL or backslash, not absolute, and a served extension.
 */
export function isServableName(name: string): boolean {
  if (name.length === 0 || name.length > 1024) return false;
  if (name.includes('\0') || name.includes('\\')) return false;
  if (path.isAbsolute(name)) return false;
  if (name.split('/').some((s) => s === '' || s.startsWith('.'))) return false;
  return DYNAMIC_SERVER_EXTENSIONS.has(path.extname(name).toLowerCase());
}
