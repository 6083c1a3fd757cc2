// Publishing with our client (RTSPClient.publish) into real receivers, and what those receivers
// wrote, read with ffprobe. Shared by the publish*.test.ts files.
import { createServer, type AddressInfo } from 'node:net';
import { ServerMediaSession, createFileServerMediaSubsession } from '@dorsvr/livemedia';
import { RTSPClient, RTSPClientError, type Publication, type RTSPClientOptions, type RTSPPublishOptions } from '@dorsvr/rtspclient';
import { findPeer } from '../helpers/peers.js';
import { udpReceiveQueuesDrained } from '../helpers/udpQueue.js';
import { runPeer, type PeerResult } from '../rtspserver/helpers/ffmpeg.js';

/** A TCP port that was free a moment ago on 127.0.0.1 (for a peer that wants a port given). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** A ServerMediaSession of one file track, as the server would make it. */
export function fileSession(file: string, client: RTSPClient): ServerMediaSession {
  const sub = createFileServerMediaSubsession(file, { scheduler: client.scheduler });
  if (sub === undefined) throw new Error(`no file track for ${file}`);
  return new ServerMediaSession('publish').addSubsession(sub);
}

/** What {@link publishFile} gives back. */
export interface Published {
  client: RTSPClient;
  publication: Publication;
}

/**
 * Publishes `file` to `url` with a new client and waits until the whole file was sent (or
 * `until` resolves, then stops), then until the receiver has read every RTP datagram of its UDP
 * tracks, lingers `lingerMs` more (default 300), and closes the client. A connection refused (a
 * receiver still starting) is tried again, up to `connectTries` times, 100 ms apart.
 *
 * Why wait for the receiver: ffmpeg's listener polls its RTSP connection before its RTP sockets
 * and ends at the TEARDOWN, dropping datagrams still queued (with no wait at all it lost the last
 * frame 2 runs in 6); a fixed 300 ms did it once a loaded machine left ffmpeg unscheduled longer.
 */
export async function publishFile(
  url: string,
  file: string,
  options: RTSPPublishOptions & { client?: RTSPClientOptions; connectTries?: number; lingerMs?: number; until?: (p: Publication) => Promise<unknown> } = {},
): Promise<Published> {
  for (let attempt = 1; ; attempt++) {
    const client = new RTSPClient(url, { requestTimeoutMs: 5000, ...options.client });
    try {
      const publication = await client.publish(fileSession(file, client), options);
      if (options.until !== undefined) {
        await Promise.race([publication.done, options.until(publication)]);
        publication.stop();
      }
      await publication.done;
      const ports = publication.session.tracks.flatMap((t) => (t.transport?.mode === 'udp' && t.transport.serverPorts ? [t.transport.serverPorts.rtp] : []));
      if (!(await udpReceiveQueuesDrained(ports))) throw new Error(`the receiver left RTP datagrams unread on ports ${ports.join(', ')} for 10 s`);
      // 300 ms more by default: with none, GStreamer's RTSP server once (a full run) did not
      // unprepare a UDP record media within 10 s after the TEARDOWN; cause not known, never seen
      // with the wait that used to be the only one.
      await new Promise((resolve) => setTimeout(resolve, options.lingerMs ?? 300));
      await client.close();
      return { client, publication };
    } catch (err) {
      await client.close();
      const refused = err instanceof RTSPClientError && err.code === 'ERR_RTSP_CONNECT';
      if (!refused || attempt >= (options.connectTries ?? 50)) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** ffmpeg as a one-shot receiver of a publish (`-rtsp_flags listen`), writing what it gets to `outFile`. */
export interface FfmpegReceiver {
  url: string;
  /** Resolves when ffmpeg exited. */
  result: Promise<PeerResult>;
}

/**
 * Starts `ffmpeg -rtsp_flags listen -i rtsp://127.0.0.1:<free port>/x <outputArgs> outFile`
 * (default output args: `-c copy`). Killed after `timeoutMs`.
 */
export async function startFfmpegReceiver(outFile: string, outputArgs: readonly string[] = ['-c', 'copy'], timeoutMs = 30_000): Promise<FfmpegReceiver> {
  const port = await freePort();
  const url = `rtsp://127.0.0.1:${port}/x`;
  const result = runPeer(findPeer('ffmpeg'), ['-hide_banner', '-loglevel', 'warning', '-nostdin', '-y', '-rtsp_flags', 'listen', '-i', url, ...outputArgs, outFile], timeoutMs);
  return { url, result };
}
