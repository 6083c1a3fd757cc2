import { DorsvrError } from '@dorsvr/scheduler';
import {
  parseRangeHeader,
  formatRangeHeader,
  formatRTPInfoHeader,
  parseScale,
  formatScale,
  type RTPInfoEntry,
  type ServerMediaStream,
  type ServerMediaSubsession,
} from '@dorsvr/livemedia';
import type { RTSPClientSession } from './RTSPClientSession.js';
import type { RTSPRequestContext, RTSPRequestTarget, RTSPResponse, RTSPServerCore } from './RTSPRequestContext.js';

/** The streams a PLAY/PAUSE/TEARDOWN addresses: one track, or all of the session's. */
export interface AddressedStreams {
  readonly streams: Array<[ServerMediaSubsession, ServerMediaStream]>;
  /** The aggregate URL as the client addresses it (no trailing slash). */
  readonly baseURL: string;
  /** True when the request named the whole session, not one track. */
  readonly aggregate: boolean;
}

/** Resolve the streams of `session` that `uri` addresses (459 when it names another stream, 455 when a track is not set up). */
export async function streamsAddressed(core: RTSPServerCore, session: RTSPClientSession, uri: string): Promise<AddressedStreams> {
  const target = sessionTarget(session, uri === '*' ? undefined : await core.resolveTarget(uri));
  if (target && target.sms !== session.serverMediaSession) {
    throw new DorsvrError('ERR_RTSP_SESSION_MISMATCH', 'URL names another stream than the session', { status: 459 });
  }
  if (target?.subsession !== undefined && session.serverMediaSession.subsessions.length > 1) {
    const st = session.streams.get(target.subsession);
    if (!st) throw new DorsvrError('ERR_RTSP_TRACK_NOT_SETUP', `${target.subsession.trackId} is not set up`, { status: 455 });
    return { streams: [[target.subsession, st]], baseURL: target.baseURL, aggregate: false };
  }
  const baseURL = target?.baseURL ?? uri.replace(/\/+$/, '');
  return { streams: [...session.streams], baseURL, aggregate: true };
}

/**
 * The target as seen by a session: when the stream its URL names was replaced since the session
 * began (a media file changed), the URL still means the session's own (old) stream and its track.
 */
export function sessionTarget(session: RTSPClientSession, target: RTSPRequestTarget | undefined): RTSPRequestTarget | undefined {
  const own = session.serverMediaSession;
  if (!target || target.sms === own || target.sms.name !== own.name) return target;
  const subsession = target.subsession && own.lookupSubsession(target.subsession.trackId);
  if (target.subsession && !subsession) return target;
  return { sms: own, subsession, baseURL: target.baseURL };
}

/**
 * Seek `streams` to `npt` (clamped to the duration), stopping at `end` when given. The first
 * video track (else the first track) that can seek goes first: its key frame decides where
 * playing starts, and the other tracks are seeked to the time it reached, so audio and video
 * stay in sync. Returns the NPT reached (undefined when no track could seek) and whether every
 * track honours `end`.
 */
async function seekStreams(
  session: RTSPClientSession,
  streams: ReadonlyArray<[ServerMediaSubsession, ServerMediaStream]>,
  npt: number,
  end: number | undefined,
): Promise<{ reached: number | undefined; endHonoured: boolean }> {
  const duration = session.serverMediaSession.durationSeconds();
  if (duration !== undefined && npt > duration) npt = duration;
  const ordered = [...streams];
  const isVideo = new Map<ServerMediaSubsession, boolean>();
  for (const [sub] of ordered.length > 1 ? ordered : []) {
    try {
      isVideo.set(sub, (await sub.sdpMedia()).mediaType === 'video');
    } catch {
      isVideo.set(sub, false);
    }
  }
  // Video first, then the others; in track order within each (stable sort).
  ordered.sort(([a], [b]) => Number(isVideo.get(b)) - Number(isVideo.get(a)) || a.trackNumber - b.trackNumber);
  let reached: number | undefined;
  let endHonoured = true;
  for (const [sub, st] of ordered) {
    const r = sub.seekStream(st, reached ?? npt, end);
    if (r === null) endHonoured = false;
    else reached ??= r;
  }
  return { reached, endHonoured };
}

