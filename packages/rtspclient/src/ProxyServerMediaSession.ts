import createDebug from 'debug';
import { EventEmitter } from 'eventemitter3';
import { DorsvrError, booleanOption, defaultScheduler, limitOption, type TaskScheduler, type TaskToken } from '@dorsvr/scheduler';
import {
  DEFAULT_RELAY_MAX_TRACKS,
  formatSDP,
  RelayTrack,
  ServerMediaSession,
  type RelayTrackOptions,
  type SDPMediaDescription,
  type SDPMediaInit,
  type ServerDefaults,
  type ServerMediaSessionOptions,
  type ServerMediaSubsession,
} from '@dorsvr/livemedia';
import type { MediaSession } from './MediaSession.js';
import type { MediaSubsession } from './MediaSubsession.js';
import { RTSPClient, type RTSPClientOptions, type RTSPClientTLSOptions, type RTSPTransportMode } from './RTSPClient.js';

const debug = createDebug('dorsvr:rtspclient:proxy');

/** First reconnection delay (1 s). */
export const DEFAULT_PROXY_RETRY_INITIAL_MS = 1000;
/** Longest reconnection delay (10 s). */
export const DEFAULT_PROXY_RETRY_MAX_MS = 10_000;
/** Reconnection delays vary by ± this fraction (0.2). */
export const DEFAULT_PROXY_RETRY_JITTER = 0.2;
/** The back-end is closed this long after its last reader left (10 s). */
export const DEFAULT_PROXY_GRACE_MS = 10_000;
/** A live back-end that sends no RTP for this long is reconnected (5 s). */
export const DEFAULT_PROXY_NO_DATA_TIMEOUT_MS = 5000;
/** How often readers, data and bit rate are looked at (500 ms). */
const CHECK_INTERVAL_US = 500_000;

/**
 * State of a proxied stream's back-end: `idle` (not connected: no reader yet, or the grace after
 * the last one ran out), `connecting` (DESCRIBE/SETUP/PLAY under way), `live` (playing),
 * `retrying` (it failed: waiting for the next attempt), `closed` ({@link ProxyServerMediaSession.close}).
 */
export type ProxyBackendState = 'idle' | 'connecting' | 'live' | 'retrying' | 'closed';

/** Options of a {@link ProxyServerMediaSession}. */
export interface ProxyServerMediaSessionOptions extends ServerMediaSessionOptions, Omit<RelayTrackOptions, 'scheduler'> {
  /**
   * Every timer (the back-end client's, the relay's, back-off, grace, no-data) runs on it; give the
   * RTSP server's (default: the shared `defaultScheduler()`, the one a server made without a scheduler uses).
   */
  scheduler?: TaskScheduler;
  /** Back-end transport: `udp`, `tcp` or `auto` (UDP, falling back to TCP; the default). */
  transport?: RTSPTransportMode;
  /**
   * Relay UDP packets from any address, not only the back-end's (default false), as
   * {@link RTSPClientOptions.acceptMediaFromAnyAddress}: without it, packets others send to the
   * back-end ports are dropped, never relayed to readers.
   */
  acceptMediaFromAnyAddress?: boolean;
  /** Back-end user name (overrides the URL's userinfo). */
  username?: string;
  /** Back-end password (overrides the URL's userinfo). */
  password?: string;
  /**
   * TLS options of an `rtsps://` (`rtspsh://`) back-end, as {@link RTSPClientOptions.tls}: its
   * certificate is verified against Node's CAs unless `ca` or `rejectUnauthorized: false` says otherwise.
   */
  tls?: RTSPClientTLSOptions;
  /** Connect at once and stay connected, readers or not (default false: at the first DESCRIBE). */
  eager?: boolean;
  /** The back-end is closed this long after its last reader left (default {@link DEFAULT_PROXY_GRACE_MS}). */
  graceMs?: number;
  /**
   * A live back-end silent (no RTP on any track) this long is reconnected (default
   * {@link DEFAULT_PROXY_NO_DATA_TIMEOUT_MS}); in `auto` mode, before the first packet, the client's
   * `fallbackTimeoutMs` is added (its fallback to TCP goes first). After a fallback, later back-end
   * sessions of this proxy start with TCP.
   */
  noDataTimeoutMs?: number;
  /** First reconnection delay (default {@link DEFAULT_PROXY_RETRY_INITIAL_MS}); it doubles per failed attempt. */
  retryInitialMs?: number;
  /** Longest reconnection delay (default {@link DEFAULT_PROXY_RETRY_MAX_MS}). */
  retryMaxMs?: number;
  /** Each delay is multiplied by a random factor in [1 − jitter, 1 + jitter] (default {@link DEFAULT_PROXY_RETRY_JITTER}). */
  retryJitter?: number;
  /** Random numbers in [0, 1) for the jitter (default Math.random; tests give their own). */
  random?: () => number;
  /** Relayed tracks at most (default 16); the back-end's further `m=` sections are not relayed. A positive integer (else `ERR_RTSP_CLIENT_OPTION`). */
  maxTracks?: number;
  /**
   * The back-end client's response timeout (default 10000). This, `fallbackTimeoutMs` and
   * `noDataTimeoutMs` must be positive finite numbers, else the constructor throws `ERR_RTSP_CLIENT_OPTION`.
   */
  requestTimeoutMs?: number;
  /** In `auto` mode, how long the back-end client waits for UDP before TCP (default 5000). */
  fallbackTimeoutMs?: number;
}

