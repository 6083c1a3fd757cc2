// Publishing against scripted servers: what goes on the wire (ANNOUNCE's SDP, SETUP mode=record,
// RECORD, RTP on the interleaved channel with sequence numbers and timestamps going on across a
// loop, RTCP sender report and BYE before TEARDOWN, a receiver report taken), and the errors a
// user must see: a refused ANNOUNCE, a UDP SETUP reply without server_port, an SDP without m=.
import { test } from 'node:test';
import { createSocket, type Socket } from 'node:dgram';
import assert from 'node:assert/strict';
import { parseRTCP, parseRTPHeader, parseTransportHeader, serializeRTCP, type RTSPRequest } from '@dorsvr/livemedia';
import { RTSPClient, RTSPClientError } from '@dorsvr/rtspclient';
import { isDorsvrError } from '@dorsvr/scheduler';
import { fixture } from '../helpers/paths.js';
import { FakeRTSPServer, type FakeAnswer, type FakeConnection } from './FakeRTSPServer.js';
import { fileSession, publishFile } from './publishHelpers.js';

/** A scripted receiver of a publish: answers ANNOUNCE, SETUP (echoing the transport, plus `extra`), RECORD, TEARDOWN. */
function receiver(options: { setupExtra?: (t: string) => string; announce?: FakeAnswer; onTeardown?: (conn: FakeConnection) => void } = {}) {
  return (req: RTSPRequest, conn: FakeConnection): FakeAnswer => {
    switch (req.method) {
      case 'ANNOUNCE':
        return options.announce ?? { status: 200 };
      case 'SETUP': {
        const t = req.headers.get('Transport') ?? '';
        return { status: 200, headers: { Session: '12345678;timeout=60', Transport: options.setupExtra?.(t) ?? t } };
      }
      case 'RECORD':
        return { status: 200, headers: { Session: '12345678' } };
      case 'TEARDOWN':
        options.onTeardown?.(conn);
        return { status: 200 };
      default:
        return { status: 200, headers: { Public: 'OPTIONS, ANNOUNCE, SETUP, RECORD, TEARDOWN' } };
    }
  };
}

