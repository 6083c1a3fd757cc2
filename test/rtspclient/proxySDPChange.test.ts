// The back-end's SDP changes across a reconnection (its video track becomes H.265, its AAC track
// stays): the player of the changed track gets an RTCP BYE, the AAC track goes on for the same
// player, and a new DESCRIBE shows the new track.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BasicTaskScheduler } from '@dorsvr/scheduler';
import { ADTSAudioFileServerMediaSubsession, H264VideoFileServerMediaSubsession, H265VideoFileServerMediaSubsession, ServerMediaSession } from '@dorsvr/livemedia';
import { RTSPServer } from '@dorsvr/rtspserver';
import { RTSPClient, type MediaSubsession } from '@dorsvr/rtspclient';
import { fixture } from '../helpers/paths.js';
import { withTempDir } from '../helpers/tempDir.js';
import { proxyServer, waitFor } from './proxyHelpers.js';

function repeated(dir: string, name: string, times: number): string {
  const out = join(dir, `long-${name}`);
  writeFileSync(out, Buffer.concat(Array.from({ length: times }, () => readFileSync(fixture(name)))));
  return out;
}

test('a back-end whose video track changes (H.264 → H.265) across a reconnection: its reader is ended with a BYE, the unchanged AAC track goes on', async () => {
  await withTempDir(async (dir) => {
    const scheduler = new BasicTaskScheduler();
    const h264 = repeated(dir, 'test.264', 8);
    const h265 = repeated(dir, 'test.265', 8);
    const aac = repeated(dir, 'test.aac', 8);
    const origin = new RTSPServer({ scheduler, port: 0, host: '127.0.0.1' });
    const cam = (video: ServerMediaSession['subsessions'][number]) =>
      new ServerMediaSession('cam').addSubsession(video).addSubsession(new ADTSAudioFileServerMediaSubsession(aac, { scheduler }));
    origin.addServerMediaSession(cam(new H264VideoFileServerMediaSubsession(h264, { scheduler })));
    await origin.listen();
    const px = await proxyServer(scheduler, `rtsp://127.0.0.1:${origin.port}/cam`, 'proxyStream', { transport: 'tcp', noDataTimeoutMs: 2000, random: () => 0.5 });
    const changes: number[][] = [];
    px.proxy.events.on('tracksChanged', (t) => changes.push(t));
    const player = new RTSPClient(px.url, { scheduler, transport: 'tcp' });
    try {
      const session = await player.describe();
      const [video, audio] = session.subsessions as [MediaSubsession, MediaSubsession];
      assert.equal(video.codecName, 'H264');
      assert.equal(audio.codecName, 'MPEG4-GENERIC');
      await player.setup(video);
      await player.setup(audio);
      const counts = { video: 0, audio: 0 };
      const byes: string[] = [];
      video.on('frame', () => counts.video++);
      audio.on('frame', () => counts.audio++);
      player.on('bye', (s) => byes.push(s === video ? 'video' : 'audio'));
      await player.play();
      await waitFor(() => counts.video > 10 && counts.audio > 10, 15_000, 'frames on both tracks');
      // The camera is reconfigured: same name, H.265 video now.
      origin.removeServerMediaSession('cam');
      origin.addServerMediaSession(cam(new H265VideoFileServerMediaSubsession(h265, { scheduler })));
      await waitFor(() => changes.length > 0, 15_000, 'the proxy to see the new SDP');
      assert.deepEqual(changes, [[1]]);
      await waitFor(() => byes.includes('video'), 5000, 'the video reader to get its BYE');
      const audioAtChange = counts.audio;
      await waitFor(() => counts.audio > audioAtChange + 40, 10_000, 'AAC frames after the change');
      assert.deepEqual(byes, ['video'], 'no BYE for the unchanged AAC track');
      assert.equal(audio.ended, false);
      assert.equal(audio.stats.packetsLost, 0, 'the AAC reader\'s sequence numbers went on');
      const again = new RTSPClient(px.url, { scheduler });
      const s2 = await again.describe();
      await again.close();
      assert.deepEqual(s2.subsessions.map((s) => s.codecName), ['H265', 'MPEG4-GENERIC']);
      assert.equal(px.proxy.stats.reconnects, 1);
    } finally {
      await player.close();
      await px.close();
      await origin.close();
      scheduler.close();
    }
  });
});