/** Statistics of a proxied stream ({@link ProxyServerMediaSession.stats}). */
export interface ProxyStats {
  /** The back-end's state now. */
  state: ProxyBackendState;
  /** Times the back-end was set up again after a failure (live again). */
  reconnects: number;
  /** Attempts that failed since the back-end was last live with data (what the back-off counts). */
  failedAttempts: number;
  /** Readers set up now, over all tracks. */
  readers: number;
  /** RTP packets received from the back-end (all sessions). */
  packetsReceived: number;
  /** Their payload octets. */
  octetsReceived: number;
  /** Packets the back-end sent that never arrived (RTP sequence gaps, all sessions). */
  packetsLost: number;
  /** Back-end payload bit rate over the last second or so, in kbit/s. */
  bitrateKbps: number;
  /** Why the back-end last failed, if it did. */
  lastError: string | undefined;
}

/** Events of a {@link ProxyServerMediaSession} (its {@link ProxyServerMediaSession.events}). */
export interface ProxyServerMediaSessionEvents {
  /** The back-end's state changed; `reason` says why (a failure's message, `retry in 2.0 s`, …). */
  state: [state: ProxyBackendState, reason: string | undefined];
  /**
   * The back-end's SDP changed across a reconnection: these tracks (numbers from 1) were replaced
   * (their readers got an RTCP BYE and their streams ended) or added or removed; others continue.
   */
  tracksChanged: [trackNumbers: number[]];
}

interface ProxyTrack {
  track: RelayTrack;
  /** What decides whether a new back-end session's m= section is the same track. */
  key: string;
  /** The back-end subsession feeding it now. */
  sub: MediaSubsession | undefined;
}

function relayable(m: SDPMediaDescription): boolean {
  return /^RTP\//i.test(m.protocol) && m.payloadTypes.length > 0;
}

/** An m= section's identity for readers: media type, payload types, rtpmap and fmtp lines. */
function trackKey(m: SDPMediaDescription): string {
  const lines = m.attributes
    .filter((a) => /^(rtpmap|fmtp)$/i.test(a.name))
    .map((a) => `${a.name.toLowerCase()}:${(a.value ?? '').trim()}`)
    .sort();
  return JSON.stringify([m.type, m.protocol.toUpperCase(), m.payloadTypes, lines]);
}

/**
 * The reconnection delay after `failures` failed attempts (0 for the first retry), in whole ms:
 * `initial · 2^failures`, at most `max`, times a factor in [1 − jitter, 1 + jitter] from `random()`.
 */
export function proxyRetryDelayMs(failures: number, initialMs: number, maxMs: number, jitter: number, random: () => number): number {
  const base = Math.min(maxMs, initialMs * 2 ** Math.min(failures, 30));
  const r = Math.min(1, Math.max(0, random()));
  return Math.max(0, Math.round(base * (1 - jitter + 2 * jitter * r)));
}

