// Whatever bytes a client sends, the server answers or ignores them and keeps serving: random
// chunks, random requests with random headers, and `$` frames with bogus channels and lengths.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ServerMediaSession } from '@dorsvr/livemedia';
import { RTSPServer } from '@dorsvr/rtspserver';
import { RawRTSPClient } from './helpers/RawRTSPClient.js';
import { RecordingSubsession } from './helpers/RecordingSubsession.js';
import { virtualScheduler } from './helpers/schedulers.js';

test('random bytes and random requests never crash the server; the next well-formed request is answered', async () => {
  const scheduler = virtualScheduler();
  const server = new RTSPServer({ scheduler, port: 0, host: '127.0.0.1' });
  server.addServerMediaSession(new ServerMediaSession('s').addSubsession(new RecordingSubsession()));
  const errors: unknown[] = [];
  server.on('error', (e) => errors.push(e));
  const port = await server.listen();
  const methods = ['OPTIONS', 'DESCRIBE', 'SETUP', 'PLAY', 'PAUSE', 'TEARDOWN', 'GET_PARAMETER', 'SET_PARAMETER', 'RECORD', 'X'];
  const headerName = fc.constantFrom('CSeq', 'Session', 'Transport', 'Range', 'Scale', 'Require', 'Authorization', 'Content-Length', 'X-Y');
  const request = fc
    .record({
      method: fc.constantFrom(...methods),
      uri: fc.oneof(fc.constant('*'), fc.constant(`rtsp://127.0.0.1:${port}/s/track1`), fc.string({ maxLength: 40 })),
      headers: fc.array(fc.tuple(headerName, fc.string({ maxLength: 60 })), { maxLength: 6 }),
    })
    .map(({ method, uri, headers }) => {
      let m = `${method} ${uri.replace(/[\r\n ]/g, '_') || '*'} RTSP/1.0\r\nCSeq: 1\r\n`;
      for (const [n, v] of headers) m += `${n}: ${v.replace(/[\r\n]/g, ' ')}\r\n`;
      return Buffer.from(`${m}\r\n`);
    });
  const frame = fc
    .tuple(fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 40 }))
    .map(([ch, p]) => Buffer.concat([Buffer.from([0x24, ch, p.length >> 8, p.length & 0xff]), Buffer.from(p)]));
  const chunk = fc.oneof(request, frame, fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)));
  try {
    await fc.assert(
      fc.asyncProperty(fc.array(chunk, { minLength: 1, maxLength: 8 }), async (chunks) => {
        const c = await RawRTSPClient.connect(port);
        try {
          for (const b of chunks) c.write(b);
          await new Promise((r) => setTimeout(r, 2)); // let the server chew on it
          // Whatever happened, a fresh connection is served.
          const fresh = await RawRTSPClient.connect(port);
          try {
            assert.equal((await fresh.request('OPTIONS', '*')).status, 200);
          } finally {
            fresh.close();
          }
        } finally {
          c.close();
        }
      }),
      { numRuns: 150 },
    );
    assert.deepEqual(errors, [], 'no internal error surfaced');
  } finally {
    await server.close();
    scheduler.close();
  }
});
