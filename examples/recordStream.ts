/**
 * Records every track of an RTSP stream to a file (what `dorsvr-client` does, in a page): the
 * RTSPClient plays the URL, and createFileSink picks the writer for each track from its SDP.
 *
 *   npm run build && node build/examples/recordStream.js rtsp://127.0.0.1:8554/test.264 [seconds] [dir]
 *
 * Stops at the end of the stream (RTCP BYE), after `seconds`, or on Ctrl-C.
 */
import * as path from 'node:path';
import { createFileSink, fileExtensionFor, type FileSink } from '@dorsvr/livemedia';
import { RTSPClient } from '@dorsvr/rtspclient';

const [url, seconds, dir = '.'] = process.argv.slice(2);
if (!url) {
  console.error('usage: node build/examples/recordStream.js <rtsp-url> [seconds] [dir]');
  process.exit(2);
}

const client = new RTSPClient(url, { transport: 'auto' });
client.on('fallbackToTCP', (why) => console.error(`UDP got nothing (${why}): using TCP`));
const session = await client.describe();
const recordings: Array<{ sink: FileSink; done: Promise<void> }> = [];
let n = 0;
for (const sub of session.subsessions) {
  n++;
  if (!sub.supported) continue; // no depacketizer for this codec
  await client.setup(sub);
  const desc = sub.description; // encoding, clock rate, channels, fmtp: what the file writer needs
  const file = path.join(dir, `${sub.mediumName}-${sub.codecName}-${n}${fileExtensionFor(desc)}`);
  const sink = createFileSink(file, desc);
  // The sink pulls frames from the track's RTPSource; the promise settles when the track ends.
  recordings.push({ sink, done: sink.startPlaying(sub.source) });
  console.log(`${sub.mediumName}/${sub.codecName} → ${file}`);
}
await client.play();

const stop = new Promise<void>((resolve) => {
  process.once('SIGINT', resolve);
  if (seconds) setTimeout(resolve, Number(seconds) * 1000).unref();
});
await Promise.race([Promise.all(recordings.map((r) => r.done)), stop]);
await client.close(); // TEARDOWN: the sources end, the sinks get their last frames
await Promise.all(recordings.map((r) => r.done));
for (const r of recordings) {
  await r.sink.close(); // flush and finish the file (a WAV header's sizes)
  console.log(`${r.sink.path}: ${r.sink.bytesWritten} bytes, ${r.sink.framesWritten} frames`);
}