/**
 * live555's ProxyServerMediaSession: a stream that another RTSP server (a camera, an origin
 * server) serves, served again to any number of readers over one back-end session. Add it to an
 * `RTSPServer` like any other session (see the example below).
 *
 * An {@link RTSPClient} plays the back-end URL and hands its RTP and RTCP packets, not frames, to
 * livemedia's relay ({@link RelayTrack}s): any codec passes, and the back-end's rtpmap/fmtp lines
 * are what readers get in the SDP. The back-end is opened at the first DESCRIBE (or at once:
 * `eager`), kept alive, and closed `graceMs` after its last reader left. When it fails (the
 * connection lost, no RTP for `noDataTimeoutMs`, an RTCP BYE, a keep-alive refused), it is set up
 * again after an exponential back-off with jitter; readers keep their sessions and their streams
 * resume (at the next key frame, with sequence numbers and timestamps going on). When the
 * back-end's SDP changed meanwhile, readers of the changed tracks are ended (RTCP BYE) and the
 * others continue.
 *
 * @example
 * ```ts
 * import { ProxyServerMediaSession } from '@dorsvr/rtspclient';
 * import { RTSPServer } from '@dorsvr/rtspserver';
 *
 * const server = new RTSPServer({ port: 8554 });
 * const proxy = new ProxyServerMediaSession('proxyStream', 'rtsp://user:pass@camera.local/stream', { transport: 'auto' });
 * proxy.events.on('state', (state, why) => console.log(state, why ?? '')); // connecting, live, retrying, idle
 * server.addServerMediaSession(proxy);
 * await server.listen();
 * console.log(`play ${server.rtspURL(proxy)}`);
 * ```
 */
export class ProxyServerMediaSession extends ServerMediaSession {
  /** The back-end URL (userinfo removed). */
  readonly url: string;
  /** State changes and track changes. */
  readonly events = new EventEmitter<ProxyServerMediaSessionEvents>();
  readonly #backendURL: string;
  readonly #scheduler: TaskScheduler;
  readonly #options: ProxyServerMediaSessionOptions;
  readonly #random: () => number;
  readonly #graceUs: number;
  readonly #noDataUs: number;
  readonly #userDescription: string | undefined;
  #state: ProxyBackendState = 'idle';
  #tracks: ProxyTrack[] = [];
  /** Tracks replaced or removed, closed once their readers' BYE went out. */
  readonly #retired = new Set<RelayTrack>();
  /** The serving server's defaults (its `rtpPortRange`), for the tracks made now and later. */
  #serverDefaults: ServerDefaults | undefined;
  #backendName: string | undefined;
  #sdpVersion = 0;
  #client: RTSPClient | undefined;
  #attempt: Promise<void> | undefined;
  #retryTimer: TaskToken = 0;
  #checkTimer: TaskToken = 0;
  #failures = 0;
  #reconnects = 0;
  #lastError: string | undefined;
  #lastReaderUs = 0;
  #liveSinceUs = 0;
  #lastDataUs = 0;
  #packetsSeen = 0;
  /** Some RTP arrived since the back-end went live this time. */
  #dataSinceLive = false;
  /** In `auto` mode, a back-end client fell back to TCP once: later ones start with TCP. */
  #useTCP = false;
  #rateAtUs = 0;
  #rateOctets = 0;
  #bitrateKbps = 0;
  /** Totals of tracks' counters from earlier back-end sessions (RelayTrack counts per SSRC for loss). */
  #lostBefore = 0;
  #packetsBefore = 0;
  #octetsBefore = 0;

