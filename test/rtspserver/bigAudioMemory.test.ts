// Issue #11: 10 clients on a 300 MB .aac or .mp3 made the server read the whole file per client
// (RSS +418 MB per DESCRIBE, 3.9 GB for ten, never given back). Files are now indexed once (typed
// arrays, cached per path/size/mtime) and read from disk a chunk at a time: the server, in a
// process of its own, is measured while 10 clients per file play at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { openSync, readFileSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { MP3FileSource, type FramedSource } from '@dorsvr/livemedia';
import { fixture } from '../helpers/paths.js';
import { withTempDir } from '../helpers/tempDir.js';
import { RawRTSPClient } from './helpers/RawRTSPClient.js';

const MiB = 1024 * 1024;
const FILE_BYTES = 300 * MiB;
const CLIENTS = 10;
/** The bound this test states: the server's peak RSS above its idle RSS while 10 + 10 clients play. */
const BOUND = 64 * MiB;

/** The audio frames of a fixture, as bytes (ADTS frames whole with their headers; MP3 frames without tags or Xing). */
async function frameBytes(src: FramedSource, withHeaders: (f: Uint8Array, all: Uint8Array) => Uint8Array, file: Uint8Array): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const f of src) parts.push(withHeaders(f.data, file));
  return Buffer.concat(parts);
}

/** Write `unit` repeated until the file holds `bytes`, in 8 MiB writes. */
function writeRepeated(path: string, unit: Buffer, bytes: number): void {
  const block = Buffer.concat(Array.from({ length: Math.ceil((8 * MiB) / unit.length) }, () => unit));
  const fd = openSync(path, 'w');
  try {
    for (let written = 0; written < bytes; ) written += writeSync(fd, block, 0, Math.min(block.length, bytes - written));
  } finally {
    closeSync(fd);
  }
}

interface Memory {
  rss: number;
  peak: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  sessions: number;
}

class Child {
  readonly #lines: string[] = [];
  #wake: (() => void) | undefined;
  constructor(readonly proc: ChildProcessWithoutNullStreams) {
    createInterface({ input: proc.stdout }).on('line', (l) => {
      this.#lines.push(l);
      this.#wake?.();
    });
  }
  async line(): Promise<string> {
    const deadline = Date.now() + 20_000;
    while (this.#lines.length === 0) {
      if (Date.now() > deadline || this.proc.exitCode !== null) throw new Error('the server child did not answer');
      await new Promise<void>((r) => {
        this.#wake = r;
        setTimeout(r, 200);
      });
    }
    return this.#lines.shift()!;
  }
  async memory(cmd = 'rss'): Promise<Memory> {
    this.proc.stdin.write(`${cmd}\n`);
    return JSON.parse(await this.line()) as Memory;
  }
}

async function play(port: number, name: string): Promise<RawRTSPClient> {
  const c = await RawRTSPClient.connect(port);
  const url = `rtsp://127.0.0.1:${port}/${name}`;
  const d = await c.request('DESCRIBE', url, { Accept: 'application/sdp' });
  assert.equal(d.status, 200, `DESCRIBE ${name}: ${d.status}`);
  const s = await c.request('SETUP', `${url}/track1`, { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1' });
  assert.equal(s.status, 200, `SETUP ${name}: ${s.status}`);
  const session = s.headers['session']!.split(';')[0]!;
  const p = await c.request('PLAY', url, { Session: session, Range: 'npt=0-' });
  assert.equal(p.status, 200);
  return c;
}

test(`10 clients each on a 300 MB .aac and a 300 MB .mp3 at once: the server's RSS stays under ${BOUND / MiB} MiB above idle, and returns near idle once they leave`, async () => {
  await withTempDir(async (dir) => {
    const aac = readFileSync(fixture('test.aac'));
    writeRepeated(join(dir, 'big.aac'), aac, FILE_BYTES);
    const mp3 = readFileSync(fixture('test.mp3'));
    const mp3Frames = await frameBytes(MP3FileSource.fromBytes(mp3), (f) => f, mp3);
    writeRepeated(join(dir, 'big.mp3'), mp3Frames, FILE_BYTES);
    // A small file to warm the server's code paths up before the idle measurement.
    writeRepeated(join(dir, 'small.aac'), aac, aac.length);

    const script = fileURLToPath(new URL('./helpers/memoryServerChild.js', import.meta.url));
    const proc = spawn(process.execPath, ['--expose-gc', script, dir], { stdio: 'pipe' });
    proc.stderr.pipe(process.stderr);
    const child = new Child(proc);
    const clients: RawRTSPClient[] = [];
    try {
      const { port } = JSON.parse(await child.line()) as { port: number };
      const warm = await play(port, 'small.aac');
      await warm.waitFor(() => warm.frameCount(0) > 0, 5000, 'warm-up packets');
      warm.close();
      await new Promise((r) => setTimeout(r, 300));
      const idle = await child.memory('reset-peak');

      for (const name of ['big.aac', 'big.mp3']) {
        for (let i = 0; i < CLIENTS; i++) clients.push(play(port, name) as unknown as RawRTSPClient);
      }
      const playing = await Promise.all(clients as unknown as Promise<RawRTSPClient>[]);
      clients.length = 0;
      clients.push(...playing);
      // Every client receives packets.
      for (const c of clients) await c.waitFor(() => c.frameCount(0) > 5, 10_000, 'RTP packets');
      await new Promise((r) => setTimeout(r, 1500));
      const busy = await child.memory();
      assert.equal(busy.sessions, 2 * CLIENTS);
      const growth = busy.peak - idle.rss;
      console.log(
        `server RSS idle ${(idle.rss / MiB).toFixed(1)} MiB, peak with ${2 * CLIENTS} clients ${(busy.peak / MiB).toFixed(1)} MiB (+${(growth / MiB).toFixed(1)}), now ${(busy.rss / MiB).toFixed(1)} MiB; heap ${(busy.heapUsed / MiB).toFixed(1)} MiB, external ${(busy.external / MiB).toFixed(1)} MiB`,
      );
      assert.ok(growth < BOUND, `peak RSS grew by ${(growth / MiB).toFixed(1)} MiB (bound ${BOUND / MiB} MiB)`);

      for (const c of clients) c.close();
      clients.length = 0;
      const deadline = Date.now() + 10_000;
      let after = await child.memory();
      while (after.sessions > 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200));
        after = await child.memory();
      }
      assert.equal(after.sessions, 0, 'every session ended with its connection');
      console.log(`server RSS after the clients left: ${(after.rss / MiB).toFixed(1)} MiB`);
      assert.ok(after.rss - idle.rss < BOUND, `RSS ${((after.rss - idle.rss) / MiB).toFixed(1)} MiB above idle after the clients left`);
    } finally {
      for (const c of clients) c.close();
      proc.stdin.end();
      await new Promise<void>((r) => {
        if (proc.exitCode !== null) r();
        else {
          proc.once('exit', () => r());
          setTimeout(() => {
            proc.kill();
            r();
          }, 5000).unref();
        }
      });
    }
  });
});
