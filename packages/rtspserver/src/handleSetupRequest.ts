import {
  PassiveServerMediaSubsession,
  parseTransportHeader,
  formatTransportSpec,
  type TransportSpec,
  type ClientTransport,
  type ServerMediaStream,
} from '@dorsvr/livemedia';
import { RTSPClientSession } from './RTSPClientSession.js';
import type { RTSPRequestContext, RTSPResponse, RTSPServerCore } from './RTSPRequestContext.js';
import { chooseTransport, pickInterleavedChannels } from './transportNegotiation.js';
import { sessionTarget } from './handlePlaybackRequests.js';
import { handleMulticastSetup, isMulticastPlaySpec } from './handleMulticastSetup.js';

/**
 * SETUP of a track to play: find the track, negotiate its transport (UDP to the client's ports,
 * or `$`-interleaved on this connection), create the session on the first SETUP, and ask the
 * track for the client's stream.
 */
export async function handleSetupRequest(core: RTSPServerCore, ctx: RTSPRequestContext): Promise<RTSPResponse> {
  const { connection: conn, request: req, headers } = ctx;
  let session = core.sessions.fromRequest(req);
  const resolved = await core.resolveTarget(req.uri);
  const target = session ? sessionTarget(session, resolved) : resolved;
  if (!target) {
    const denied = await core.authorize(ctx, session?.serverMediaSession, 'read');
    if (denied) return denied;
    return { status: 404, headers };
  }
  const denied = await core.authorize(ctx, target.sms, 'read');
  if (denied) return denied;
  let subsession = target.subsession;
  if (subsession === undefined) {
    // ffmpeg SETs UP the base URL of a single-track stream (MPEG-TS).
    if (target.sms.subsessions.length !== 1) return { status: 459, headers };
    subsession = target.sms.subsessions[0]!;
  }
  if (session && session.serverMediaSession !== target.sms) return { status: 459, headers };

  const transportValue = req.headers.get('Transport');
  if (transportValue === undefined) return { status: 461, headers };
  const specs = parseTransportHeader(transportValue);
  const chosen = chooseTransport(specs, 'play');
  // A passive track is only ever multicast: a reader must accept it (under TLS it is filtered out: 461).
  if (subsession instanceof PassiveServerMediaSubsession) {
    const p = subsession;
    const spec = specs.find(isMulticastPlaySpec);
    if (spec === undefined) return { status: 461, headers };
    const where = { group: p.group, rtpPort: p.rtpPort, rtcpPort: p.rtcpPort, ttl: p.ttl, source: p.source };
    return handleMulticastSetup(core, ctx, session, target.sms, p, p, where, spec.mode);
  }
  // Multicast, when the server has groups and the client prefers it (offers it first).
  const multicast = core.multicastFor === undefined ? -1 : specs.findIndex(isMulticastPlaySpec);
  if (multicast >= 0 && (chosen === undefined || multicast < specs.indexOf(chosen))) {
    const mc = core.multicastFor!(subsession);
    const where = { ...mc.address, ttl: mc.ttl };
    return handleMulticastSetup(core, ctx, session, target.sms, subsession, mc, where, specs[multicast]!.mode);
  }
  if (!chosen) return { status: 461, headers };
  if (chosen.lowerTransport === 'TCP' && session?.interleavedConnection && session.interleavedConnection !== conn) {
    // An interleaved session lives on its connection.
    return { status: 455, headers };
  }

  let created = false;
  if (!session) {
    session = core.sessions.create(target.sms, conn.remoteAddress);
    created = true;
  }

  let transport: ClientTransport;
  if (chosen.lowerTransport === 'TCP') {
    const pair = pickInterleavedChannels(conn.channels, chosen);
    if (!pair) return { status: 461, headers };
    transport = { mode: 'tcp', channel: conn, rtpChannel: pair[0], rtcpChannel: pair[1] };
  } else {
    const cp = chosen.clientPort!;
    transport = {
      mode: 'udp',
      clientAddress: conn.remoteAddress,
      clientRTPPort: cp.rtp,
      clientRTCPPort: cp.rtcp ?? cp.rtp + 1,
    };
  }

  // A second SETUP of the same track replaces its stream.
  const old = session.streams.get(subsession);
  if (old) {
    core.sessions.deleteStream(session, subsession, old);
    session.streams.delete(subsession);
  }

  let stream: ServerMediaStream;
  try {
    stream = await subsession.getStreamParameters(session.id, transport);
  } catch (err) {
    if (created) core.sessions.close(session, 'error');
    throw err;
  }
  if (core.closed || (!created && session.closed)) {
    subsession.deleteStream(stream);
    return { status: 454, headers };
  }
  if (created) {
    core.sessions.add(session);
    core.events.emit('sessionCreated', session);
  }
  session.streams.set(subsession, stream);
  const s: RTSPClientSession = session;
  const sub = subsession;
  stream.on('rtcp', () => core.sessions.touch(s));
  stream.on('error', (err) => core.events.emit('error', err));
  core.sessions.touch(session);

  let answer: TransportSpec;
  if (transport.mode === 'tcp') {
    session.interleavedConnection = conn;
    const binding = {
      session,
      stream,
      receive(channel: number, payload: Uint8Array): void {
        if (stream.transport.mode === 'tcp' && channel === stream.transport.rtcpChannel) sub.handleIncomingRTCP(stream, payload);
      },
    };
    conn.channels.set(transport.rtpChannel, binding);
    conn.channels.set(transport.rtcpChannel, binding);
    answer = {
      profile: 'RTP/AVP',
      lowerTransport: 'TCP',
      delivery: 'unicast',
      interleaved: { rtp: transport.rtpChannel, rtcp: transport.rtcpChannel },
      ssrc: stream.ssrc,
      mode: chosen.mode,
    };
  } else {
    answer = {
      profile: 'RTP/AVP',
      lowerTransport: 'UDP',
      delivery: 'unicast',
      destination: transport.clientAddress,
      source: conn.localAddress || undefined,
      clientPort: { rtp: transport.clientRTPPort, rtcp: transport.clientRTCPPort },
      serverPort:
        stream.serverRTPPort === undefined ? undefined : { rtp: stream.serverRTPPort, rtcp: stream.serverRTCPPort ?? stream.serverRTPPort + 1 },
      ssrc: stream.ssrc,
      mode: chosen.mode,
    };
  }
  headers.append('Transport', formatTransportSpec(answer));
  headers.append('Session', core.sessions.sessionHeader(session));
  return { status: 200, headers };
}