  /**
   * @param name the stream name readers use (`rtsp://server/<name>`).
   * @param url the back-end `rtsp://[user:pass@]host[:port]/path`, or `rtsps://` (TLS, see
   * {@link ProxyServerMediaSessionOptions.tls}), `rtsph://` / `rtspsh://` (tunnelled over HTTP / HTTPS).
   * Throws `ERR_PROXY_URL` when `url` is none of those.
   */
  constructor(name: string, url: string, options: ProxyServerMediaSessionOptions = {}) {
    super(name, options);
    let u: URL;
    try {
      u = new URL(url);
    } catch (err) {
      throw new DorsvrError('ERR_PROXY_URL', `not a URL: ${JSON.stringify(url)}`, { cause: err });
    }
    if (!['rtsp:', 'rtspu:', 'rtsps:', 'rtsph:', 'rtspsh:'].includes(u.protocol.toLowerCase())) {
      throw new DorsvrError('ERR_PROXY_URL', `not an rtsp:// (rtsps://, rtsph://, rtspsh://) URL: ${JSON.stringify(url)}`);
    }
    booleanOption(options.acceptMediaFromAnyAddress, 'acceptMediaFromAnyAddress', 'ERR_RTSP_CLIENT_OPTION');
    // The back-end client's timeouts are checked now, not when it is made (fail at construction).
    limitOption(options.requestTimeoutMs, 10_000, 'requestTimeoutMs', 'ERR_RTSP_CLIENT_OPTION', 'positive');
    limitOption(options.fallbackTimeoutMs, 5000, 'fallbackTimeoutMs', 'ERR_RTSP_CLIENT_OPTION', 'positive');
    // The relay's limits too: its tracks are only made once the back-end answered, too late to refuse.
    for (const name of ['maxTracks', 'maxReaders'] as const) limitOption(options[name], 0, name, 'ERR_RTSP_CLIENT_OPTION');
    for (const name of ['keyFrameWaitUs', 'byeDelayUs'] as const) limitOption(options[name], 0, name, 'ERR_RTSP_CLIENT_OPTION', 'duration');
    this.#backendURL = url;
    u.username = '';
    u.password = '';
    this.url = u.href;
    this.#scheduler = options.scheduler ?? defaultScheduler();
    this.#options = options;
    this.#random = options.random ?? Math.random;
    this.#graceUs = (options.graceMs ?? DEFAULT_PROXY_GRACE_MS) * 1000;
    this.#noDataUs = limitOption(options.noDataTimeoutMs, DEFAULT_PROXY_NO_DATA_TIMEOUT_MS, 'noDataTimeoutMs', 'ERR_RTSP_CLIENT_OPTION', 'positive') * 1000;
    this.#userDescription = options.description;
    if (options.eager === true) this.#scheduler.scheduleDelayedTask(0, () => this.#open());
  }

  /** The back-end's state now. */
  get state(): ProxyBackendState {
    return this.#state;
  }

