// Real players' requests through the RTSP codec: a minimal responder built only from the codec
// (RTSPParser, serializers, header and Digest helpers, SDP writer) answers ffprobe and GStreamer
// up to SETUP, and the test checks what their bytes parse to.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import {
  RTSPParser,
  formatCommaList,
  formatDigestChallenge,
  formatRTSPDate,
  formatSDP,
  parseDigestAuthorization,
  parseTransportHeader,
  serializeRTSPResponse,
  verifyDigestAuthorization,
  type RTSPRequest,
  type TransportSpec,
} from '@dorsvr/livemedia';
import { findPeer } from '../../helpers/peers.js';

interface Seen {
  requests: RTSPRequest[];
  parseErrors: string[];
  authResults: boolean[];
  transports: TransportSpec[][];
}

const REALM = 'dorsvr-test';
const SDP = formatSDP({
  sessionId: 1,
  originAddress: '127.0.0.1',
  name: 'codec test',
  tool: 'dorsvr test',
  durationSeconds: 0,
  media: [
    {
      mediaType: 'video',
      payloadType: 96,
      rtpmapLine: 'a=rtpmap:96 H264/90000',
      fmtpLine: 'a=fmtp:96 packetization-mode=1;profile-level-id=42C01E;sprop-parameter-sets=Z0LAHtkDxWhAAAADAEAAAAwDxYuS,aMuMsg==',
      control: 'track1',
    },
  ],
});

/** `live555`: one MD5 challenge without qop; `rfc7616`: SHA-256 then MD5, both with qop="auth" (what our server offers). */
type Offer = 'live555' | 'rfc7616';

function challenges(offer: Offer, nonce: string): Array<[string, string]> {
  if (offer === 'live555') return [['WWW-Authenticate', formatDigestChallenge({ realm: REALM, nonce, algorithm: 'MD5', qop: [], stale: false })]];
  return (['SHA-256', 'MD5'] as const).map((algorithm) => ['WWW-Authenticate', formatDigestChallenge({ realm: REALM, nonce, algorithm, qop: ['auth'], stale: false })]);
}

