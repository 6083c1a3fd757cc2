// Real players keep their RTSP connection quiet while they play (ffmpeg over UDP sends nothing
// for the 2 s clip): with idle and request timeouts far shorter than the clip, a connection that
// carries a session must still not be closed, so the player's TEARDOWN arrives on it at the end.
// (Without the session rule, the UDP player's connection would be closed half a second in.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { BasicTaskScheduler } from '@dorsvr/scheduler';
import { DynamicRTSPServer, type SessionCloseReason } from '@dorsvr/rtspserver';
import { fixture } from '../../helpers/paths.js';
import { withTempDir } from '../../helpers/tempDir.js';
import { ffmpegCopy, probe } from '../helpers/ffmpeg.js';

for (const transport of ['udp', 'tcp'] as const) {
  test(`ffmpeg over ${transport} plays a 2 s clip to its end on a server whose idle timeout is 0.5 s; its TEARDOWN ends the session`, async () => {
    const scheduler = new BasicTaskScheduler();
    const server = new DynamicRTSPServer({
      scheduler,
      root: fixture(''),
      port: 0,
      host: '127.0.0.1',
      idleTimeoutSeconds: 0.5,
      requestTimeoutSeconds: 0.5,
    });
    const methods: string[] = [];
    const closed: SessionCloseReason[] = [];
    server.on('request', (_c, m) => methods.push(m));
    server.on('sessionClosed', (_s, reason) => closed.push(reason));
    await server.listen();
    try {
      await withTempDir(async (dir) => {
        const out = join(dir, 'out.mkv');
        const r = await ffmpegCopy(`rtsp://127.0.0.1:${server.port}/test.264`, transport, out);
        assert.equal(r.code, 0, r.stderr);
        assert.equal((await probe(out)).frames, 50);
        assert.ok(methods.includes('TEARDOWN'), `the TEARDOWN came on the quiet connection: ${methods.join(' ')}`);
        // Over UDP only the TEARDOWN ends the session this soon. Over TCP ffmpeg closes the socket
        // right after sending it, and the close may be handled first: then the session ends with
        // its connection (a race of the peer's making, not a timeout).
        if (transport === 'udp') assert.deepEqual(closed, ['teardown']);
        else assert.ok(closed.length === 1 && (closed[0] === 'teardown' || closed[0] === 'connection-closed'), closed.join(' '));
      });
    } finally {
      await server.close();
      scheduler.close();
    }
  });
}
