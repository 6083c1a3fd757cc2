import createDebug from 'debug';
import { isDorsvrError, type TaskToken } from '@dorsvr/scheduler';
import { PortPairAllocator, type PortPair, type UDPSocketType } from '@dorsvr/groupsock';
import {
  ServerMediaSession,
  RelayServerMediaSession,
  parseSDP,
  parseTransportHeader,
  formatTransportSpec,
  parseSessionHeader,
  type PortRange,
  type SDPSessionDescription,
  type TransportSpec,
} from '@dorsvr/livemedia';
import type { RTSPClientSession, SessionCloseReason } from './RTSPClientSession.js';
import type { RTSPAccessAction, RTSPRequestContext, RTSPResponse, RTSPServerCore } from './RTSPRequestContext.js';
import { chooseTransport, pickInterleavedChannels } from './transportNegotiation.js';
import { parseRequestURL } from './parseRequestURL.js';
import { requestPath } from './publishControlPaths.js';
import { PublisherTrackInput, type PublisherTrackTransport } from './PublisherTrackInput.js';
import { PublishedStream, type PublishEndReason } from './PublishedStream.js';
import {
  PUBLISH_BUSY_REASON,
  PUBLISH_BUSY_STATUS,
  resolvePublishOptions,
  type PublishOptions,
  type PublishRequester,
  type ResolvedPublishOptions,
} from './PublishPolicy.js';

const debug = createDebug('dorsvr:rtspserver:publish');

/** Readers waiting for a publisher at once, at most (beyond, DESCRIBE answers at once). */
const MAX_WAITING_READERS = 1000;
/**
 * Seconds the readers of an ended stream keep their sessions after the publisher left (the path
 * is free at once), so that they get their RTCP BYE (sent by the relay after its BYE delay) and
 * can TEARDOWN; then the sessions still there are closed.
 */
const END_GRACE_SECONDS = 2;

/** What the publish handler needs of its RTSP server. */
export interface RTSPPublishHost {
  /** The server's shared state (scheduler, sessions, authorization, events). */
  readonly core: RTSPServerCore;
  /** The stream registered under `name`, if any (no on-demand creation). */
  registeredStream(name: string): ServerMediaSession | undefined;
  /** Register a stream readers can play. */
  addStream(sms: ServerMediaSession): void;
  /**
   * Unregister a stream: the name is free at once; its readers' sessions are closed, or with
   * `keepSessions` left to end by themselves (the stream closes with the last of them).
   */
  removeStream(sms: ServerMediaSession, options?: { keepSessions?: boolean }): void;
  /** May anything be published at `path` (a path that is not a file or another stream)? */
  mayPublishAt(path: string): Promise<boolean>;
  /** The server's `rtpPortRange`: publishers' UDP port pairs come from it when set (else from `portBase` up). */
  readonly rtpPortRange?: PortRange | undefined;
}

/**
 * The publishing side of an RTSP server (live555's RTSPServer with its `handleCmd_ANNOUNCE` /
 * `RECORD` turned on): ANNOUNCE with an SDP makes a {@link PublishedStream} at the URL's path,
 * SETUP with `mode=record` binds each track's input (a UDP port pair or two `$` channels), and
 * RECORD makes the path visible to readers, who play it through livemedia's relay. TEARDOWN, the
 * publisher's connection closing, or its silence past the session timeout ends the stream: readers
 * get an RTCP BYE, their sessions end, the path is free again. The publisher's PAUSE halts the
 * relaying of its packets until its next RECORD ({@link handlePause}).
 *
 * Statuses: 400 bad SDP (reason says why), 401/403 credentials and policy, 405 a path served by a
 * file or by a stream the application added, 413 SDP too large, 415 not `application/sdp`, 453
 * ({@link PUBLISH_BUSY_REASON}) a busy path or too many publishers, 455 a RECORD before any SETUP,
 * 461 no usable transport.
 */
