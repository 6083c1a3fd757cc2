// The relay's UDP readers through real sockets on loopback: IPv4 and IPv6 readers served from the
// track's server port pairs, their RTCP heard on the RTCP port, a leaving reader's BYE and freed ports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { parseRTCP, parseRTPHeader, serializeRTCP, type ServerMediaStream } from '@dorsvr/livemedia';
import { play, relayFromSDP, rtpPacket } from './relayHelpers.js';

const SDP = 'v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 0 RTP/AVP 0\r\na=control:streamid=0\r\n';

interface UDPPeer {
  rtp: Socket;
  rtcp: Socket;
  rtpIn: Buffer[];
  rtcpIn: Buffer[];
  address: string;
  close(): void;
}

async function peer(type: 'udp4' | 'udp6'): Promise<UDPPeer> {
  const address = type === 'udp4' ? '127.0.0.1' : '::1';
  const rtp = createSocket(type);
  const rtcp = createSocket(type);
  await new Promise<void>((r) => rtp.bind(0, address, r));
  await new Promise<void>((r) => rtcp.bind(0, address, r));
  const p: UDPPeer = {
    rtp,
    rtcp,
    rtpIn: [],
    rtcpIn: [],
    address,
    close: () => {
      rtp.close();
      rtcp.close();
    },
  };
  rtp.on('message', (m) => p.rtpIn.push(m));
  rtcp.on('message', (m) => p.rtcpIn.push(m));
  return p;
}

