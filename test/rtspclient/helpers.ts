// Shared bits of the rtspclient tests: reading what a framer makes of a fixture, collecting what
// a client receives, and a bounded wait.
import {
  ADTSAudioFileSource,
  H264VideoStreamFramer,
  H265VideoStreamFramer,
  MP3FileSource,
  MPEG2TransportStreamFramer,
  MediaSink,
  WAVAudioFileSource,
  type Frame,
  type FramedSource,
} from '@dorsvr/livemedia';
import { fixture } from '../helpers/paths.js';

/** The framer our server uses for each fixture, opened on the file directly. */
export function openFramer(file: string): Promise<FramedSource> {
  const p = fixture(file);
  if (file.endsWith('.264')) return H264VideoStreamFramer.open(p);
  if (file.endsWith('.265')) return H265VideoStreamFramer.open(p);
  if (file.endsWith('.aac')) return ADTSAudioFileSource.open(p);
  if (file.endsWith('.mp3')) return MP3FileSource.open(p);
  if (file.endsWith('.wav')) return WAVAudioFileSource.open(p);
  if (file.endsWith('.ts')) return MPEG2TransportStreamFramer.open(p);
  throw new Error(`no framer for ${file}`);
}

/** Every frame's bytes (copied) a framer produces from a fixture. */
export async function framerOutput(file: string): Promise<Buffer[]> {
  const src = await openFramer(file);
  const out: Buffer[] = [];
  for await (const f of src) out.push(Buffer.from(f.data));
  return out;
}

/** A sink that keeps copies of what it consumes (the sink-chain way of reading a subsession). */
export class CollectingSink extends MediaSink {
  readonly frames: Frame[] = [];
  protected consumeFrame(frame: Frame): void {
    this.frames.push({ ...frame, data: Buffer.from(frame.data) });
  }
}

/** Resolves with `p`, or rejects after `ms` saying what was awaited. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** Polls `cond` every 10 ms until true, failing after `ms`. */
export async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Closes a client whose scheduler is virtual, moving its clock so a TEARDOWN nobody answers
 * times out instead of hanging the test (bounded).
 */
export async function closeOnVirtualClock(client: { close(): Promise<void> }, sched: { advance(us: number): unknown }): Promise<void> {
  let done = false;
  const closing = client.close().finally(() => (done = true));
  for (let i = 0; i < 200 && !done; i++) {
    await new Promise((r) => setTimeout(r, 5));
    sched.advance(100_000);
  }
  await closing;
}