export class RTSPPublishHandler {
  /** The limits and hooks in force. */
  readonly options: ResolvedPublishOptions;
  readonly #host: RTSPPublishHost;
  readonly #streams = new Map<string, PublishedStream>();
  readonly #bySession = new Map<string, PublishedStream>();
  readonly #announceTasks = new Map<PublishedStream, TaskToken>();
  readonly #removalTasks = new Set<TaskToken>();
  readonly #allocators = new Map<UDPSocketType, PortPairAllocator>();
  readonly #waiters = new Map<string, Set<() => void>>();
  #waiting = 0;
  #closed = false;

  /** Throws `ERR_SERVER_OPTION` for a bad option value (fail closed). */
  constructor(host: RTSPPublishHost, options: PublishOptions) {
    this.#host = host;
    this.options = resolvePublishOptions(options);
  }

  /** The streams being published (announced or recording), by path. */
  get streams(): ReadonlyMap<string, PublishedStream> {
    return this.#streams;
  }

  /** True when `session` is a publisher's. */
  isPublisherSession(session: RTSPClientSession): boolean {
    return this.#bySession.has(session.id);
  }

  /** True when the request names a publisher's session (its keep-alives, TEARDOWN). */
  isPublisherRequest(ctx: RTSPRequestContext): boolean {
    const v = ctx.request.headers.get('Session');
    if (v === undefined) return false;
    try {
      return this.#bySession.has(parseSessionHeader(v).id);
    } catch {
      return false;
    }
  }

  /** True when a SETUP asks for `mode=record` (also `RECORD`, `receive`). */
  static isRecordSetup(ctx: RTSPRequestContext): boolean {
    const v = ctx.request.headers.get('Transport');
    if (v === undefined) return false;
    try {
      return parseTransportHeader(v).some((t) => t.mode === 'RECORD');
    } catch {
      return false;
    }
  }

  // -------------------------------------------------------------------------------------------
  // ANNOUNCE