test('over TCP: ANNOUNCE with the SDP, SETUP mode=record, RECORD; RTP goes on across a loop; an RR is taken; SR and BYE come before TEARDOWN', async () => {
  let byeBeforeTeardown: boolean | undefined;
  const fake = await FakeRTSPServer.start(
    receiver({
      onTeardown: (conn) => {
        byeBeforeTeardown = conn.interleaved.some((f) => f.channel === 1 && parseRTCP(f.payload).some((p) => p.type === 'bye'));
      },
    }),
  );
  try {
    let rrSent = false;
    const { publication } = await publishFile(fake.url('live/cam'), fixture('test.aac'), {
      transport: 'tcp',
      loop: true,
      lingerMs: 50,
      until: (p) =>
        new Promise<void>((resolve) => {
          // One receiver report about the stream, once packets flow; stop once the file started again and 10 more frames went.
          const track = p.session.tracks[0]!;
          track.once('rr', () => (rrSent = true));
          setTimeout(() => {
            const conn = fake.connections[0]!;
            const rtp = conn.interleaved.find((f) => f.channel === 0);
            assert.ok(rtp, 'RTP flows 300 ms after RECORD');
            const h = parseRTPHeader(rtp.payload);
            const block = { ssrc: h.ssrc, fractionLost: 0, cumulativeLost: 0, extendedHighestSeq: h.sequenceNumber, jitter: 0, lastSR: 0, delaySinceLastSR: 0 };
            conn.sendInterleaved(1, serializeRTCP([{ type: 'rr', ssrc: 0xabcdef, reports: [block] }]));
          }, 300);
          p.on('loop', () => setTimeout(resolve, 250));
        }),
    });
    const [announce, setup, record, teardown] = fake.requests.filter((r) => r.method !== 'OPTIONS');
    assert.equal(announce!.method, 'ANNOUNCE');
    assert.equal(announce!.uri, fake.url('live/cam'));
    assert.equal(announce!.headers.get('Content-Type'), 'application/sdp');
    const sdp = Buffer.from(announce!.body).toString();
    assert.match(sdp, /m=audio 0 RTP\/AVP 96\r\n/);
    assert.match(sdp, /a=rtpmap:96 MPEG4-GENERIC\/44100\/2/);
    assert.equal(setup!.method, 'SETUP');
    assert.equal(setup!.uri, `${fake.url('live/cam')}/track1`);
    const t = parseTransportHeader(setup!.headers.get('Transport')!)[0]!;
    assert.deepEqual([t.lowerTransport, t.mode, t.interleaved], ['TCP', 'RECORD', { rtp: 0, rtcp: 1 }]);
    assert.equal(record!.method, 'RECORD');
    assert.equal(record!.headers.get('Session'), '12345678');
    assert.equal(record!.headers.get('Range'), 'npt=0.000-');
    assert.equal(teardown!.method, 'TEARDOWN');
    assert.equal(byeBeforeTeardown, true, 'RTCP BYE before TEARDOWN');

    const conn = fake.connections[0]!;
    const packets = conn.interleaved.filter((f) => f.channel === 0).map((f) => parseRTPHeader(f.payload));
    const track = publication.session.tracks[0]!;
    assert.equal(packets.length, track.stats.packetsSent);
    assert.ok(packets.length > 45 + 5, `${packets.length} packets: the file (45 frames) and more`);
    const ssrc = packets[0]!.ssrc;
    packets.forEach((p, i) => {
      assert.equal(p.ssrc, ssrc);
      assert.equal(p.payloadType, 96);
      if (i === 0) return;
      const prev = packets[i - 1]!;
      assert.equal(p.sequenceNumber, (prev.sequenceNumber + 1) & 0xffff, `sequence at packet ${i}`);
      // One AAC frame (1024 samples at 44.1 kHz) per packet, across the loop too.
      assert.equal((p.timestamp - prev.timestamp) >>> 0, 1024, `timestamp at packet ${i}`);
    });
    assert.ok(rrSent, "the server's receiver report reached the track");
    assert.equal(track.stats.receiverReports, 1);
    const rtcp = conn.interleaved.filter((f) => f.channel === 1).flatMap((f) => parseRTCP(f.payload));
    const sr = rtcp.filter((p) => p.type === 'sr');
    assert.ok(sr.length > 0 && sr.every((p) => p.ssrc === ssrc));
    assert.equal(sr[sr.length - 1]!.type === 'sr' && sr[sr.length - 1]!.packetCount, packets.length, 'the last SR counts every packet');
    assert.ok(rtcp.some((p) => p.type === 'bye' && p.ssrcs.includes(ssrc)));
  } finally {
    await fake.close();
  }
});

test('a server refusing ANNOUNCE: publish rejects with its status, nothing more is sent', async () => {
  const fake = await FakeRTSPServer.start(receiver({ announce: { status: 403, reason: 'Forbidden' } }));
  const client = new RTSPClient(fake.url('x'));
  try {
    await assert.rejects(client.publish(fileSession(fixture('test.264'), client)), (err: unknown) => {
      assert.ok(err instanceof RTSPClientError);
      assert.deepEqual([err.code, err.status, err.method], ['ERR_RTSP_STATUS', 403, 'ANNOUNCE']);
      assert.match(err.message, /403 Forbidden/);
      return true;
    });
    assert.deepEqual(fake.requests.map((r) => r.method), ['ANNOUNCE']);
  } finally {
    await client.close();
    await fake.close();
  }
});

