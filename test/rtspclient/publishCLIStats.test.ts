// dorsvr-publish's figures: publishing over TCP into our server through a relay that drops every
// 20th RTP packet, its --json lines (progress every second, the summary) carry the packets sent and
// the loss the server's RTCP receiver reports give back; --quiet leaves stderr empty but the summary.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BasicTaskScheduler } from '@dorsvr/scheduler';
import { RTSPServer } from '@dorsvr/rtspserver';
import { repoRoot } from '../helpers/paths.js';
import { findPeer } from '../helpers/peers.js';
import { tempDir } from '../helpers/tempDir.js';
import { runPeer } from '../rtspserver/helpers/ffmpeg.js';
import { DroppingRTSPProxy } from '../rtspserver/helpers/DroppingRTSPProxy.js';

const PUBLISH_CLI = join(repoRoot, 'packages', 'rtspclient', 'dist', 'publishCLI.js');
const tmp = tempDir();
after(() => tmp.cleanup());

test('dorsvr-publish --json: progress and summary as JSON lines, with the loss the server reports back; --quiet prints only the summary', async () => {
  const media = join(tmp.dir, 'media');
  mkdirSync(media);
  const file = join(media, 'clip.264');
  // 7 s of H.264 at ~1 Mbit/s: our server's receiver reports come at most 5 s apart.
  const gen = await runPeer(findPeer('ffmpeg'), [
    '-hide_banner', '-loglevel', 'error', '-nostdin', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=25,noise=alls=40:allf=t', '-t', '7',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-b:v', '1M', '-pix_fmt', 'yuv420p', '-f', 'h264', file,
  ]);
  assert.equal(gen.code, 0, gen.stderr);
  const scheduler = new BasicTaskScheduler();
  const server = new RTSPServer({ scheduler, port: 0, host: '127.0.0.1', publish: true });
  await server.listen();
  const proxy = new DroppingRTSPProxy(server.port, (i) => i >= 10 && i % 20 === 0, 0, 'toServer');
  const port = await proxy.listen();
  try {
    const r = await runPeer(process.execPath, [PUBLISH_CLI, file, `rtsp://127.0.0.1:${port}/live/clip`, '-t', '--json'], 30_000);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '', 'nothing on stderr with --json but errors');
    const lines = r.stdout.trim().split('\n').map((l, i) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        assert.fail(`stdout line ${i + 1} is not JSON: ${l}`);
      }
    });
    assert.equal(lines[0]!.type, 'publishing');
    assert.equal(lines[0]!.transport, 'tcp');
    const published = lines.at(-1) as { type: string; packets: number; bytes: number; seconds: number; exitCode: number };
    assert.equal(published.type, 'published');
    assert.equal(published.exitCode, 0);
    assert.equal(published.packets, proxy.passed + proxy.dropped, `${published.packets} sent, the relay saw ${proxy.passed} + ${proxy.dropped}`);
    assert.ok(published.seconds > 6.5, `${published.seconds} s of media`);
    const statuses = lines.filter((l) => l.type === 'status') as Array<{ seconds: number; packets: number; packetsLost: number | undefined; tracks: Array<{ receiverReports: number; packetsLost: number | undefined; jitterMs: number | undefined }> }>;
    assert.ok(statuses.length >= 5, `${statuses.length} status lines`);
    for (let i = 1; i < statuses.length; i++) assert.ok(statuses[i]!.packets >= statuses[i - 1]!.packets);
    const reported = statuses.filter((s) => s.packetsLost !== undefined);
    assert.ok(reported.length >= 1, 'no status line carried a receiver report from the server');
    const last = reported.at(-1)!;
    assert.ok(last.tracks[0]!.receiverReports >= 1);
    assert.ok(last.packetsLost! > 0 && last.packetsLost! <= proxy.dropped, `the server reported ${last.packetsLost} lost, ${proxy.dropped} dropped`);
    assert.equal(typeof last.tracks[0]!.jitterMs, 'number');

    const q = await runPeer(process.execPath, [PUBLISH_CLI, file, `rtsp://127.0.0.1:${server.port}/live/quiet`, '-t', '--quiet'], 30_000);
    assert.equal(q.code, 0, q.stderr);
    assert.equal(q.stderr, '');
    assert.match(q.stdout, /^published .*clip\.264 to \S+: [\d.]+ s of media in [\d.]+ s, \d+ packets, \d+ bytes\n$/);
  } finally {
    await proxy.close();
    await server.close();
    scheduler.close();
  }
});
