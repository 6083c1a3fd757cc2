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
import type { RTSPRequestContext, RTSPResponse, RTSPServerCore } from './RTSPRequestContext.js';

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
  const target = uri === '*' ? undefined : await core.resolveTarget(uri);
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

/** PLAY: seek when a `Range:` asks for it, start every addressed stream, answer `Range` and `RTP-Info`. */
export async function handlePlayRequest(core: RTSPServerCore, ctx: RTSPRequestContext): Promise<RTSPResponse> {
  const { request: req, headers } = ctx;
  const session = core.sessions.requireFromRequest(req);
  const denied = await core.authorize(ctx, session.serverMediaSession, 'read');
  if (denied) return denied;
  const { streams, baseURL } = await streamsAddressed(core, session, req.uri);
  if (streams.length === 0) return { status: 455, headers };

  let start: number | undefined;
  const rangeValue = req.headers.get('Range');
  if (rangeValue !== undefined) {
    const range = parseRangeHeader(rangeValue);
    if (range.unit === 'npt' && typeof range.start === 'number') {
      const duration = session.serverMediaSession.durationSeconds();
      let npt = range.start;
      if (duration !== undefined && npt > duration) npt = duration;
      let reached: number | undefined;
      for (const [sub, st] of streams) {
        const r = sub.seekStream(st, npt);
        if (r !== null && (reached === undefined || r < reached)) reached = r;
      }
      start = reached;
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
  session.playing = true;
  headers.append('Range', formatRangeHeader({ unit: 'npt', start: Math.max(0, start), end: duration }));
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