async function withResponder(password: string, offer: Offer, run: (port: number, seen: Seen) => Promise<void>): Promise<Seen> {
  const seen: Seen = { requests: [], parseErrors: [], authResults: [], transports: [] };
  let nonceCounter = 0;
  const sockets = new Set<Socket>();
  const server = createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => undefined);
    const parser = new RTSPParser();
    sock.on('data', (chunk: Buffer) => {
      for (const item of parser.push(chunk)) {
        if (item.type === 'error') {
          seen.parseErrors.push(item.error.message);
          continue;
        }
        if (item.type !== 'request') continue;
        seen.requests.push(item);
        const headers: Array<[string, string]> = [
          ['CSeq', item.headers.get('cseq') ?? '0'],
          ['Date', formatRTSPDate(Date.UTC(2026, 10, 24, 12, 0, 0))],
        ];
        const reply = (status: number, extra: Array<[string, string]> = [], body?: string): void => {
          sock.write(serializeRTSPResponse({ status, headers: [...headers, ...extra], body }));
        };
        if (item.method === 'OPTIONS') {
          reply(200, [['Public', formatCommaList(['OPTIONS', 'DESCRIBE', 'SETUP', 'PLAY', 'TEARDOWN'])]]);
          continue;
        }
        const auth = item.headers.get('authorization');
        if (auth === undefined) {
          const nonce = `n${++nonceCounter}x0123456789abcdef`;
          reply(401, challenges(offer, nonce));
          continue;
        }
        let ok = false;
        try {
          ok = verifyDigestAuthorization({ credentials: parseDigestAuthorization(auth), method: item.method, password });
        } catch {
          ok = false;
        }
        if (item.method === 'DESCRIBE') seen.authResults.push(ok);
        if (!ok) {
          reply(401, challenges(offer, `n${++nonceCounter}y`));
        } else if (item.method === 'DESCRIBE') {
          reply(200, [['Content-Base', `${item.uri}/`], ['Content-Type', 'application/sdp']], SDP);
        } else if (item.method === 'SETUP') {
          seen.transports.push(parseTransportHeader(item.headers.get('transport') ?? ''));
          reply(461);
          sock.end();
        } else {
          reply(455);
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await run((server.address() as AddressInfo).port, seen);
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  return seen;
}

function runPeer(cmd: string, args: string[], limitMs = 20000): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < 20000) stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

for (const [transport, offer] of [['udp', 'live555'], ['tcp', 'rfc7616'], ['udp', 'rfc7616']] as const) {
  test(`ffprobe (${transport}, ${offer} challenge): requests parse, its Digest answer verifies, its Transport parses`, async () => {
    const ffprobe = findPeer('ffprobe');
    const seen = await withResponder('s3cret', offer, (port) =>
      runPeer(ffprobe, ['-v', 'error', '-rtsp_transport', transport, `rtsp://alice:s3cret@127.0.0.1:${port}/stream`]),
    );
    assert.deepEqual(seen.parseErrors, []);
    const methods = seen.requests.map((r) => r.method);
    assert.deepEqual(methods.slice(0, 4), ['OPTIONS', 'DESCRIBE', 'DESCRIBE', 'SETUP']);
    assert.ok(seen.requests.every((r) => r.version === 'RTSP/1.0'));
    // CSeq strictly increases, as every client must send it.
    const cseqs = seen.requests.map((r) => Number(r.headers.get('CSeq')));
    assert.ok(cseqs.every((c, i) => i === 0 || c > cseqs[i - 1]!), `CSeq ${cseqs.join(',')}`);
    assert.deepEqual(seen.authResults, [true]);
    const auth = parseDigestAuthorization(seen.requests[2]!.headers.get('authorization')!);
    assert.equal(auth.username, 'alice');
    assert.equal(auth.realm, REALM);
    // ffmpeg 5.1 cannot do SHA-256: offered both, it answers MD5 (quoting algorithm and qop).
    assert.equal(auth.algorithm, 'MD5');
    assert.equal(auth.qop, offer === 'rfc7616' ? 'auth' : undefined);
    // ffmpeg puts the track after the base URL.
    assert.match(seen.requests[3]!.uri, /\/stream\/track1$/);
    assert.equal(seen.transports.length, 1);
    const t = seen.transports[0]![0]!;
    assert.equal(t.profile, 'RTP/AVP');
    assert.equal(t.delivery, 'unicast');
    if (transport === 'tcp') {
      assert.equal(t.lowerTransport, 'TCP');
      assert.deepEqual(t.interleaved, { rtp: 0, rtcp: 1 });
    } else {
      assert.equal(t.lowerTransport, 'UDP');
      assert.ok(t.clientPort !== undefined && t.clientPort.rtp % 2 === 0 && t.clientPort.rtcp === t.clientPort.rtp + 1);
    }
  });
}

test('ffprobe with a wrong password: its Digest answer does not verify', async () => {
  const ffprobe = findPeer('ffprobe');
  const seen = await withResponder('right', 'rfc7616', (port) => runPeer(ffprobe, ['-v', 'quiet', `rtsp://alice:wrong@127.0.0.1:${port}/stream`]));
  assert.ok(seen.authResults.length >= 1);
  assert.ok(seen.authResults.every((ok) => !ok));
  assert.equal(seen.transports.length, 0);
});

test('GStreamer rtspsrc (tcp, offered SHA-256 + MD5 with qop): requests parse, Digest verifies, Transport parses', async () => {
  const gst = findPeer('gst-launch-1.0');
  const seen = await withResponder('pw', 'rfc7616', (port) =>
    runPeer(gst, ['-q', 'rtspsrc', `location=rtsp://127.0.0.1:${port}/cam`, 'user-id=bob', 'user-pw=pw', 'protocols=tcp', 'retry=1', '!', 'fakesink'], 15000),
  );
  assert.deepEqual(seen.parseErrors, []);
  assert.ok(seen.authResults.includes(true), `auth results ${JSON.stringify(seen.authResults)}`);
  // GStreamer 1.22 answers with an RFC 2069 response (no qop, no algorithm) even when qop is offered:
  // a server must accept that.
  const describe = seen.requests.find((r) => r.method === 'DESCRIBE' && r.headers.has('authorization'))!;
  const creds = parseDigestAuthorization(describe.headers.get('authorization')!);
  assert.equal(creds.qop, undefined);
  assert.equal(creds.username, 'bob');
  assert.ok(seen.transports.length >= 1, `methods ${seen.requests.map((r) => r.method).join(',')}`);
  const specs = seen.transports[0]!;
  assert.ok(specs.some((s) => s.lowerTransport === 'TCP' && s.interleaved !== undefined), JSON.stringify(specs));
});
