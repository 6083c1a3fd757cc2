import { formatTransportSpec, type ServerMediaSession, type ServerMediaStream, type ServerMediaSubsession, type TransportSpec } from '@dorsvr/livemedia';
import type { RTSPClientSession } from './RTSPClientSession.js';
import type { RTSPRequestContext, RTSPResponse, RTSPServerCore } from './RTSPRequestContext.js';

/** A transport-spec asking for multicast delivery of a stream to play (`RTP/AVP;multicast`). */
export function isMulticastPlaySpec(t: TransportSpec): boolean {
  return (t.profile === 'RTP/AVP' || t.profile === 'RTP/AVPF') && t.lowerTransport === 'UDP' && t.delivery === 'multicast' && (t.mode === undefined || t.mode === 'PLAY');
}

/** Where a multicast track is sent. */
export interface MulticastDestination {
  readonly group: string;
  readonly rtpPort: number;
  readonly rtcpPort: number;
  readonly ttl: number;
  /** The sender, for source-specific multicast. */
  readonly source?: string | undefined;
}

/**
 * SETUP of a track for multicast: the reader joins the track's multicast stream — an on-demand
 * track's shared one ({@link MulticastSubsession}, when the server was given groups, see
 * `RTSPServerOptions.multicast`) or a passive track's (`PassiveServerMediaSubsession`) — and the
 * answer names the group, ports and TTL; a client's own `destination=`/`port=` are not followed
 * (a server must not be aimed at others). `mc` is what the reader's session holds for the track.
 */
export async function handleMulticastSetup(
  core: RTSPServerCore,
  ctx: RTSPRequestContext,
  existing: RTSPClientSession | undefined,
  sms: ServerMediaSession,
  subsession: ServerMediaSubsession,
  mc: ServerMediaSubsession,
  where: MulticastDestination,
  mode: TransportSpec['mode'],
): Promise<RTSPResponse> {
  const { connection: conn, headers } = ctx;
  let session = existing;
  let created = false;
  if (!session) {
    session = core.sessions.create(sms, conn.remoteAddress);
    created = true;
  }
  // A second SETUP of the same track replaces its stream.
  for (const key of [subsession, mc]) {
    const old = session.streams.get(key);
    if (old) {
      core.sessions.deleteStream(session, key, old);
      session.streams.delete(key);
    }
  }
  let stream: ServerMediaStream;
  try {
    stream = await mc.getStreamParameters(session.id, { mode: 'udp', clientAddress: where.group, clientRTPPort: where.rtpPort, clientRTCPPort: where.rtcpPort });
  } catch (err) {
    if (created) core.sessions.close(session, 'error');
    throw err;
  }
  if (core.closed || (!created && session.closed)) {
    mc.deleteStream(stream);
    return { status: 454, headers };
  }
  if (created) {
    core.sessions.add(session);
    core.events.emit('sessionCreated', session);
  }
  session.streams.set(mc, stream);
  stream.on('error', (err) => core.events.emit('error', err));
  core.sessions.touch(session);
  const answer: TransportSpec = {
    profile: 'RTP/AVP',
    lowerTransport: 'UDP',
    delivery: 'multicast',
    destination: where.group,
    source: where.source ?? (conn.localAddress || undefined),
    port: { rtp: where.rtpPort, rtcp: where.rtcpPort },
    ttl: where.ttl,
    ssrc: stream.ssrc,
    mode,
  };
  headers.append('Transport', formatTransportSpec(answer));
  headers.append('Session', core.sessions.sessionHeader(session));
  return { status: 200, headers };
}