  /** ANNOUNCE: a publisher offers an SDP for a path. */
  async handleAnnounce(ctx: RTSPRequestContext): Promise<RTSPResponse> {
    const { request: req, headers, connection: conn } = ctx;
    const core = this.#host.core;
    const path = parseRequestURL(req.uri)[0]!.streamName;
    if (path === '' || path.length > 1024) return { status: 400, headers, reason: 'Publishing Needs A Path' };
    const placeholder = new ServerMediaSession(path);
    const denied = await core.authorize(ctx, placeholder, 'publish');
    if (denied) return denied;
    if (!(await this.#allowed(() => this.options.authorizePublish?.(path, ctx.username, requester(ctx)) ?? true))) {
      return { status: 403, headers };
    }
    const existing = this.#host.registeredStream(path);
    if ((existing && existing !== this.#streams.get(path)?.relay) || !(await this.#host.mayPublishAt(path))) {
      // A file, or a stream the application added (a relay of its own too): played, not published.
      return { status: 405, headers, reason: 'Path Is Not Publishable' };
    }

    const type = (req.headers.get('Content-Type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/sdp') return { status: 415, headers, reason: 'Content-Type Must Be application/sdp' };
    if (req.body.length > this.options.maxSDPBytes) return { status: 413, headers, reason: `SDP Larger Than ${this.options.maxSDPBytes} Bytes` };
    if (req.body.length === 0) return { status: 400, headers, reason: 'ANNOUNCE Without SDP' };
    let sdp: SDPSessionDescription;
    try {
      sdp = parseSDP(req.body, { maxLength: this.options.maxSDPBytes, maxMedia: this.options.maxTracks });
    } catch (err) {
      return badSDP(headers, err);
    }
    if (sdp.media.length > this.options.maxTracks) return { status: 400, headers, reason: `Bad SDP: more than ${this.options.maxTracks} tracks` };

    // Busy path: refuse, or end the current publisher when the hook says so.
    const current = this.#streams.get(path);
    if (current && !current.ended && current.connection === conn && current.paused) {
      // GStreamer's rtspclientsink resumes after a PAUSE with ANNOUNCE, SETUP of every track and
      // RECORD on its connection: the paused stream goes on (readers keep it) when the tracks are
      // the same; the SETUPs then replace the tracks' inputs and RECORD resumes.
      if (!sameTracks(current.sdp, sdp)) return { status: 455, headers, reason: 'Tracks Differ From The Paused Stream' };
      if (current.session) headers.append('Session', core.sessions.sessionHeader(current.session));
      debug('%s: ANNOUNCE again by its paused publisher', path);
      return { status: 200, headers };
    }
    if (current) {
      const decision = await this.#decide(() =>
        this.options.onBusyPath?.(
          path,
          {
            path,
            sessionId: current.session?.id ?? '',
            username: current.username,
            remoteAddress: current.connection.remoteAddress,
            recording: current.recording,
          },
          requester(ctx),
        ) ?? 'refuse',
      );
      if (decision !== 'takeover' || current.ended) {
        if (!current.ended) return { status: PUBLISH_BUSY_STATUS, headers, reason: PUBLISH_BUSY_REASON };
      } else {
        current.end('taken-over');
      }
      // Another ANNOUNCE may have taken the path while the hook was deciding.
      const now = this.#streams.get(path);
      if (now && now !== current && !now.ended) return { status: PUBLISH_BUSY_STATUS, headers, reason: PUBLISH_BUSY_REASON };
    }
    if (this.#streams.size >= this.options.maxPublishers) return { status: 453, headers, reason: 'Too Many Publishers' };
    let fromAddress = 0;
    for (const s of this.#streams.values()) if (s.connection.remoteAddress === conn.remoteAddress) fromAddress++;
    if (fromAddress >= this.options.maxPublishersPerAddress) return { status: 453, headers, reason: 'Too Many Publishers From This Address' };
    if (this.#closed || core.closed || conn.closed) return { status: 503, headers };

    let relay: RelayServerMediaSession;
    try {
      relay = new RelayServerMediaSession(path, sdp, { scheduler: core.scheduler, maxTracks: this.options.maxTracks, portBase: this.options.portBase });
    } catch (err) {
      return badSDP(headers, err);
    }
    const stream = new PublishedStream(path, sdp, relay, conn, ctx.username);
    this.#streams.set(path, stream);
    stream.once('end', (reason) => this.#onEnd(stream, reason));
    this.#announceTasks.set(
      stream,
      core.scheduler.scheduleDelayedTask(this.options.announceTimeoutSeconds * 1e6, () => {
        this.#announceTasks.delete(stream);
        if (!stream.recording) stream.end('announce-timeout');
      }),
    );
    debug('%s: ANNOUNCE from %s:%d, %d track(s)', path, conn.remoteAddress, conn.remotePort, sdp.media.length);
    return { status: 200, headers };
  }

  // -------------------------------------------------------------------------------------------
  // SETUP (mode=record)

  /** SETUP with `mode=record`: bind one track's input. */
  async handleSetup(ctx: RTSPRequestContext): Promise<RTSPResponse> {
    const { request: req, headers, connection: conn } = ctx;
    const core = this.#host.core;
    let session = core.sessions.fromRequest(req);
    const p = requestPath(req.uri);
    let stream: PublishedStream | undefined;
    if (session) {
      stream = this.#bySession.get(session.id);
      if (!stream) return { status: 455, headers, reason: 'Session Plays, Cannot Record' };
    } else {
      // The first SETUP after ANNOUNCE: the stream this connection announced at a prefix of the URL.
      for (const s of this.#streams.values()) {
        // Not yet SET UP, or paused (rtspclientsink sets its tracks up again before resuming).
        if (s.connection !== conn || (s.session !== undefined && !s.paused) || s.ended) continue;
        if ((p === s.path || p.startsWith(`${s.path}/`)) && (stream === undefined || s.path.length > stream.path.length)) stream = s;
      }
      if (stream?.session !== undefined) session = stream.session;
    }
    const denied = await core.authorize(ctx, new ServerMediaSession(stream?.path ?? p), 'publish');
    if (denied) return denied;
    if (!stream || stream.ended) return { status: 404, headers, reason: 'Nothing Announced Here' };
    if (stream.recording && !stream.paused) return { status: 455, headers, reason: 'Already Recording' };
    const index = stream.trackForPath(p);
    if (index === undefined) return { status: 404, headers, reason: 'No Such Track' };

    const transportValue = req.headers.get('Transport');
    if (transportValue === undefined) return { status: 461, headers };
    const chosen = chooseTransport(parseTransportHeader(transportValue), 'record');
    if (!chosen) return { status: 461, headers };
    if (chosen.lowerTransport === 'TCP' && conn !== stream.connection) return { status: 455, headers };

    // A paused UDP track SET UP again (rtspclientsink, before it resumes) keeps its server ports:
    // the publisher may go on sending where it sent before.
    const kept = stream.inputs[index];
    if (session && kept?.paused && kept.transport.mode === 'udp' && chosen.lowerTransport !== 'TCP' && kept.transport.publisherAddress === conn.remoteAddress) {
      const answer: TransportSpec = {
        profile: 'RTP/AVP',
        lowerTransport: 'UDP',
        delivery: 'unicast',
        clientPort: chosen.clientPort,
        serverPort: { rtp: kept.transport.ports.rtpPort, rtcp: kept.transport.ports.rtcpPort },
        mode: 'RECORD',
      };
      core.sessions.touch(session);
      headers.append('Transport', formatTransportSpec(answer));
      headers.append('Session', core.sessions.sessionHeader(session));
      return { status: 200, headers };
    }

    let created = false;
    if (!session) {
      session = core.sessions.create(stream.relay, conn.remoteAddress);
      created = true;
    }

    let transport: PublisherTrackTransport;
    if (chosen.lowerTransport === 'TCP') {
      const pair = pickInterleavedChannels(conn.channels, chosen);
      if (!pair) return { status: 461, headers };
      transport = { mode: 'tcp', channel: conn, rtpChannel: pair[0], rtcpChannel: pair[1] };
    } else {
      let ports: PortPair;
      try {
        ports = await this.#allocator(conn.remoteAddress.includes(':') ? 'udp6' : 'udp4').allocate();
      } catch (err) {
        if (isDorsvrError(err, 'ERR_PORT_RANGE_EXHAUSTED')) return { status: 453, headers, reason: 'No Free UDP Ports' };
        throw err;
      }
      if (stream.ended || core.closed) {
        void ports.release();
        return { status: 454, headers };
      }
      transport = { mode: 'udp', ports, publisherAddress: conn.remoteAddress, publisherRTCPPort: chosen.clientPort?.rtcp ?? (chosen.clientPort ? chosen.clientPort.rtp + 1 : undefined) };
    }
    const s: RTSPClientSession = session;
    const input = new PublisherTrackInput(transport, stream.relay.tracks[index]!, {
      maxPacketSize: this.options.maxPacketSize,
      onLife: () => core.sessions.touch(s),
      // Renewing the session on every packet would reschedule its timer thousands of times a
      // second; once per tenth of the timeout (at most a second) keeps it as exact.
      lifeIntervalUs: Math.min(1e6, core.sessions.reclamationSeconds * 1e5),
      now: () => core.scheduler.now(),
    });
    if (created) {
      stream.session = session;
      this.#bySession.set(session.id, stream);
      core.sessions.add(session);
      core.events.emit('sessionCreated', session);
    }
    stream.attachInput(index, input);
    core.sessions.touch(session);

    let answer: TransportSpec;
    if (transport.mode === 'tcp') {
      session.interleavedConnection = conn;
      const binding = { session, receive: (channel: number, payload: Uint8Array) => input.handleInterleaved(channel, payload) };
      conn.channels.set(transport.rtpChannel, binding);
      conn.channels.set(transport.rtcpChannel, binding);
      answer = { profile: 'RTP/AVP', lowerTransport: 'TCP', delivery: 'unicast', interleaved: { rtp: transport.rtpChannel, rtcp: transport.rtcpChannel }, mode: 'RECORD' };
    } else {
      answer = {
        profile: 'RTP/AVP',
        lowerTransport: 'UDP',
        delivery: 'unicast',
        clientPort: chosen.clientPort,
        serverPort: { rtp: transport.ports.rtpPort, rtcp: transport.ports.rtcpPort },
        mode: 'RECORD',
      };
    }
    debug('%s: track %d SET UP over %s', stream.path, index, transport.mode);
    headers.append('Transport', formatTransportSpec(answer));
    headers.append('Session', core.sessions.sessionHeader(session));
    return { status: 200, headers };
  }

  // -------------------------------------------------------------------------------------------
  // RECORD, TEARDOWN

  /**
   * The session of a RECORD or PAUSE and the stream it publishes, once the publisher is authorized
   * again for its path; or the answer: the authorization's, or 455 when the session publishes nothing
   * (any more).
   */
  async #publishingSession(ctx: RTSPRequestContext): Promise<{ session: RTSPClientSession; stream: PublishedStream } | RTSPResponse> {
    const core = this.#host.core;
    const session = core.sessions.requireFromRequest(ctx.request);
    const stream = this.#bySession.get(session.id);
    const denied = await core.authorize(ctx, new ServerMediaSession(stream?.path ?? session.streamName), 'publish');
    if (denied) return denied;
    if (!stream || stream.ended) return { status: 455, headers: ctx.headers, reason: 'Session Does Not Publish' };
    return { session, stream };
  }

  /** RECORD: the path becomes visible to readers. */
  async handleRecord(ctx: RTSPRequestContext): Promise<RTSPResponse> {
    const { request: req, headers } = ctx;
    const core = this.#host.core;
    const found = await this.#publishingSession(ctx);
    if ('status' in found) return found;
    const { session, stream } = found;
    if (!stream.inputs.some((i) => i !== undefined)) return { status: 455, headers, reason: 'No Track Set Up' };
    headers.append('Session', core.sessions.sessionHeader(session));
    if (stream.recording) {
      // RECORD after PAUSE resumes what the URL addresses (a repeated RECORD changes nothing).
      const which = this.#tracksAddressed(stream, req.uri);
      if (which === undefined) return { status: 404, headers, reason: 'No Such Track' };
      stream.resume(which);
      return { status: 200, headers };
    }
    const other = this.#host.registeredStream(stream.path);
    if (other && other !== stream.relay) return { status: 405, headers, reason: 'Path Is Not Publishable' };
    stream.record();
    this.#core.scheduler.unscheduleDelayedTask(this.#announceTasks.get(stream));
    this.#announceTasks.delete(stream);
    this.#host.addStream(stream.relay);
    core.events.emit('publish', stream);
    debug('%s: RECORD, readers may play', stream.path);
    const waiters = this.#waiters.get(stream.path);
    if (waiters) for (const w of [...waiters]) w();
    return { status: 200, headers };
  }

  /**
   * PAUSE of a publisher's session (RFC 2326 §10.6; GStreamer's server pauses a recording media
   * too): the addressed tracks (the aggregate URL: all) are not relayed until the next RECORD.
   * Readers keep their sessions, and the publisher's session lives as long as it sends keep-alives
   * (its packets, if it goes on sending, are dropped but still count as a sign of life). 455 before
   * RECORD, 404 for a URL that names no track of the stream.
   */
  async handlePause(ctx: RTSPRequestContext): Promise<RTSPResponse> {
    const { request: req, headers } = ctx;
    const core = this.#host.core;
    const found = await this.#publishingSession(ctx);
    if ('status' in found) return found;
    const { session, stream } = found;
    headers.append('Session', core.sessions.sessionHeader(session));
    if (!stream.recording) return { status: 455, headers, reason: 'Not Recording' };
    const which = this.#tracksAddressed(stream, req.uri);
    if (which === undefined) return { status: 404, headers, reason: 'No Such Track' };
    stream.pause(which);
    core.events.emit('pause', session);
    debug('%s: PAUSE of %s', stream.path, which.length === stream.trackCount ? 'every track' : `track ${which[0]! + 1}`);
    return { status: 200, headers };
  }

  /** The tracks a PAUSE/RECORD URL addresses: every one for the stream's own URL, else the one it names (undefined: none). */
  #tracksAddressed(stream: PublishedStream, uri: string): number[] | undefined {
    const p = requestPath(uri);
    if (p === stream.path) return Array.from({ length: stream.trackCount }, (_, i) => i);
    const i = stream.trackForPath(p);
    return i === undefined ? undefined : [i];
  }

  /** TEARDOWN of a publisher's session: its stream ends. */
  async handleTeardown(ctx: RTSPRequestContext): Promise<RTSPResponse> {
    const core = this.#host.core;
    const session = core.sessions.requireFromRequest(ctx.request);
    const stream = this.#bySession.get(session.id);
    const denied = await core.authorize(ctx, new ServerMediaSession(stream?.path ?? session.streamName), 'publish');
    if (denied) return denied;
    core.sessions.close(session, 'teardown');
    return { status: 200, headers: ctx.headers };
  }

  /** The server closed a session; a publisher's ends its stream. */
  sessionClosed(session: RTSPClientSession, reason: SessionCloseReason): void {
    const stream = this.#bySession.get(session.id);
    if (!stream) return;
    this.#bySession.delete(session.id);
    stream.end(reason === 'teardown' || reason === 'timeout' || reason === 'connection-closed' || reason === 'server-closed' ? reason : 'error');
  }

  // -------------------------------------------------------------------------------------------
  // Readers

  /**
   * The access check for a request on a published path: a reader asks {@link PublishPolicy.authorizeRead}.
   * Requests inside a publisher's session are `publish` requests (see {@link actionOf}).
   */
  async accessCheck(ctx: RTSPRequestContext, sms: ServerMediaSession | undefined, action: RTSPAccessAction): Promise<boolean> {
    if (action !== 'read' || !sms || !this.options.authorizeRead) return true;
    const stream = this.#streams.get(sms.name);
    if (!stream || stream.relay !== sms) return true;
    return this.#allowed(() => this.options.authorizeRead!(sms.name, ctx.username, requester(ctx)));
  }

  /** A request inside a publisher's session publishes, whatever its method (keep-alives too). */
  actionOf(ctx: RTSPRequestContext, action: RTSPAccessAction): RTSPAccessAction {
    return action === 'read' && this.isPublisherRequest(ctx) ? 'publish' : action;
  }

  /**
   * With {@link PublishOptions.waitForPublisherSeconds}: a DESCRIBE of a publishable path nobody
   * publishes yet waits until someone RECORDs there, or the time is up (then the caller answers 404).
   */
  async waitForPublisher(ctx: RTSPRequestContext): Promise<void> {
    const seconds = this.options.waitForPublisherSeconds;
    if (seconds <= 0 || this.#closed || this.#waiting >= MAX_WAITING_READERS) return;
    const uri = ctx.request.uri;
    if (uri === '*') return;
    let path: string;
    try {
      path = parseRequestURL(uri)[0]!.streamName;
    } catch {
      return;
    }
    if (path === '' || (await this.#host.core.resolveTarget(uri)) || !(await this.#host.mayPublishAt(path))) return;
    const scheduler = this.#host.core.scheduler;
    this.#waiting++;
    try {
      await new Promise<void>((resolve) => {
        let set = this.#waiters.get(path);
        if (!set) this.#waiters.set(path, (set = new Set()));
        const waiters = set;
        let task: TaskToken = 0;
        const done = (): void => {
          scheduler.unscheduleDelayedTask(task);
          ctx.connection.socket.off('close', done);
          waiters.delete(done);
          if (waiters.size === 0 && this.#waiters.get(path) === waiters) this.#waiters.delete(path);
          resolve();
        };
        waiters.add(done);
        task = scheduler.scheduleDelayedTask(seconds * 1e6, done);
        ctx.connection.socket.once('close', done);
      });
    } finally {
      this.#waiting--;
    }
  }

  /** End every published stream and stop (the server is closing). Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const s of [...this.#streams.values()]) s.end('server-closed');
    for (const t of this.#removalTasks) this.#core.scheduler.unscheduleDelayedTask(t);
    this.#removalTasks.clear();
    for (const set of [...this.#waiters.values()]) for (const w of [...set]) w();
  }

  // -------------------------------------------------------------------------------------------

  get #core(): RTSPServerCore {
    return this.#host.core;
  }

  #allocator(type: UDPSocketType): PortPairAllocator {
    let a = this.#allocators.get(type);
    const range = this.#host.rtpPortRange;
    if (!a) {
      a = range === undefined ? new PortPairAllocator({ start: this.options.portBase, type }) : new PortPairAllocator({ start: range.min, end: range.max, type });
      this.#allocators.set(type, a);
    }
    return a;
  }

  /** Run a policy hook; a throw or rejection denies (and is reported). */
  async #allowed(hook: () => boolean | Promise<boolean>): Promise<boolean> {
    try {
      return (await hook()) === true;
    } catch (err) {
      this.#core.events.emit('error', err);
      return false;
    }
  }

  async #decide(hook: () => 'refuse' | 'takeover' | Promise<'refuse' | 'takeover'>): Promise<'refuse' | 'takeover'> {
    try {
      return (await hook()) === 'takeover' ? 'takeover' : 'refuse';
    } catch (err) {
      this.#core.events.emit('error', err);
      return 'refuse';
    }
  }

  #onEnd(stream: PublishedStream, reason: PublishEndReason): void {
    const core = this.#core;
    if (this.#streams.get(stream.path) === stream) this.#streams.delete(stream.path);
    core.scheduler.unscheduleDelayedTask(this.#announceTasks.get(stream));
    this.#announceTasks.delete(stream);
    const session = stream.session;
    if (session) {
      this.#bySession.delete(session.id);
      if (!session.closed) {
        core.sessions.close(session, reason === 'teardown' || reason === 'timeout' || reason === 'connection-closed' || reason === 'server-closed' ? reason : reason === 'announce-timeout' ? 'timeout' : 'server-closed');
      }
    }
    const relay = stream.relay;
    const registered = this.#host.registeredStream(stream.path) === relay;
    if (registered && !this.#closed && !core.closed) {
      // The path is free now; readers get their BYE from the relay after its delay, and their
      // sessions are closed a little later unless they TEARDOWN first.
      this.#host.removeStream(relay, { keepSessions: true });
      const task = core.scheduler.scheduleDelayedTask(END_GRACE_SECONDS * 1e6, () => {
        this.#removalTasks.delete(task);
        core.sessions.closeWhere((s) => s.serverMediaSession === relay, 'server-closed');
        relay.close();
      });
      this.#removalTasks.add(task);
    } else if (registered) {
      this.#host.removeStream(relay);
    } else {
      relay.close();
    }
    core.events.emit('unpublish', stream, reason, stream.stats());
  }
}

function requester(ctx: RTSPRequestContext): PublishRequester {
  const c = ctx.connection;
  return { connectionId: c.id, remoteAddress: c.remoteAddress, remotePort: c.remotePort };
}

function badSDP(headers: RTSPResponse['headers'], err: unknown): RTSPResponse {
  if (!isDorsvrError(err)) throw err;
  // The reason phrase tells the publisher what is wrong (ffmpeg prints it); one line, bounded.
  const why = err.message.replace(/[^\x20-\x7e]+/g, ' ').slice(0, 160);
  return { status: 400, headers, reason: `Bad SDP: ${why}` };
}

/** True when `b` describes the same tracks as `a`: as many `m=` sections, each of the same type, payload types and `a=rtpmap`s. */
function sameTracks(a: SDPSessionDescription, b: SDPSessionDescription): boolean {
  if (a.media.length !== b.media.length) return false;
  const rtpmaps = (m: SDPSessionDescription['media'][number]): string =>
    m.attributes
      .filter((x) => x.name.toLowerCase() === 'rtpmap')
      .map((x) => (x.value ?? '').trim().toLowerCase())
      .join('|');
  return a.media.every((m, i) => {
    const n = b.media[i]!;
    return m.type === n.type && m.payloadTypes.join(' ') === n.payloadTypes.join(' ') && rtpmaps(m) === rtpmaps(n);
  });
}