test('a UDP SETUP reply without server_port rejects saying there is nowhere to send', async () => {
  const fake = await FakeRTSPServer.start(receiver({ setupExtra: () => 'RTP/AVP;unicast;mode=record' }));
  const client = new RTSPClient(fake.url('x'));
  try {
    const session = await client.announce(fileSession(fixture('test.aac'), client));
    await assert.rejects(client.setupRecord(session.tracks[0]!, { transport: 'udp' }), (err: unknown) => {
      assert.ok(err instanceof RTSPClientError);
      assert.equal(err.code, 'ERR_RTSP_BAD_RESPONSE');
      assert.match(err.message, /no server_port/);
      return true;
    });
    assert.equal(session.tracks[0]!.transport, undefined);
    await assert.rejects(client.record(), (err: unknown) => err instanceof RTSPClientError && err.code === 'ERR_RTSP_STATE');
  } finally {
    await client.close();
    await fake.close();
  }
});

test('an SDP without m= is refused before anything is sent; send before RECORD is refused', async () => {
  const fake = await FakeRTSPServer.start(receiver());
  const client = new RTSPClient(fake.url('x'));
  try {
    await assert.rejects(client.announce('v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=x\r\nt=0 0\r\n'), (err: unknown) => isDorsvrError(err) && err.code === 'ERR_SDP_PARSE');
    assert.equal(fake.requests.length, 0);
    const session = await client.announce('v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=x\r\nt=0 0\r\nm=audio 0 RTP/AVP 0\r\na=control:streamid=0\r\n');
    assert.equal(session.tracks[0]!.controlURL, `${fake.url('x')}/streamid=0`);
    await client.setupRecord(session.tracks[0]!, { transport: 'tcp' });
    await assert.rejects(
      session.tracks[0]!.send(null as never, null as never),
      (err: unknown) => err instanceof RTSPClientError && err.code === 'ERR_RTSP_STATE' && /before SETUP and RECORD/.test(err.message),
    );
  } finally {
    await client.close();
    await fake.close();
  }
});

test('ANNOUNCE redirected (301 Location): the tracks are set up under the new URL', async () => {
  const fake = await FakeRTSPServer.start((req, conn) =>
    req.method === 'ANNOUNCE' && req.uri.endsWith('/old') ? { status: 301, headers: { Location: fake.url('new') } } : receiver()(req, conn),
  );
  try {
    const { client } = await publishFile(fake.url('old'), fixture('test.aac'), { transport: 'tcp', lingerMs: 0 });
    assert.equal(client.url, fake.url('new'));
    assert.deepEqual(
      fake.requests.map((r) => `${r.method} ${r.uri}`),
      [`ANNOUNCE ${fake.url('old')}`, `ANNOUNCE ${fake.url('new')}`, `SETUP ${fake.url('new')}/track1`, `RECORD ${fake.url('new')}`, `TEARDOWN ${fake.url('new')}`],
    );
    const packets = fake.connections.flatMap((c) => c.interleaved).filter((f) => f.channel === 0).length;
    assert.equal(packets, 45, 'the file went out (45 AAC frames, one a packet)');
  } finally {
    await fake.close();
  }
});

test('the server drops the connection carrying an interleaved publish: an error event, sending stops', async () => {
  const fake = await FakeRTSPServer.start(receiver());
  const client = new RTSPClient(fake.url('x'), { transport: 'tcp' });
  try {
    const errors: RTSPClientError[] = [];
    client.on('error', (e) => errors.push(e));
    const publication = await client.publish(fileSession(fixture('test.264'), client));
    await new Promise((resolve) => setTimeout(resolve, 300));
    fake.connections[0]!.socket.destroy();
    await publication.done;
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.code, 'ERR_RTSP_CONNECTION_CLOSED');
    const sent = publication.stats.packetsSent;
    assert.ok(sent > 0 && sent < 57, `${sent} packets sent before the connection went`);
    assert.equal(publication.session.tracks[0]!.transport, undefined);
  } finally {
    await client.close();
    await fake.close();
  }
});

async function bindUDP(address: string, port = 0): Promise<{ socket: Socket; port: number; packets: Buffer[] }> {
  const socket = createSocket('udp4');
  const packets: Buffer[] = [];
  socket.on('message', (m) => packets.push(m));
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, address, () => resolve());
  });
  return { socket, port: socket.address().port, packets };
}

