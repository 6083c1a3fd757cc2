import { formatTransportSpec, type ServerMediaSession, type ServerMediaStream, type ServerMediaSubsession, type TransportSpec } from '@dorsvr/livemedia';
import type { RTSPClientSession } from './RTSPClientSession.js';
import type { RTSPRequestContext, RTSPResponse, RTSPServerCore } from './RTSPRequestContext.js';

/** A transport-spec asking for multicast delivery of a stream to play (`RTP/AVP;multicast`). */
export function isMulticastPlaySpec(t: TransportSpec): boolean {
  return (t.profile === 'RTP/AVP' || t.profile === 'RTP/AVPF') && t.lowerTransport === 'UDP' && t.delivery === 'multicast' && (t.mode === undefined || t.mode === 'PLAY');
}

/**
 * SETUP of a track for multicast (the server must have been given groups, see
 * `RTSPServerOptions.multicast`): the reader joins the track's shared multicast stream
 * ({@link MulticastSubsession}), and the answer names the group, ports and TTL the server chose;
 * a client's own `destination=`/`port=` are not followed (a server must not be aimed at others).
 */
export async function handleMulticastSetup(
  core: RTSPServerCore,
  ctx: RTSPRequestContext,
  existing: RTSPClientSession | undefined,
  sms: ServerMediaSession,
  subsession: ServerMediaSubsession,
  spec: TransportSpec,
): Promise<RTSPResponse> {
  const { connection: conn, headers } = ctx;
  const mc = core.multicastFor!(subsession);
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
    stream = await mc.getStreamParameters(session.id);
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
  const { group, rtpPort, rtcpPort } = mc.address;
  const answer: TransportSpec = {
    profile: 'RTP/AVP',
    lowerTransport: 'UDP',
    delivery: 'multicast',
    destination: group,
    source: conn.localAddress || undefined,
    port: { rtp: rtpPort, rtcp: rtcpPort },
    ttl: mc.ttl,
    ssrc: stream.ssrc,
    mode: spec.mode,
  };
  headers.append('Transport', formatTransportSpec(answer));
  headers.append('Session', core.sessions.sessionHeader(session));
  return { status: 200, headers };
}
