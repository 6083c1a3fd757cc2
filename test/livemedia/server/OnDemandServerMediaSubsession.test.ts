// OnDemandServerMediaSubsession + DefaultStreamTransport behind a real RTSPServer, over real UDP and
// TCP sockets on loopback. The codec is a test one (numbered frames, one RTP packet each), so that
// every packet can be accounted for; the file subsessions are tested with ffmpeg elsewhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket as UDPSocket } from 'node:dgram';
import {
  OnDemandServerMediaSubsession,
  ServerMediaSession,
  type FramedSource,
  type OnDemandServerMediaSubsessionOptions,
  type RTPSinkLike,
} from '@dorsvr/livemedia';
import { RTSPServer, type SessionCloseReason, type SessionStats } from '@dorsvr/rtspserver';
import type { TaskScheduler } from '@dorsvr/scheduler';
import { RawRTSPClient } from '../../rtspserver/helpers/RawRTSPClient.js';
import { realScheduler } from '../../rtspserver/helpers/schedulers.js';
import { NumberedClip, PacedTestRTPSink, type Sender } from './helpers.js';

class ClipSubsession extends OnDemandServerMediaSubsession {
  readonly frames: number;
  readonly frameUs: number;
  constructor(options: OnDemandServerMediaSubsessionOptions & { frames: number; frameUs: number }) {
    super(options);
    this.frames = options.frames;
    this.frameUs = options.frameUs;
  }
  protected override async createNewStreamSource(): Promise<FramedSource> {
    return new NumberedClip(this.frames, this.frameUs);
  }
  protected override createNewRTPSink(rtpInterface: object, payloadType: number): RTPSinkLike {
    return new PacedTestRTPSink(this.scheduler, rtpInterface as Sender, payloadType);
  }
}

interface Packet {
  seq: number;
  n: number;
}

function parse(p: Uint8Array): Packet {
  const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
  return { seq: v.getUint16(2), n: v.getUint32(12) };
}

async function udpPair(): Promise<{ rtp: UDPSocket; rtcp: UDPSocket; packets: Packet[]; close(): void }> {
  for (let tries = 0; tries < 50; tries++) {
    const rtp = createSocket('udp4');
    await new Promise<void>((r) => rtp.bind(0, '127.0.0.1', r));
    const port = rtp.address().port;
    if (port % 2 === 1 || port > 65000) {
      rtp.close();
      continue;
    }
    const rtcp = createSocket('udp4');
    const ok = await new Promise<boolean>((r) => {
      rtcp.once('error', () => r(false));
      rtcp.bind(port + 1, '127.0.0.1', () => r(true));
    });
    if (!ok) {
      rtp.close();
      continue;
    }
    const packets: Packet[] = [];
    rtp.on('message', (m) => packets.push(parse(m)));
    return {
      rtp,
      rtcp,
      packets,
      close() {
        rtp.close();
        rtcp.close();
      },
    };
  }
  throw new Error('no even/odd UDP port pair');
}

