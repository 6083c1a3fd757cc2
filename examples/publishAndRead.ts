/**
 * Publish and read, in one process: an RTSPServer that accepts publishers (the `publish` option),
 * our RTSPClient publishing a file to it in real time (ANNOUNCE, SETUP mode=record, RECORD), and a
 * second RTSPClient reading the same path at the same time through the server's relay. The reader
 * asks first; its DESCRIBE waits for the publisher (`waitForPublisherSeconds`). When the file has
 * been sent the publisher tears down; the reader gets an RTCP BYE and stops.
 *
 *   npm run build && node build/examples/publishAndRead.js [file] [tcp|udp]
 *
 * The same with real peers, against `dorsvr-server test/fixtures --publish`:
 *   ffmpeg -re -i test/fixtures/test.264 -c copy -f rtsp rtsp://127.0.0.1:8554/live
 *   ffplay rtsp://127.0.0.1:8554/live
 */
import { BasicTaskScheduler } from '@dorsvr/scheduler';
import { ServerMediaSession, createFileServerMediaSubsession } from '@dorsvr/livemedia';
import { RTSPServer } from '@dorsvr/rtspserver';
import { RTSPClient } from '@dorsvr/rtspclient';

const file = process.argv[2] ?? 'test/fixtures/test.264';
const transport = process.argv[3] === 'udp' ? 'udp' : 'tcp';

const scheduler = new BasicTaskScheduler();
const server = new RTSPServer({ scheduler, port: 0, host: '127.0.0.1', publish: { waitForPublisherSeconds: 10 } });
server.on('publish', (p) => console.log(`server: ${p.path} is published (${p.trackCount} track(s)), readers may play it`));
server.on('unpublish', (p, reason, stats) => console.log(`server: ${p.path} ended (${reason}): ${stats.rtpPackets} RTP packets received`));
await server.listen();
const url = `rtsp://127.0.0.1:${server.port}/live`;

// The reader: DESCRIBE waits until someone publishes, then every frame of every track is counted.
const reading = (async () => {
  const reader = new RTSPClient(url, { transport });
  const session = await reader.describe();
  const tracks = session.subsessions.filter((s) => s.supported);
  for (const sub of tracks) await reader.setup(sub);
  const counting = tracks.map(async (sub) => {
    let frames = 0;
    let keyFrames = 0;
    for await (const f of sub.frames()) {
      frames++;
      if (f.key) keyFrames++;
    }
    return `${sub.mediumName}/${sub.codecName}: ${frames} frames (${keyFrames} key frames)`;
  });
  await reader.play();
  const lines = await Promise.all(counting);
  await reader.close();
  return lines;
})();

// The publisher: the file as the server would stream it, sent in real time.
const publisher = new RTSPClient(url, { transport });
const sub = createFileServerMediaSubsession(file, { scheduler: publisher.scheduler });
if (!sub) throw new Error(`${file}: not a file type this library streams`);
console.log(`publishing ${file} to ${url} over ${transport.toUpperCase()}`);
const publication = await publisher.publish(new ServerMediaSession('live').addSubsession(sub), { loop: false });
await publication.done;
await publisher.close();

// The reader joined a live stream: it starts at the next key frame after its PLAY.
for (const line of await reading) console.log(`reader: ${line}`);
await server.close();
scheduler.close();
