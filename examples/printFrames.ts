/**
 * Prints every frame an RTSP stream delivers: track, size, presentation time, RTP timestamp, and
 * whether it ends an access unit or is a key frame (live555's testRTSPClient).
 *
 *   npm run build && node build/examples/printFrames.js rtsp://127.0.0.1:8554/test.264 [tcp]
 *
 * Runs to the end of the stream, or Ctrl-C. A failure (no server, a refused stream) is one line on
 * stderr and exit status 1.
 */
import { RTSPClient } from '@dorsvr/rtspclient';

const [url, transport] = process.argv.slice(2);
if (!url) {
  console.error('usage: node build/examples/printFrames.js <rtsp-url> [tcp]');
  process.exit(2);
}

const client = new RTSPClient(url, { transport: transport === 'tcp' ? 'tcp' : 'auto' });
process.once('SIGINT', () => void client.close());
try {
  const session = await client.describe();
  const tracks = session.subsessions.filter((sub) => sub.supported);
  for (const sub of tracks) await client.setup(sub);

  const printing = tracks.map(async (sub) => {
    const name = `${sub.mediumName}/${sub.codecName}`;
    // One async iterator per track; it ends when the stream does (BYE, TEARDOWN).
    for await (const f of sub.frames()) {
      const flags = [f.key ? 'key' : '', f.endOfAccessUnit === false ? '' : 'end', f.syncedUsingRTCP ? 'synced' : ''].filter(Boolean).join(',');
      console.log(`${name}\t${f.data.length} bytes\tpt ${(f.presentationTime / 1e6).toFixed(6)} s\trtp ${f.rtpTimestamp}\t${flags}`);
    }
  });
  await client.play();
  await Promise.all(printing);
  for (const sub of tracks) {
    const s = sub.stats;
    console.log(`${sub.mediumName}/${sub.codecName}: ${s.packetsReceived} packets, ${s.packetsLost} lost, jitter ${s.jitterMs.toFixed(2)} ms`);
  }
} catch (err) {
  // No server, a refused or unknown stream, a lost connection: one line, exit status 1.
  console.error(`printFrames: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}
await client.close().catch(() => {});