async function until(pred: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function serve(
  options: { reuseFirstSource: boolean; frames: number; frameUs: number; reclamationSeconds?: number },
): Promise<{ scheduler: TaskScheduler; server: RTSPServer; url: string; closed: Array<[SessionCloseReason, SessionStats]>; done(): Promise<void> }> {
  const scheduler = realScheduler();
  const server = new RTSPServer({ scheduler, port: 0, host: '127.0.0.1', reclamationSeconds: options.reclamationSeconds });
  const sub = new ClipSubsession({ scheduler, reuseFirstSource: options.reuseFirstSource, frames: options.frames, frameUs: options.frameUs, portBase: 30000 });
  server.addServerMediaSession(new ServerMediaSession('clip').addSubsession(sub));
  await server.listen();
  const closed: Array<[SessionCloseReason, SessionStats]> = [];
  server.on('sessionClosed', (_s, reason, stats) => closed.push([reason, stats]));
  return {
    scheduler,
    server,
    url: `rtsp://127.0.0.1:${server.port}/clip`,
    closed,
    async done() {
      await server.close();
      scheduler.close();
    },
  };
}

test('shared stream (reuseFirstSource): a UDP and a TCP player both receive every packet from when they joined', async () => {
  const f = await serve({ reuseFirstSource: true, frames: 40, frameUs: 10_000 });
  const udp = await udpPair();
  const tcp = await RawRTSPClient.connect(f.server.port);
  const ctl = await RawRTSPClient.connect(f.server.port);
  try {
    const port = udp.rtp.address().port;
    const su = await ctl.request('SETUP', `${f.url}/track1`, { Transport: `RTP/AVP;unicast;client_port=${port}-${port + 1}` });
    assert.equal(su.status, 200);
    const st = await tcp.request('SETUP', `${f.url}/track1`, { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1' });
    assert.equal(st.status, 200);
    // One stream: one SSRC and one server port pair for both.
    assert.match(su.headers['transport']!, /server_port=(\d+)-(\d+);ssrc=0BADCAFE/);
    assert.match(st.headers['transport']!, /ssrc=0BADCAFE/);
    const pu = await ctl.request('PLAY', `${f.url}/`, { Session: su.headers['session']!.split(';')[0]! });
    const pt = await tcp.request('PLAY', `${f.url}/`, { Session: st.headers['session']!.split(';')[0]! });
    assert.equal(pu.status, 200);
    assert.equal(pt.status, 200);
    await until(() => udp.packets.at(-1)?.n === 39 && tcp.frames.get(0)?.length !== undefined && parse(tcp.frames.get(0)!.at(-1)!.payload).n === 39, 5000, 'the last frame on both');
    // The first player got all 40; the second every one from its first on; no gaps, seq contiguous.
    assert.deepEqual(udp.packets.map((p) => p.n), Array.from({ length: 40 }, (_, i) => i));
    const tcpPackets = tcp.frames.get(0)!.map((f) => parse(f.payload));
    const first = tcpPackets[0]!.n;
    assert.ok(first <= 5, `TCP player joined at frame ${first}`);
    assert.deepEqual(tcpPackets.map((p) => p.n), Array.from({ length: 40 - first }, (_, i) => first + i));
    for (const list of [udp.packets, tcpPackets]) {
      for (let i = 1; i < list.length; i++) assert.equal(list[i]!.seq, (list[i - 1]!.seq + 1) & 0xffff);
    }
    assert.equal(udp.packets[first]!.seq, tcpPackets[0]!.seq, 'the same packets (same seq) went to both');
  } finally {
    tcp.close();
    ctl.close();
    udp.close();
    await f.done();
  }
});

test('per-client stream: PAUSE stops sending, PLAY resumes with the next frame and the next sequence number', async () => {
  const f = await serve({ reuseFirstSource: false, frames: 60, frameUs: 20_000 });
  const c = await RawRTSPClient.connect(f.server.port);
  try {
    const s = await c.request('SETUP', `${f.url}/track1`, { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1' });
    const session = s.headers['session']!.split(';')[0]!;
    const p1 = await c.request('PLAY', `${f.url}/`, { Session: session });
    assert.match(p1.headers['rtp-info']!, new RegExp(`^url=${f.url}/track1;seq=1000;rtptime=\\d+$`));
    await c.waitFor(() => c.frameCount(0) >= 10, 5000, '10 frames');
    assert.equal((await c.request('PAUSE', `${f.url}/`, { Session: session })).status, 200);
    const atPause = c.frameCount(0);
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(c.frameCount(0), atPause, 'nothing is sent while paused');
    const last = parse(c.frames.get(0)!.at(-1)!.payload);
    const p2 = await c.request('PLAY', `${f.url}/`, { Session: session });
    assert.equal(p2.status, 200);
    const seq = Number(/seq=(\d+)/.exec(p2.headers['rtp-info']!)![1]);
    assert.equal(seq, (last.seq + 1) & 0xffff, 'RTP-Info seq continues where PAUSE left off');
    assert.match(p2.headers['range']!, /^npt=0\.[1-9]\d*-1\.200$/);
    await c.waitFor(() => c.frameCount(0) > atPause, 5000, 'frames after resuming');
    const next = parse(c.frames.get(0)![atPause]!.payload);
    assert.equal(next.seq, seq);
    assert.equal(next.n, last.n + 1, 'resumes with the next frame');
  } finally {
    c.close();
    await f.done();
  }
});

test('per-client stream: PLAY with Range seeks to the key frame at or before it', async () => {
  const f = await serve({ reuseFirstSource: false, frames: 50, frameUs: 10_000 });
  const c = await RawRTSPClient.connect(f.server.port);
  try {
    const s = await c.request('SETUP', `${f.url}/track1`, { Transport: 'RTP/AVP/TCP;unicast' });
    const session = s.headers['session']!.split(';')[0]!;
    const p = await c.request('PLAY', `${f.url}/`, { Session: session, Range: 'npt=0.25-' });
    assert.equal(p.headers['range'], 'npt=0.200-0.500');
    await c.waitFor(() => c.frameCount(0) > 0, 5000, 'a frame');
    assert.equal(parse(c.frames.get(0)![0]!.payload).n, 20);
  } finally {
    c.close();
    await f.done();
  }
});

function receiverReport(serverSSRC: number): Buffer {
  const b = Buffer.alloc(32);
  b[0] = 0x81; // V=2, RC=1
  b[1] = 201;
  b.writeUInt16BE(7, 2);
  b.writeUInt32BE(0x11223344, 4);
  b.writeUInt32BE(serverSSRC, 8);
  b[12] = 64; // fraction lost 64/256
  b.writeUIntBE(3, 13, 3); // cumulative lost
  b.writeUInt32BE(1050, 16);
  b.writeUInt32BE(900, 20); // jitter, RTP units
  return b;
}

test('UDP liveness: RTCP receiver reports keep a session alive and feed its stats; silence reclaims it and frees its ports', async () => {
  const f = await serve({ reuseFirstSource: false, frames: 10_000, frameUs: 20_000, reclamationSeconds: 1 });
  const udp = await udpPair();
  const c = await RawRTSPClient.connect(f.server.port);
  try {
    const port = udp.rtp.address().port;
    const s = await c.request('SETUP', `${f.url}/track1`, { Transport: `RTP/AVP;unicast;client_port=${port}-${port + 1}` });
    const m = /server_port=(\d+)-(\d+)/.exec(s.headers['transport']!)!;
    const serverRTCP = Number(m[2]);
    const serverRTP = Number(m[1]);
    const session = s.headers['session']!.split(';')[0]!;
    assert.equal(s.headers['session'], `${session};timeout=1`);
    assert.equal((await c.request('PLAY', `${f.url}/`, { Session: session })).status, 200);
    c.close(); // the UDP session outlives its TCP connection
    // Receiver reports every 300 ms for 1.8 s: the session stays.
    for (let i = 0; i < 6; i++) {
      udp.rtcp.send(receiverReport(0x0badcafe), serverRTCP, '127.0.0.1');
      await new Promise((r) => setTimeout(r, 300));
    }
    assert.equal(f.server.clientSessions.size, 1);
    const stats = f.server.clientSessions.get(session)!.stats();
    assert.ok(stats.tracks['track1']!.receiverReports >= 5, `${stats.tracks['track1']!.receiverReports} RRs counted`);
    assert.equal(stats.tracks['track1']!.fractionLost, 0.25);
    assert.equal(stats.tracks['track1']!.cumulativeLost, 3);
    assert.equal(stats.tracks['track1']!.jitterSeconds, 0.01);
    assert.ok(stats.packets > 50, `${stats.packets} packets sent`);
    // Then silence: reclaimed within the timeout (plus scheduling slack).
    await until(() => f.closed.length === 1, 3000, 'the session to be reclaimed');
    assert.equal(f.closed[0]![0], 'timeout');
    assert.ok(f.closed[0]![1].packets > 50);
    const countAtEnd = udp.packets.length;
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(udp.packets.length, countAtEnd, 'nothing is sent after reclamation');
    // Its server ports can be bound again.
    for (const p of [serverRTP, serverRTCP]) {
      const sock = createSocket('udp4');
      await new Promise<void>((resolve, reject) => {
        sock.once('error', reject);
        sock.bind(p, () => resolve());
      });
      sock.close();
    }
  } finally {
    c.close();
    udp.close();
    await f.done();
  }
});

test('server.close() ends every session and frees every server port', async () => {
  const f = await serve({ reuseFirstSource: false, frames: 10_000, frameUs: 20_000 });
  const udp = await udpPair();
  const c = await RawRTSPClient.connect(f.server.port);
  try {
    const port = udp.rtp.address().port;
    const ports: number[] = [];
    for (let i = 0; i < 3; i++) {
      const s = await c.request('SETUP', `${f.url}/track1`, { Transport: `RTP/AVP;unicast;client_port=${port}-${port + 1}` });
      const m = /server_port=(\d+)-(\d+)/.exec(s.headers['transport']!)!;
      ports.push(Number(m[1]), Number(m[2]));
      assert.equal((await c.request('PLAY', `${f.url}/`, { Session: s.headers['session']!.split(';')[0]! })).status, 200);
    }
    assert.equal(new Set(ports).size, 6, 'each per-client stream has its own port pair');
    await until(() => udp.packets.length > 10, 3000, 'packets');
    await f.server.close();
    assert.equal(f.closed.length, 3);
    assert.ok(f.closed.every(([reason]) => reason === 'server-closed'));
    for (const p of ports) {
      const sock = createSocket('udp4');
      await new Promise<void>((resolve, reject) => {
        sock.once('error', reject);
        sock.bind(p, () => resolve());
      });
      sock.close();
    }
  } finally {
    c.close();
    udp.close();
    await f.done();
  }
});