/**
 * PLAY: seek when a `Range:` asks for it, start every addressed stream, answer `Range` and `RTP-Info`.
 * A start beyond the end of a stream with a known duration is 457 Invalid Range; an end beyond it
 * is the end.
 */
export async function handlePlayRequest(core: RTSPServerCore, ctx: RTSPRequestContext): Promise<RTSPResponse> {
  const { request: req, headers } = ctx;
  const session = core.sessions.requireFromRequest(req);
  const denied = await core.authorize(ctx, session.serverMediaSession, 'read');
  if (denied) return denied;
  const { streams, baseURL } = await streamsAddressed(core, session, req.uri);
  if (streams.length === 0) return { status: 455, headers };

  let start: number | undefined;
  let end: number | undefined;
  const rangeValue = req.headers.get('Range');
  if (rangeValue !== undefined) {
    const range = parseRangeHeader(rangeValue);
    if (range.unit === 'npt' && typeof range.start === 'number') {
      // RFC 2326 section 11.3.5: a start beyond the end of the presentation is out of bounds (an end
      // beyond it is only clamped below). Refused before anything is seeked or started.
      const duration = session.serverMediaSession.durationSeconds();
      if (duration !== undefined && range.start > duration) {
        throw new DorsvrError('ERR_RTSP_RANGE', `Range starts at ${range.start} s, beyond the end (${duration} s)`, { status: 457 });
      }
      const seek = await seekStreams(session, streams, range.start, range.end);
      start = seek.reached;
      if (seek.reached !== undefined && seek.endHonoured) end = range.end;
    }
  }
  const scaleValue = req.headers.get('Scale');
  if (scaleValue !== undefined) {
    parseScale(scaleValue);
    headers.append('Scale', formatScale(1));
  }

  const rtpInfo: RTPInfoEntry[] = [];
  for (const [sub, st] of streams) {
    const info = await sub.startStream(st);
    rtpInfo.push({ url: `${baseURL}/${sub.trackId}`, seq: info.seq, rtptime: info.rtptime >>> 0 });
  }
  if (start === undefined) {
    const first = streams[0]!;
    start = first[0].currentNPT(first[1]);
  }
  const duration = session.serverMediaSession.durationSeconds();
  if (end === undefined || (duration !== undefined && end > duration)) end = duration;
  session.playing = true;
  // What will be played: from where the stream starts to where it will stop.
  headers.append('Range', formatRangeHeader({ unit: 'npt', start: Math.max(0, start), end }));
  headers.append('Session', core.sessions.sessionHeader(session));
  headers.append('RTP-Info', formatRTPInfoHeader(rtpInfo));
  core.events.emit('play', session);
  return { status: 200, headers };
}

/** PAUSE: stop sending the addressed streams until the next PLAY. */
export async function handlePauseRequest(core: RTSPServerCore, ctx: RTSPRequestContext): Promise<RTSPResponse> {
  const { request: req, headers } = ctx;
  const session = core.sessions.requireFromRequest(req);
  const denied = await core.authorize(ctx, session.serverMediaSession, 'read');
  if (denied) return denied;
  const { streams } = await streamsAddressed(core, session, req.uri);
  for (const [sub, st] of streams) sub.pauseStream(st);
  session.playing = false;
  headers.append('Session', core.sessions.sessionHeader(session));
  core.events.emit('pause', session);
  return { status: 200, headers };
}

/** TEARDOWN: end the session (aggregate URL) or delete one track's stream. */
export async function handleTeardownRequest(core: RTSPServerCore, ctx: RTSPRequestContext): Promise<RTSPResponse> {
  const { request: req, headers } = ctx;
  const session = core.sessions.requireFromRequest(req);
  const denied = await core.authorize(ctx, session.serverMediaSession, 'read');
  if (denied) return denied;
  const { streams, aggregate } = await streamsAddressed(core, session, req.uri);
  if (aggregate) {
    core.sessions.close(session, 'teardown');
  } else {
    for (const [sub, st] of streams) {
      core.sessions.deleteStream(session, sub, st);
      session.streams.delete(sub);
    }
    if (session.streams.size === 0) core.sessions.close(session, 'teardown');
  }
  return { status: 200, headers };
}
