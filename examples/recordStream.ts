/**
 * Records every track of an RTSP stream to a file (what `dorsvr-client` does, in a page): the
 * RTSPClient plays the URL, and createFileSink picks the writer for each track from its SDP.
 *
 *   npm run build && node build/examples/recordStream.js rtsp://127.0.0.1:8554/test.264 [seconds] [dir]
 *
 * Stops at the end of the stream (RTCP BYE), after `seconds`, or on Ctrl-C. Any failure (no
 * server, a refused stream, a directory that cannot be written) is one line on stderr and exit
 * status 1: every promise is awaited or handled, so nothing ends in an unhandled rejection.
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
const recordings: Array<{ sink: FileSink; done: Promise<unknown> }> = [];
try {
  const session = await client.describe();
  let n = 0;
  for (const sub of session.subsessions) {
    n++;
    if (!sub.supported) continue; // no depacketizer for this codec
    const desc = sub.description; // encoding, clock rate, channels, fmtp: what the file writer needs
    const sink = createFileSink(path.join(dir, `${sub.mediumName}-${sub.codecName}-${n}${fileExtensionFor(desc)}`), desc);
    await sink.open(); // a directory that cannot be written fails here, before anything plays
    await client.setup(sub);
    // The sink pulls frames from the track's RTPSource; `done` settles when the track ends (or a
    // write fails: kept as the promise's value, reported below, never left unhandled).
    recordings.push({ sink, done: sink.startPlaying(sub.source).catch((err: unknown) => err) });
    console.log(`${sub.mediumName}/${sub.codecName} → ${sink.path}`);
  }
  await client.play();
  let timer: NodeJS.Timeout | undefined;
  const stop = new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    if (seconds) timer = setTimeout(resolve, Number(seconds) * 1000);
  });
  await Promise.race([Promise.all(recordings.map((r) => r.done)), stop]);
  clearTimeout(timer);
} catch (err) {
  console.error(`recordStream: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}
await client.close().catch(() => {}); // TEARDOWN: the sources end, the sinks get their last frames
for (const r of recordings) {
  const failed = await r.done;
  await r.sink.close().catch(() => {}); // flush and finish the file (a WAV header's sizes)
  if (failed instanceof Error) {
    console.error(`${r.sink.path}: ${failed.message}`);
    process.exitCode = 1;
  } else console.log(`${r.sink.path}: ${r.sink.bytesWritten} bytes, ${r.sink.framesWritten} frames`);
}