async function until(cond: () => boolean, what: string, ms = 3000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('UDP readers over IPv4 and IPv6 get the packets from the track\'s port pairs; RTCP in; leaving sends BYE and frees the ports', async () => {
  const r = relayFromSDP(SDP);
  const v4 = await peer('udp4');
  const v6 = await peer('udp6');
  const streams: ServerMediaStream[] = [];
  try {
    for (const p of [v4, v6]) {
      streams.push(
        await r.track.subsession.getStreamParameters(`s-${p.address}`, {
          mode: 'udp',
          clientAddress: p.address,
          clientRTPPort: (p.rtp.address() as { port: number }).port,
          clientRTCPPort: (p.rtcp.address() as { port: number }).port,
        }),
      );
    }
    const [s4, s6] = streams as [ServerMediaStream, ServerMediaStream];
    assert.ok(s4.serverRTPPort !== undefined && s6.serverRTPPort !== undefined);
    assert.equal(s4.serverRTCPPort, s4.serverRTPPort + 1);
    const i4 = await play(r, r.track, s4);
    const i6 = await play(r, r.track, s6);
    const COUNT = 500;
    const payload = (i: number): Uint8Array => new Uint8Array(1000).fill(i & 0xff);
    // In bursts of 50 (a receiver's socket buffer holds ~100 such datagrams).
    for (let i = 0; i < COUNT; i++) {
      r.track.pushRTP(rtpPacket({ seq: 40_000 + i, ts: i * 160, pt: 0, payload: payload(i) }));
      if (i % 50 === 49) await new Promise((res) => setTimeout(res, 5));
    }
    await until(() => v4.rtpIn.length >= COUNT * 0.9 && v6.rtpIn.length >= COUNT * 0.9, 'the packets');
    await new Promise((res) => setTimeout(res, 50));
    for (const [p, s, info] of [
      [v4, s4, i4],
      [v6, s6, i6],
    ] as const) {
      // Every packet that arrived carries the header written for it (a header buffer is never
      // rewritten while a queued send holds it) and the publisher's payload.
      for (const m of p.rtpIn) {
        const h = parseRTPHeader(m);
        const i = (h.sequenceNumber - info.seq) & 0xffff;
        assert.ok(i < COUNT);
        assert.equal(h.ssrc, s.ssrc);
        assert.equal(h.timestamp, (info.rtptime + i * 160) >>> 0);
        assert.deepEqual(new Uint8Array(h.payload), payload(i));
      }
    }
    // RTCP from the IPv6 reader to the server's RTCP port: a sign of life and a statistic.
    const life = new Promise<void>((res) => s6.once('rtcp', () => res()));
    const rr = serializeRTCP([
      { type: 'rr', ssrc: 77, reports: [{ ssrc: s6.ssrc!, fractionLost: 0, cumulativeLost: 0, extendedHighestSeq: 1, jitter: 8, lastSR: 0, delaySinceLastSR: 0 }] },
    ]);
    v6.rtcp.send(rr, s6.serverRTCPPort!, '::1');
    await life;
    assert.equal(s6.stats.receiverReports, 1);

    // The IPv4 reader leaves: its BYE arrives, nothing more is sent to it, its port pair is free.
    const port4 = s4.serverRTPPort;
    r.track.subsession.deleteStream(s4);
    await until(() => v4.rtcpIn.some((m) => parseRTCP(m).some((p) => p.type === 'bye')), 'the BYE');
    const before = v4.rtpIn.length;
    r.track.pushRTP(rtpPacket({ seq: 40_000 + COUNT, ts: COUNT * 160, pt: 0, payload: payload(COUNT) }));
    await until(() => v6.rtpIn.some((m) => parseRTPHeader(m).timestamp === ((i6.rtptime + COUNT * 160) >>> 0)), 'the last packet');
    assert.equal(v4.rtpIn.length, before);
    await new Promise((res) => setTimeout(res, 20));
    const probe = createSocket('udp4');
    await new Promise<void>((res, rej) => {
      probe.once('error', rej);
      probe.bind(port4, () => res());
    });
    probe.close();
  } finally {
    r.sms.close();
    v4.close();
    v6.close();
  }
});

test('a reader\'s header is rewritten in place only when Node took the last send at once; a queued send keeps its header', async () => {
  const r = relayFromSDP(SDP);
  const v4 = await peer('udp4');
  try {
    const s = await r.track.subsession.getStreamParameters('held', {
      mode: 'udp',
      clientAddress: '127.0.0.1',
      clientRTPPort: (v4.rtp.address() as { port: number }).port,
      clientRTCPPort: (v4.rtcp.address() as { port: number }).port,
    });
    const info = await play(r, r.track, s);
    const reader = r.track.readers[0]!;
    // What the socket was handed, by reference (a queued send holds exactly these buffers).
    const handed: Uint8Array[][] = [];
    const socket = reader.udpSocket!;
    const send = socket.send.bind(socket) as (...args: unknown[]) => void;
    (socket as unknown as { send: (chunks: Uint8Array[], ...rest: unknown[]) => void }).send = (chunks: Uint8Array[], ...rest: unknown[]) => {
      handed.push([...chunks]);
      send(chunks, ...rest);
    };
    let queued = false;
    reader.udpPair!.rtpSendQueued = () => queued;
    const seqOf = (h: Uint8Array): number => (h[2]! << 8) | h[3]!;
    const push = (i: number): void => r.track.pushRTP(rtpPacket({ seq: 10 + i, ts: i, pt: 0, payload: [i] }));
    push(0);
    push(1);
    assert.equal(handed[0]![0], handed[1]![0], 'sends taken at once: the same header buffer is rewritten');
    queued = true; // Node queues the next send: its header must survive the packets after it
    push(2);
    queued = false;
    push(3);
    push(4);
    assert.notEqual(handed[3]![0], handed[2]![0], 'a fresh header after the queued send');
    assert.equal(seqOf(handed[2]![0]!), (info.seq + 2) & 0xffff, 'the queued send\'s header still says its own packet');
    assert.equal(seqOf(handed[4]![0]!), (info.seq + 4) & 0xffff);
    assert.equal(handed[4]![0], handed[3]![0]);
  } finally {
    r.sms.close();
    v4.close();
  }
});
