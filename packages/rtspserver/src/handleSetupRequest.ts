import { isIPv4 } from 'node:net';
import {
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
import { mediaFailureStatus } from './mediaFailureStatus.js';

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
  // A passive track is answered with its own group whatever was asked; an on-demand one is sent by
  // multicast when asked and the server has multicast configured.
  const multicastOnly = subsession.multicastOnly;
  const multicastPool = subsession.supportsMulticast ? core.multicastPool : undefined;
  const chosen = chooseTransport(parseTransportHeader(transportValue), 'play', { multicast: multicastOnly || multicastPool !== undefined });
  if (!chosen) return { status: 461, headers };
  let multicastInterface: string | undefined;
  if (multicastOnly) multicastInterface = ipv4Of(conn.localAddress) ?? '';
  else if (chosen.delivery === 'multicast') {
    // Multicast leaves by the interface the reader reached us on (unless the pool names one): IPv4 only.
    multicastInterface = multicastPool?.interfaceAddress ?? ipv4Of(conn.localAddress);
    if (multicastInterface === undefined) return { status: 461, headers };
  }
  if (multicastInterface === undefined && chosen.lowerTransport === 'TCP' && session?.interleavedConnection && session.interleavedConnection !== conn) {
    // An interleaved session lives on its connection.
    return { status: 455, headers };
  }

  let created = false;
  if (!session) {
    session = core.sessions.create(target.sms, conn.remoteAddress);
    created = true;
  }

  let transport: ClientTransport;
  if (multicastInterface !== undefined) {
    transport = { mode: 'multicast', clientAddress: conn.remoteAddress, pool: multicastPool, interfaceAddress: multicastInterface };
  } else if (chosen.lowerTransport === 'TCP') {
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
    // A broken or vanished file is the client's 415/404, as its DESCRIBE would be (reported to the
    // operator all the same), not a 500.
    const status = mediaFailureStatus(err);
    if (status === undefined) throw err;
    core.events.emit('error', err);
    return { status, headers };
  }
  if (core.closed || (!created && session.closed)) {
    subsession.deleteStream(stream);
    return { status: 454, headers };
  }
  if (transport.mode === 'multicast' && stream.multicast === undefined) {
    // A track that says it supports multicast but did not say where it sends.
    subsession.deleteStream(stream);
    if (created) core.sessions.close(session, 'error');
    return { status: 461, headers };
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
  if (stream.multicast !== undefined) {
    const m = stream.multicast;
    answer = {
      profile: 'RTP/AVP',
      lowerTransport: 'UDP',
      delivery: 'multicast',
      destination: m.group,
      source: m.source,
      port: { rtp: m.rtpPort, rtcp: m.rtcpPort },
      ttl: m.ttl,
      ssrc: stream.ssrc,
      mode: chosen.mode,
    };
  } else if (transport.mode === 'tcp') {
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
    if (transport.mode !== 'udp') throw new Error('unreachable: a multicast stream without its group');
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

/** The IPv4 literal of a local address (`::ffff:a.b.c.d` unwrapped), or undefined for IPv6. */
function ipv4Of(address: string): string | undefined {
  const a = address.startsWith('::ffff:') ? address.slice(7) : address;
  return isIPv4(a) ? a : undefined;
}