  /** The serving server's `rtpPortRange` goes to the relay tracks (their readers' port pairs), now and as the back-end's SDP makes new ones. */
  override applyServerDefaults(defaults: ServerDefaults): void {
    super.applyServerDefaults(defaults);
    this.#serverDefaults = defaults;
    for (const t of this.#tracks) t.track.setServerPortRange(defaults.rtpPortRange);
  }

  /** The relay tracks readers are served from now, one per relayable `m=` section of the back-end's SDP. */
  get tracks(): readonly RelayTrack[] {
    return this.#tracks.map((t) => t.track);
  }

  /** The back-end client while connecting or live (one RTSP session to the back-end). */
  get client(): RTSPClient | undefined {
    return this.#client;
  }

  /** Statistics now. */
  get stats(): ProxyStats {
    let lost = this.#lostBefore;
    let packets = this.#packetsBefore;
    let octets = this.#octetsBefore;
    for (const t of this.#liveTracks()) {
      lost += Math.max(0, t.receptionStats?.packetsLost ?? 0);
      packets += t.stats.packetsReceived;
      octets += t.stats.octetsReceived;
    }
    return {
      state: this.#state,
      reconnects: this.#reconnects,
      failedAttempts: this.#failures,
      readers: this.#readerCount(),
      packetsReceived: packets,
      octetsReceived: octets,
      packetsLost: lost,
      bitrateKbps: this.#bitrateKbps,
      lastError: this.#lastError,
    };
  }

  override get subsessions(): readonly ServerMediaSubsession[] {
    return this.#tracks.map((t) => t.track.subsession);
  }

  override lookupSubsession(trackId: string): ServerMediaSubsession | undefined {
    const subs = this.subsessions;
    const exact = subs.find((s) => s.trackId === trackId);
    if (exact !== undefined) return exact;
    const m = /^(?:trackID|streamid|track)=?(\d+)$/i.exec(trackId);
    if (m === null) return undefined;
    const n = Number(m[1]);
    return subs.find((s) => s.trackNumber === n) ?? (n === 0 ? subs[0] : undefined);
  }

  /** Live: no duration. */
  override durationSeconds(): number | undefined {
    return undefined;
  }

  /**
   * DESCRIBE: opens the back-end when it is idle and waits for it (its first answer); answers with
   * its tracks. Throws `ERR_PROXY_BACKEND` (status 503) while the back-end has never been described.
   */
  override async generateSDPDescription(serverAddress = '0.0.0.0'): Promise<string> {
    if (this.#state === 'closed') throw new DorsvrError('ERR_PROXY_CLOSED', 'the proxied stream is closed', { status: 404 });
    this.#lastReaderUs = this.#scheduler.now();
    // Opened now: wait for the back-end's answer (its SDP may have changed since it was last open).
    const wasIdle = this.#state === 'idle';
    if (wasIdle) this.#open();
    if (wasIdle || this.#tracks.length === 0) await this.#attempt;
    if (this.#tracks.length === 0) {
      throw new DorsvrError('ERR_PROXY_BACKEND', `the back-end ${this.url} is unavailable${this.#lastError === undefined ? '' : `: ${this.#lastError}`}`, { status: 503 });
    }
    const media: SDPMediaInit[] = [];
    for (const t of this.#tracks) media.push(await t.track.subsession.sdpMedia());
    return formatSDP({
      sessionId: this.creationId,
      sessionVersion: this.#sdpVersion + 1,
      originAddress: serverAddress,
      name: this.#userDescription ?? this.#backendName ?? this.description,
      info: this.info,
      tool: 'dorsvr',
      durationSeconds: 0,
      extraLines: this.miscSDPLines,
      media,
    });
  }

  /** Closes the back-end session and every track (readers get their BYE). Idempotent. */
  override close(): void {
    if (this.#state === 'closed') return;
    this.#stopBackend();
    this.#setState('closed', undefined);
    this.#scheduler.unscheduleDelayedTask(this.#checkTimer);
    this.#checkTimer = 0;
    for (const t of this.#tracks) t.track.close();
    for (const t of this.#retired) t.close();
    this.#retired.clear();
    super.close();
  }

  // ----------------------------------------------------------------- back-end

  #setState(state: ProxyBackendState, reason: string | undefined): void {
    if (this.#state === state && state !== 'retrying') return;
    this.#state = state;
    debug('%s: %s%s', this.name, state, reason === undefined ? '' : ` (${reason})`);
    this.events.emit('state', state, reason);
  }

  #liveTracks(): RelayTrack[] {
    return this.#tracks.map((t) => t.track);
  }

  #readerCount(): number {
    let n = 0;
    for (const t of this.#tracks) n += t.track.readers.length;
    return n;
  }

  #open(): void {
    if (this.#state !== 'idle') return;
    this.#lastReaderUs = this.#scheduler.now();
    this.#failures = 0;
    this.#scheduleCheck();
    this.#startAttempt();
  }

  #startAttempt(): void {
    this.#retryTimer = 0;
    this.#setState('connecting', this.#failures === 0 ? undefined : `attempt ${this.#failures + 1}`);
    const client = new RTSPClient(this.#backendURL, {
      scheduler: this.#scheduler,
      transport: this.#useTCP ? 'tcp' : this.#options.transport ?? 'auto',
      acceptMediaFromAnyAddress: this.#options.acceptMediaFromAnyAddress,
      username: this.#options.username,
      password: this.#options.password,
      tls: this.#options.tls,
      requestTimeoutMs: this.#options.requestTimeoutMs,
      fallbackTimeoutMs: this.#options.fallbackTimeoutMs,
      teardownTimeoutMs: 1000,
      userAgent: 'dorsvr ProxyServerMediaSession',
    });
    this.#client = client;
    client.on('error', (err) => this.#fail(client, err.message));
    // Interleaved streams die with the connection (an 'error'); UDP ones may not: some servers close
    // the RTSP connection after PLAY and go on sending. So ask again on a new connection: a back-end
    // that does not answer has failed.
    client.on('disconnect', () => {
      if (this.#client !== client || this.#state !== 'live') return;
      client.options().then(
        () => debug('%s: the back-end closed the RTSP connection; it answers on a new one', this.name),
        (err: unknown) => this.#fail(client, `the back-end connection closed (${err instanceof Error ? err.message : String(err)})`),
      );
    });
    client.on('end', () => this.#fail(client, 'the back-end streams ended'));
    client.on('fallbackToTCP', () => {
      if (this.#client !== client) return;
      // The streams are set up again over TCP: the silence is counted from now.
      this.#lastDataUs = this.#scheduler.now();
      this.#useTCP = true;
    });
    this.#attempt = this.#connect(client).catch((err: unknown) => this.#fail(client, err instanceof Error ? err.message : String(err)));
  }

  async #connect(client: RTSPClient): Promise<void> {
    const session = await client.describe();
    if (this.#client !== client) return;
    const subs = this.#applySDP(session);
    for (const [i, sub] of subs.entries()) {
      const t = this.#tracks[i]!;
      t.sub = sub;
      const track = t.track;
      sub.packetSink = { rtp: (p) => track.pushRTP(p), rtcp: (p) => track.pushRTCP(p) };
      await client.setup(sub);
      if (this.#client !== client) return;
    }
    await client.play();
    if (this.#client !== client) return;
    // Live again after a failure (not a first opening, nor one after the grace ran out).
    if (this.#failures > 0) this.#reconnects++;
    this.#liveSinceUs = this.#scheduler.now();
    this.#lastDataUs = this.#liveSinceUs;
    this.#dataSinceLive = false;
    this.#setState('live', undefined);
  }

  /**
   * Matches the back-end's (new) SDP to the tracks: a track whose m= section is unchanged goes on
   * (its next packet is a new source), a changed one is replaced (its readers end), new ones are
   * added, missing ones end. Returns the back-end subsessions in track order.
   */
  #applySDP(session: MediaSession): MediaSubsession[] {
    const subs = session.subsessions.filter((s) => relayable(s.media));
    if (subs.length === 0) throw new DorsvrError('ERR_PROXY_BACKEND', 'the back-end SDP has no RTP stream to relay');
    const max = this.#options.maxTracks ?? DEFAULT_RELAY_MAX_TRACKS;
    if (subs.length > max) subs.length = max;
    const name = session.sdp.name.trim();
    this.#backendName = name !== '' && name !== '-' ? name : undefined;
    const changed: number[] = [];
    const next: ProxyTrack[] = subs.map((sub, i) => {
      const key = trackKey(sub.media);
      const old = this.#tracks[i];
      if (old !== undefined && old.key === key && !old.track.ended) {
        this.#retireCounters(old.track);
        old.track.newSource();
        return old;
      }
      if (old !== undefined) {
        this.#retire(old.track);
        changed.push(i + 1);
      } else if (this.#tracks.length > 0) {
        changed.push(i + 1);
      }
      return this.#newTrack(sub.media, key, i + 1);
    });
    for (let i = subs.length; i < this.#tracks.length; i++) {
      this.#retire(this.#tracks[i]!.track);
      changed.push(i + 1);
    }
    this.#tracks = next;
    if (changed.length > 0) {
      this.#sdpVersion++;
      debug('%s: the back-end SDP changed: tracks %o', this.name, changed);
      this.events.emit('tracksChanged', changed);
    }
    return subs;
  }

  #newTrack(media: SDPMediaDescription, key: string, trackNumber: number): ProxyTrack {
    const o = this.#options;
    const track = new RelayTrack(media, {
      scheduler: this.#scheduler,
      cname: o.cname,
      portBase: o.portBase,
      portRange: o.portRange,
      maxReaders: o.maxReaders,
      keyFrameWaitUs: o.keyFrameWaitUs,
      byeDelayUs: o.byeDelayUs,
    });
    const sub = track.subsession;
    track.setServerPortRange(this.#serverDefaults?.rtpPortRange);
    sub.trackNumber = trackNumber;
    sub.parentSession = this;
    const pt: ProxyTrack = { track, key, sub: undefined };
    track.on('rtcpToPublisher', (packet) => pt.sub?.sendRTCP(packet));
    track.on('publisherBye', () => {
      const client = this.#client;
      if (client !== undefined && pt.sub !== undefined) this.#fail(client, 'the back-end sent an RTCP BYE');
    });
    return pt;
  }

  /** Counters of the track's back-end session so far, kept before the next one resets its reception stats. */
  #retireCounters(track: RelayTrack): void {
    this.#lostBefore += Math.max(0, track.receptionStats?.packetsLost ?? 0);
  }

  #retire(track: RelayTrack): void {
    this.#retireCounters(track);
    this.#packetsBefore += track.stats.packetsReceived;
    this.#octetsBefore += track.stats.octetsReceived;
    track.end();
    this.#retired.add(track);
    const delay = (this.#options.byeDelayUs ?? 500_000) + 1_000_000;
    this.#scheduler.scheduleDelayedTask(delay, () => {
      if (this.#retired.delete(track)) track.close();
    });
  }

  /** The back-end `client` failed (if it is still ours): close it and retry after the back-off. */
  #fail(client: RTSPClient, reason: string): void {
    if (this.#client !== client) return;
    this.#client = undefined;
    for (const t of this.#tracks) t.sub = undefined;
    if (client.fellBackToTCP) this.#useTCP = true;
    void client.close();
    this.#lastError = reason;
    const delayMs = proxyRetryDelayMs(
      this.#failures,
      this.#options.retryInitialMs ?? DEFAULT_PROXY_RETRY_INITIAL_MS,
      this.#options.retryMaxMs ?? DEFAULT_PROXY_RETRY_MAX_MS,
      this.#options.retryJitter ?? DEFAULT_PROXY_RETRY_JITTER,
      this.#random,
    );
    this.#failures++;
    debug('%s: back-end failed (%s); retry in %d ms', this.name, reason, Math.round(delayMs));
    this.#setState('retrying', `${reason}; retry in ${(delayMs / 1000).toFixed(1)} s`);
    this.#retryTimer = this.#scheduler.rescheduleDelayedTask(this.#retryTimer, delayMs * 1000, () => this.#startAttempt());
  }

  /** Close the back-end session (if any) and cancel a pending retry. */
  #stopBackend(): void {
    this.#scheduler.unscheduleDelayedTask(this.#retryTimer);
    this.#retryTimer = 0;
    const client = this.#client;
    this.#client = undefined;
    for (const t of this.#tracks) t.sub = undefined;
    if (client !== undefined) void client.close();
  }

  #scheduleCheck(): void {
    this.#rateAtUs = this.#scheduler.now();
    this.#rateOctets = this.#octetsNow();
    this.#checkTimer = this.#scheduler.rescheduleDelayedTask(this.#checkTimer, CHECK_INTERVAL_US, () => this.#check());
  }

  #octetsNow(): number {
    let n = this.#octetsBefore;
    for (const t of this.#tracks) n += t.track.stats.octetsReceived;
    return n;
  }

  /** Every half second while not idle: readers (grace), data (no-data timeout), bit rate. */
  #check(): void {
    this.#checkTimer = 0;
    if (this.#state === 'idle' || this.#state === 'closed') return;
    const now = this.#scheduler.now();
    if (this.#readerCount() > 0) this.#lastReaderUs = now;
    if (this.#options.eager !== true && now - this.#lastReaderUs >= this.#graceUs) {
      debug('%s: no reader for %d ms: closing the back-end', this.name, this.#graceUs / 1000);
      this.#stopBackend();
      this.#bitrateKbps = 0;
      this.#setState('idle', 'no reader');
      return;
    }
    let packets = 0;
    for (const t of this.#tracks) packets += t.track.stats.packetsReceived;
    if (packets !== this.#packetsSeen) {
      this.#packetsSeen = packets;
      this.#lastDataUs = now;
      if (this.#state === 'live') {
        this.#failures = 0;
        this.#dataSinceLive = true;
      }
    }
    const octets = this.#octetsNow();
    if (now - this.#rateAtUs >= 1_000_000) {
      this.#bitrateKbps = ((octets - this.#rateOctets) * 8000) / (now - this.#rateAtUs);
      this.#rateAtUs = now;
      this.#rateOctets = octets;
    }
    this.#checkTimer = this.#scheduler.rescheduleDelayedTask(this.#checkTimer, CHECK_INTERVAL_US, () => this.#check());
    // Before the first packet of an `auto` back-end, the client's own UDP → TCP fallback goes first.
    let silenceUs = this.#noDataUs;
    if (!this.#dataSinceLive && this.#client !== undefined && !this.#client.fellBackToTCP && !this.#useTCP && (this.#options.transport ?? 'auto') === 'auto') {
      silenceUs += (this.#options.fallbackTimeoutMs ?? 5000) * 1000;
    }
    if (this.#state === 'live' && this.#client !== undefined && now - Math.max(this.#lastDataUs, this.#liveSinceUs) >= silenceUs) {
      this.#fail(this.#client, `no RTP from the back-end for ${this.#noDataUs / 1_000_000} s`);
    }
  }
}
