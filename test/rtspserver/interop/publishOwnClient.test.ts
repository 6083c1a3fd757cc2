// Our own client (RTSPClient.publish, the dorsvr-publish path) publishing into our server, over
// TCP and UDP, while ffprobe reads the path from the start: every frame of the file arrives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ServerMediaSession, createFileServerMediaSubsession } from '@dorsvr/livemedia';
import { RTSPClient } from '@dorsvr/rtspclient';
import { fixture } from '../../helpers/paths.js';
import { assertWholeInOrder, probePackets, startPublishServer } from '../helpers/publish.js';

for (const transport of ['tcp', 'udp'] as const) {
  test(`RTSPClient.publish sends test.264 over ${transport.toUpperCase()} into the server; ffprobe reads all 50 frames in order`, async () => {
    const srv = await startPublishServer({}, 1);
    const client = new RTSPClient(`${srv.base}/own/${transport}`, { transport });
    try {
      const reader = probePackets(`${srv.base}/own/${transport}`, ['-rtsp_transport', 'tcp']);
      await new Promise((r) => setTimeout(r, 300));
      const sub = createFileServerMediaSubsession(fixture('test.264'), { scheduler: client.scheduler });
      assert.ok(sub);
      const publication = await client.publish(new ServerMediaSession('own').addSubsession(sub), { loop: false });
      await publication.done;
      await client.close();
      const r = await reader;
      assert.equal(r.result.code, 0, r.result.stderr);
      assertWholeInOrder(r.packets, 50, `ffprobe reading our client's ${transport} publish`, true);
      assert.equal(srv.server.publishing!.streams.size, 0, 'the publish ended with the client');
    } finally {
      await client.close();
      await srv.close();
    }
  });
}
