// A hostile or broken server never crashes the client: whatever bytes come back (random, a
// response cut short, a malformed status line, garbage SDP, a huge Content-Length, `$` frames
// for unknown channels), each call settles — with a response or an RTSPClientError — and close()
// frees everything. The process would die on an uncaught exception, failing the run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DorsvrError } from '@dorsvr/scheduler';
import { RTSPClient } from '@dorsvr/rtspclient';
import { FakeRTSPServer, type FakeAnswer } from './FakeRTSPServer.js';

const enc = (s: string): Uint8Array => Buffer.from(s, 'latin1');

/** Answers a server might send, from noise to nearly right. */
const answer = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc.string({ maxLength: 200 }).map((s) => enc(s)),
  fc.constantFrom(
    'RTSP/1.0 200 OK\r\nCSeq: 1\r\n\r\n',
    'RTSP/1.0 200 OK\r\nCSeq: 1\r\nContent-Type: application/sdp\r\nContent-Length: 9\r\n\r\nnot sdp!!',
    'RTSP/1.0 200 OK\r\nCSeq: 1\r\nContent-Length: 99999999\r\n\r\n',
    'RTSP/1.0 abc Weird\r\nCSeq: 1\r\n\r\n',
    'HTTP/1.1 200 OK\r\n\r\n',
    'RTSP/1.0 200 OK\r\nCSeq: x\r\nSession: ;;;\r\nTransport: ;=;\r\n\r\n',
    'RTSP/1.0 401 Unauthorized\r\nCSeq: 1\r\nWWW-Authenticate: Digest realm\r\nWWW-Authenticate: Basic\r\n\r\n',
    'RTSP/1.0 302 Found\r\nCSeq: 1\r\nLocation: http://[::1\r\n\r\n',
    '$\x05\x00\x04abcd$\x00\xff\xffshort',
    'RTSP/1.0 200 OK\r\nCSeq: 1\r\nContent-Type: application/sdp\r\nContent-Length: 60\r\n\r\nv=0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/0\r\na=control:\r\n',
  ).map(enc),
);

test('random and malformed server answers: every client call settles with a response or a DorsvrError, never a crash', async () => {
  let run = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(answer, { minLength: 1, maxLength: 4 }), fc.boolean(), async (answers, closeAfter) => {
      run++;
      let i = 0;
      const fake = await FakeRTSPServer.start((_req, conn): FakeAnswer => {
        const a = answers[i++ % answers.length]!;
        conn.socket.write(a);
        if (closeAfter && i >= answers.length) conn.socket.end();
        return undefined;
      });
      const client = new RTSPClient(fake.url(`s${run}`), { transport: 'tcp', requestTimeoutMs: 200, connectTimeoutMs: 1000, teardownTimeoutMs: 100 });
      client.on('error', () => {}); // background errors are events; they must not throw either
      try {
        for (const call of [() => client.options(), () => client.describe(), () => client.getParameter()]) {
          try {
            const r = await call();
            assert.ok(r !== undefined);
          } catch (err) {
            assert.ok(err instanceof DorsvrError, `not a DorsvrError: ${String(err)}`);
          }
        }
      } finally {
        await client.close();
        await fake.close();
      }
    }),
    { numRuns: Number(process.env.FUZZ_RUNS ?? 25) },
  );
});
