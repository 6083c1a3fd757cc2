import { DorsvrError } from '@dorsvr/scheduler';
import type { ServerDefaults, ServerMediaSubsession } from './ServerMediaSubsession.js';
import { formatSDP, type SDPMediaInit } from '../sdp/formatSDP.js';
import { checkAuthenticationDatabase, type AuthenticationDatabase } from './AuthenticationDatabase.js';

/** Options of a {@link ServerMediaSession}. */
export interface ServerMediaSessionOptions {
  /** SDP `i=` (session information); defaults to the name. */
  info?: string;
  /** SDP `s=` (session name / description); defaults to "Session streamed by dorsvr". */
  description?: string;
  /** Extra session-level SDP lines (without CRLF), e.g. `a=x-foo:bar`. */
  miscSDPLines?: readonly string[];
  /**
   * Credentials for this stream (per-stream authentication), e.g. a `UserAuthenticationDatabase`
   * of `@dorsvr/rtspserver`. It **replaces** the server-wide database for this stream: only its
   * users may play it, whether or not the server has a database of its own (whose users are not
   * let in here). Anything that is not an {@link AuthenticationDatabase} throws `ERR_AUTH_DATABASE`.
   */
  authDatabase?: AuthenticationDatabase | undefined;
}

/**
 * live555's ServerMediaSession: a named stream (`rtsp://host/<name>`) made of one or more tracks
 * ({@link ServerMediaSubsession}s), described to clients by one aggregate SDP.
 *
 * @example
 * ```ts
 * import { ADTSAudioFileServerMediaSubsession, H264VideoFileServerMediaSubsession, ServerMediaSession } from '@dorsvr/livemedia';
 * import { RTSPServer } from '@dorsvr/rtspserver';
 *
 * const server = new RTSPServer({ port: 8554 });
 * const movie = new ServerMediaSession('movie', { description: 'A film' })
 *   .addSubsession(new H264VideoFileServerMediaSubsession('movie.264'))
 *   .addSubsession(new ADTSAudioFileServerMediaSubsession('movie.aac'));
 * server.addServerMediaSession(movie); // rtsp://host:8554/movie
 * ```
 */
export class ServerMediaSession {
  /** The stream name: the URL path after the host, without leading slash (may contain `/`). */
  readonly name: string;
  /** SDP `i=`. */
  readonly info: string;
  /** SDP `s=`. */
  readonly description: string;
  /** Extra session-level SDP lines. */
  readonly miscSDPLines: readonly string[];
  /** SDP `o=` session id, fixed at creation (microseconds of wall clock would do; we use a counter). */
  readonly creationId: string;
  readonly #subsessions: ServerMediaSubsession[] = [];
  #defaults: ServerDefaults | undefined;
  #closed = false;
  #authDatabase: AuthenticationDatabase | undefined;

  static #counter = 0;

  constructor(name: string, options: ServerMediaSessionOptions = {}) {
    this.name = name.replace(/^\/+/, '');
    this.info = sanitize(options.info ?? this.name);
    this.description = sanitize(options.description ?? 'Session streamed by dorsvr');
    this.miscSDPLines = (options.miscSDPLines ?? []).map(sanitize);
    this.#authDatabase = checkAuthenticationDatabase(options.authDatabase, 'ServerMediaSession authDatabase');
    ServerMediaSession.#counter = (ServerMediaSession.#counter + 1) % 1_000_000;
    this.creationId = `${1_000_000_000 + ServerMediaSession.#counter}`;
  }

  /**
   * This stream's own credentials, replacing the server-wide database for it (see
   * {@link ServerMediaSessionOptions.authDatabase}); undefined: the server's database applies.
   * Assigning anything but an {@link AuthenticationDatabase} or undefined throws `ERR_AUTH_DATABASE`
   * and leaves the database as it was.
   */
  get authDatabase(): AuthenticationDatabase | undefined {
    return this.#authDatabase;
  }

  set authDatabase(db: AuthenticationDatabase | undefined) {
    this.#authDatabase = checkAuthenticationDatabase(db, 'ServerMediaSession authDatabase');
  }

  /** The tracks, in order (track1 first). */
  get subsessions(): readonly ServerMediaSubsession[] {
    return this.#subsessions;
  }

  /** True after {@link close}. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Add a track; it becomes `track<N>`. Returns this session for chaining. */
  addSubsession(subsession: ServerMediaSubsession): this {
    if (subsession.parentSession !== undefined) {
      throw new DorsvrError('ERR_SERVER_SUBSESSION_IN_USE', 'this subsession already belongs to a ServerMediaSession');
    }
    subsession.parentSession = this;
    subsession.trackNumber = this.#subsessions.length + 1;
    this.#subsessions.push(subsession);
    if (this.#defaults) subsession.applyServerDefaults(this.#defaults);
    return this;
  }

  /**
   * Hand a server's defaults (its `rtpPortRange`) to every track, now and as tracks are added.
   * The RTSP server calls it from `addServerMediaSession`.
   */
  applyServerDefaults(defaults: ServerDefaults): void {
    this.#defaults = defaults;
    for (const s of this.#subsessions) s.applyServerDefaults(defaults);
  }

  /** Find a track by its control name (`track1`) or, leniently, `trackID=N` / `streamid=N`. */
  lookupSubsession(trackId: string): ServerMediaSubsession | undefined {
    const exact = this.#subsessions.find((s) => s.trackId === trackId);
    if (exact) return exact;
    const m = /^(?:trackID|streamid|track)=?(\d+)$/i.exec(trackId);
    if (m) {
      const n = Number(m[1]);
      // Our a=control names count from 1; clients that invent `trackID=N`/`streamid=N` count from 0.
      return this.#subsessions.find((s) => s.trackNumber === n) ?? (n === 0 ? this.#subsessions[0] : undefined);
    }
    return undefined;
  }

  /**
   * Duration in seconds: the longest track's, when every track knows its duration; `undefined`
   * when any track is live (SDP then says `a=range:npt=now-`).
   */
  durationSeconds(): number | undefined {
    let max = 0;
    if (this.#subsessions.length === 0) return undefined;
    for (const s of this.#subsessions) {
      const d = s.durationSeconds();
      if (d === undefined) return undefined;
      if (d > max) max = d;
    }
    return max;
  }

  /**
   * The aggregate SDP (RFC 4566) for DESCRIBE: session lines, `a=control:*`, `a=range`, then each
   * track's media lines. `serverAddress` goes into `o=` (IPv4 or IPv6).
   */
  async generateSDPDescription(serverAddress = '0.0.0.0'): Promise<string> {
    // Media first: describing a track opens its source, which is when its duration gets known.
    const media: SDPMediaInit[] = [];
    for (const s of this.#subsessions) media.push(await s.sdpMedia());
    const duration = this.durationSeconds();
    return formatSDP({
      sessionId: this.creationId,
      originAddress: serverAddress,
      name: this.description,
      info: this.info,
      tool: 'dorsvr',
      // 0 means live (`a=range:npt=now-`).
      durationSeconds: duration === undefined ? 0 : duration,
      extraLines: this.miscSDPLines,
      media,
    });
  }

  /** Close every track (the session is being removed from the server). Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const s of this.#subsessions) s.close();
  }
}


function sanitize(s: string): string {
  return s.replace(/[\r\n\0]+/g, ' ');
}
