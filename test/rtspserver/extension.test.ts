import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ServerMediaSession } from '@dorsvr/livemedia';
import { RTSPServer, type RTSPAccessCheck, type RTSPRequestContext, type RTSPResponse } from '@dorsvr/rtspserver';
import { RawRTSPClient } from './helpers/RawRTSPClient.js';
import { RecordingSubsession } from './helpers/RecordingSubsession.js';
import { virtualScheduler } from './helpers/schedulers.js';

async function withServer(server: RTSPServer, body: (url: string, c: RawRTSPClient) => Promise<void>): Promise<void> {
  server.addServerMediaSession(new ServerMediaSession('cam').addSubsession(new RecordingSubsession({ duration: 10 })));
  const port = await server.listen();
  const c = await RawRTSPClient.connect(port);
  try {
    await body(`rtsp://127.0.0.1:${port}`, c);
  } finally {
    c.close();
    await server.close();
    server.scheduler.close();
  }
}

test('accessCheck: a refused request is answered 403 and the hook sees action, stream, method and peer', async () => {
  const checks: RTSPAccessCheck[] = [];
  const server = new RTSPServer({
    scheduler: virtualScheduler(),
    port: 0,
    host: '127.0.0.1',
    accessCheck: (check) => {
      checks.push(check);
      return check.connection.remoteAddress === '127.0.0.1' && check.method !== 'SETUP';
    },
  });
  await withServer(server, async (url, c) => {
    c.write(`DESCRIBE ${url}/cam RTSP/1.0\r\nCSeq: 1\r\n\r\n`);
    assert.equal((await c.response()).status, 200);
    c.write(`SETUP ${url}/cam/track1 RTSP/1.0\r\nCSeq: 2\r\nTransport: RTP/AVP/TCP;interleaved=0-1\r\n\r\n`);
    const r = await c.response();
    assert.equal(r.status, 403);
    assert.equal(r.headers['session'], undefined);
    assert.equal(server.clientSessions.size, 0);
    assert.deepEqual(
      checks.map((k) => [k.action, k.streamName, k.method, k.username]),
      [
        ['read', 'cam', 'DESCRIBE', undefined],
        ['read', 'cam', 'SETUP', undefined],
      ],
    );
  });
});

test('a subclass serves a method by overriding its handler (live555 handleCmd_*) and lists it in Public', async () => {
  class AnnouncingServer extends RTSPServer {
    announced: string[] = [];
    protected override get publicMethods(): readonly string[] {
      return [...super.publicMethods, 'ANNOUNCE'];
    }
    protected override handleAnnounce(ctx: RTSPRequestContext): RTSPResponse {
      this.announced.push(Buffer.from(ctx.request.body).toString('utf8'));
      return { status: 200, headers: ctx.headers };
    }
  }
  const server = new AnnouncingServer({ scheduler: virtualScheduler(), port: 0, host: '127.0.0.1' });
  await withServer(server, async (url, c) => {
    c.write(`OPTIONS ${url}/cam RTSP/1.0\r\nCSeq: 1\r\n\r\n`);
    assert.ok((await c.response()).headers['public']!.split(', ').includes('ANNOUNCE'));
    c.write(`ANNOUNCE ${url}/x RTSP/1.0\r\nCSeq: 2\r\nContent-Type: application/sdp\r\nContent-Length: 3\r\n\r\nv=0`);
    assert.equal((await c.response()).status, 200);
    assert.deepEqual(server.announced, ['v=0']);
    // The base server still refuses RECORD, naming what it allows.
    c.write(`RECORD ${url}/x RTSP/1.0\r\nCSeq: 3\r\n\r\n`);
    const r = await c.response();
    assert.equal(r.status, 405);
    assert.ok(r.headers['allow']!.includes('ANNOUNCE'));
  });
});

test('options of the wrong type are refused at construction, never read as "allowed": accessCheck, publish', () => {
  for (const accessCheck of [true, 'yes', {}] as unknown[]) {
    assert.throws(() => new RTSPServer({ scheduler: virtualScheduler(), accessCheck: accessCheck as never }), { code: 'ERR_SERVER_OPTION' });
  }
  for (const publish of [0, 1, 'false', null] as unknown[]) {
    assert.throws(() => new RTSPServer({ scheduler: virtualScheduler(), publish: publish as never }), { code: 'ERR_SERVER_OPTION' });
  }
});