test('over UDP: RTP to the server_port answered, RTCP (SR, BYE) to the next port, and a Transport source= naming another host is not followed', async () => {
  const rtp = await bindUDP('127.0.0.1');
  const rtcp = await bindUDP('127.0.0.1', rtp.port + 1).catch(() => undefined);
  if (rtcp === undefined) {
    rtp.socket.close();
    throw new Error(`port ${rtp.port + 1} taken: no RTCP port next to ${rtp.port}`);
  }
  const elsewhere = await bindUDP('127.0.0.2', rtp.port);
  const fake = await FakeRTSPServer.start(receiver({ setupExtra: (t) => `${t};server_port=${rtp.port}-${rtp.port + 1};source=127.0.0.2` }));
  try {
    const { publication } = await publishFile(fake.url('x'), fixture('test.aac'), { transport: 'udp', lingerMs: 100 });
    const track = publication.session.tracks[0]!;
    assert.equal(track.stats.packetsSent, 45);
    assert.equal(rtp.packets.length, 45, 'every RTP packet reached the server_port');
    assert.ok(rtp.packets.every((p) => parseRTPHeader(p).payloadType === 96));
    const reports = rtcp.packets.flatMap((p) => parseRTCP(p));
    assert.ok(reports.some((p) => p.type === 'sr') && reports.some((p) => p.type === 'bye'), 'SR and BYE on the RTCP port');
    assert.equal(elsewhere.packets.length, 0, 'nothing went to the source= address');
  } finally {
    for (const s of [rtp.socket, rtcp.socket, elsewhere.socket]) s.close();
    await fake.close();
  }
});

test('hostile: publishing over UDP, an RTCP receiver report from another address than the server\'s is not taken as the server\'s', async () => {
  const rtp = await bindUDP('127.0.0.1');
  const rtcp = await bindUDP('127.0.0.1', rtp.port + 1).catch(() => undefined);
  if (rtcp === undefined) {
    rtp.socket.close();
    throw new Error(`port ${rtp.port + 1} taken: no RTCP port next to ${rtp.port}`);
  }
  const stranger = await bindUDP('127.0.0.2');
  const fake = await FakeRTSPServer.start(receiver({ setupExtra: (t) => `${t};server_port=${rtp.port}-${rtp.port + 1}` }));
  let reports = -1;
  try {
    await publishFile(fake.url('x'), fixture('test.aac'), {
      transport: 'udp',
      loop: true,
      lingerMs: 0,
      until: async (publication) => {
        const track = publication.session.tracks[0]!;
        const deadline = Date.now() + 10_000;
        while (rtp.packets.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
        const ssrc = parseRTPHeader(rtp.packets[0]!).ssrc;
        const clientRTCP = parseTransportHeader(fake.requests.find((r) => r.method === 'SETUP')!.headers.get('Transport')!)[0]!.clientPort!.rtcp!;
        const block = { ssrc, fractionLost: 200, cumulativeLost: 1000, extendedHighestSeq: 1, jitter: 0, lastSR: 0, delaySinceLastSR: 0 };
        const rr = (from: number) => serializeRTCP([{ type: 'rr', ssrc: from, reports: [block] }]);
        for (let i = 0; i < 3; i++) stranger.socket.send(rr(0xbad), clientRTCP, '127.0.0.1');
        await new Promise((r) => setTimeout(r, 300));
        rtcp.socket.send(rr(0x5e4), clientRTCP, '127.0.0.1');
        while (track.stats.receiverReports === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
        await new Promise((r) => setTimeout(r, 100));
        reports = track.stats.receiverReports;
      },
    });
    assert.equal(reports, 1, "only the server's receiver report was taken");
  } finally {
    for (const s of [rtp.socket, rtcp.socket, stranger.socket]) s.close();
    await fake.close();
  }
});
