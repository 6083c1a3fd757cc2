// The media server against thousands of mutated and random requests over real connections (byte
// flips, truncations, huge headers, bad Content-Length, `$` frames before a session, NULs, long
// URLs, fragmented writes), then a real player: ffmpeg must still play a stream, no request may
// have made the server fail (no 500, no internal error), and once the connections and sessions
// the fuzz left are gone the server process holds exactly the descriptors, UDP ports and timers it
// held before. The server runs in a child process so that /proc/self counts only the server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { RTSPParser } from '@dorsvr/livemedia';
import { ffmpegCopy, probe } from './helpers/ffmpeg.js';
import { withTempDir } from '../helpers/tempDir.js';
import type { ServerChildStats } from './helpers/serverChild.js';

/** Connections of the fuzz, each carrying REQUESTS_PER_CONNECTION mutated requests. */
const CONNECTIONS = 600;
const REQUESTS_PER_CONNECTION = 10;
const PARALLEL = 8;

/** A small seeded PRNG (mulberry32): a failing run can be replayed from the seed it prints. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function childMessage<T>(child: ChildProcess, send?: string, ms = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer from the server process${send ? ` to ${send}` : ''}`)), ms);
    child.once('message', (m) => {
      clearTimeout(timer);
      resolve(m as T);
    });
    if (send) child.send(send);
  });
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1' }, () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
}

/** Statuses of the responses on `s` (parsed as they come); `closed` once the server closed it. */
function watch(s: Socket): { statuses: number[]; closed: Promise<void> } {
  const parser = new RTSPParser({ maxBodySize: 1 << 20 });
  const statuses: number[] = [];
  s.on('data', (chunk: Buffer) => {
    for (const item of parser.push(chunk)) if (item.type === 'response') statuses.push(item.status);
  });
  s.on('error', () => {});
  const closed = new Promise<void>((resolve) => s.once('close', () => resolve()));
  return { statuses, closed };
}

test('network fuzz: thousands of mutated and random requests, then ffmpeg still plays and the server holds what it held before', async (t) => {
  const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 1e9);
  const rnd = prng(seed);
  const int = (n: number): number => Math.floor(rnd() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;

  const child = fork(new URL('./helpers/serverChild.js', import.meta.url), ['2'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    const { port } = await childMessage<{ port: number }>(child);
    const base = `rtsp://127.0.0.1:${port}`;
    const stats = (): Promise<ServerChildStats> => childMessage<ServerChildStats>(child, 'stats');
    const settled = async (what: string): Promise<ServerChildStats> => {
      // What the fuzz left (UDP sessions, half-sent requests) is reclaimed within its 2 s timeouts.
      const deadline = Date.now() + 20_000;
      for (;;) {
        const s = await stats();
        if (s.connections === 0 && s.sessions === 0) return s;
        if (Date.now() > deadline) assert.fail(`${what}: still ${s.connections} connections and ${s.sessions} sessions after 20 s`);
        await new Promise((r) => setTimeout(r, 250));
      }
    };

    await withTempDir(async (dir) => {
      // A first play creates the stream; what it leaves in place (the stream's description) is the baseline.
      const first = await ffmpegCopy(`${base}/test.264`, 'tcp', join(dir, 'first.mkv'));
      assert.equal(first.code, 0, first.stderr);
      const before = await settled('after the first play');

      const files = ['test.264', 'test.265', 'test.aac', 'test.mp3', 'test.wav', 'test.ts'];
      const templates = (session: string): string[] => {
        const f = pick(files);
        return [
          `OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\n`,
          `DESCRIBE ${base}/${f} RTSP/1.0\r\nCSeq: 2\r\nAccept: application/sdp\r\n\r\n`,
          `SETUP ${base}/${f}/track1 RTSP/1.0\r\nCSeq: 3\r\nTransport: RTP/AVP;unicast;client_port=${9 + 2 * int(100)}-${10 + 2 * int(100)}\r\n\r\n`,
          `SETUP ${base}/${f}/track1 RTSP/1.0\r\nCSeq: 4\r\nTransport: RTP/AVP/TCP;unicast;interleaved=${int(256)}-${int(256)}\r\nSession: ${session}\r\n\r\n`,
          `PLAY ${base}/${f}/ RTSP/1.0\r\nCSeq: 5\r\nSession: ${session}\r\nRange: npt=${(rnd() * 3).toFixed(3)}-${pick(['', (rnd() * 3).toFixed(1), 'now', '-1'])}\r\nScale: ${pick(['1', '-2', 'x', '1e400'])}\r\n\r\n`,
          `PAUSE ${base}/${f}/ RTSP/1.0\r\nCSeq: 6\r\nSession: ${session}\r\n\r\n`,
          `TEARDOWN ${base}/${f}/ RTSP/1.0\r\nCSeq: 7\r\nSession: ${session}\r\n\r\n`,
          `GET_PARAMETER ${base}/${f} RTSP/1.0\r\nCSeq: 8\r\nSession: ${session}\r\nContent-Length: 8\r\n\r\nposition`,
          `SET_PARAMETER ${base}/${f} RTSP/1.0\r\nCSeq: 9\r\nContent-Type: text/parameters\r\nContent-Length: 7\r\n\r\na: b\r\n\r\n`,
        ];
      };
      const mutate = (msg: string): Buffer => {
        const b = Buffer.from(msg, 'latin1');
        switch (int(13)) {
          case 0: {
            // Byte flips.
            for (let n = 1 + int(8); n > 0; n--) {
              const i = int(b.length);
              b[i] = b[i]! ^ (1 << int(8));
            }
            return b;
          }
          case 1:
            return b.subarray(0, int(b.length)); // truncated
          case 2:
            return Buffer.from(msg.replace('\r\n\r\n', `\r\nX-Pad: ${'a'.repeat(60_000 + int(20_000))}\r\n\r\n`), 'latin1'); // huge header
          case 3: {
            const cl = pick(['-1', '99999999', 'abc', '1e3', '0x10', '70000', '5\r\nContent-Length: 6', '   ', '18446744073709551617']);
            return Buffer.from(msg.replace(/(Content-Length: \d+\r\n)?\r\n\r\n/, `\r\nContent-Length: ${cl}\r\n\r\n`), 'latin1');
          }
          case 4: {
            // `$` frames before (or instead of) a session's channels, some with lengths that lie.
            const len = pick([0, 1, 16, 1400, 0xffff]);
            const frame = Buffer.alloc(4 + Math.min(len, 2000));
            frame[0] = 0x24;
            frame[1] = int(256);
            frame.writeUInt16BE(len, 2);
            return Buffer.concat([frame, b]);
          }
          case 5: {
            // NULs in the URL, the host, a header.
            const at = pick([msg.indexOf('//') + 2, msg.indexOf(' ') + 1, msg.indexOf(':'), int(msg.length)]);
            return Buffer.from(`${msg.slice(0, Math.max(0, at))}\0${msg.slice(Math.max(0, at))}`, 'latin1');
          }
          case 6:
            return Buffer.from(msg.replace(/ (\S+) RTSP/, ` $1/${'x'.repeat(5_000 + int(20_000))} RTSP`), 'latin1'); // long URL
          case 7: {
            const r = Buffer.alloc(1 + int(600));
            for (let i = 0; i < r.length; i++) r[i] = int(256);
            return r; // random bytes
          }
          case 8:
            return Buffer.from(msg.replace(/Session: \S+/, `Session: ${pick(['', 'x'.repeat(300), '00;timeout=-1', '\t', 'ABCDEF0123456789'])}`), 'latin1');
          case 9:
            return Buffer.from(msg.replace(/\r\n/g, pick(['\n', '\r', '\r\n\r\n', '\r\n '])), 'latin1'); // line-ending games
          case 10: {
            // Many headers, or a header block past the limit in many small lines.
            const n = pick([101, 150, 3000]);
            return Buffer.from(msg.replace('\r\n\r\n', `\r\n${Array.from({ length: n }, (_, i) => `X-${i}: ${i}`).join('\r\n')}\r\n\r\n`), 'latin1');
          }
          case 11:
            // Other protocols and versions on the same port.
            return Buffer.from(pick([`GET / HTTP/1.1\r\nHost: x\r\n\r\n`, msg.replace('RTSP/1.0', 'RTSP/2.0'), msg.replace('RTSP/1.0', 'HTTP/1.0'), `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`]), 'latin1');
          default:
            return b; // a valid one among the junk
        }
      };

      const statuses: number[] = [];
      let closedByServer = 0;
      const oneConnection = async (): Promise<void> => {
        const s = await open(port);
        const w = watch(s);
        try {
          // A real session on this connection, so that requests naming it reach the session paths.
          s.write(`SETUP ${base}/test.264/track1 RTSP/1.0\r\nCSeq: 1\r\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n\r\n`);
          let session = '0123456789ABCDEF';
          const setupDeadline = Date.now() + 5000;
          const parser = new RTSPParser();
          await new Promise<void>((resolve) => {
            const onData = (chunk: Buffer): void => {
              for (const item of parser.push(chunk)) {
                if (item.type === 'response') {
                  session = item.headers.get('Session')?.split(';')[0] ?? session;
                  s.off('data', onData);
                  resolve();
                  return;
                }
              }
              if (Date.now() > setupDeadline) resolve();
            };
            s.on('data', onData);
            setTimeout(resolve, 5000).unref();
          });
          for (let i = 0; i < REQUESTS_PER_CONNECTION && !s.destroyed; i++) {
            const bytes = mutate(pick(templates(session)));
            // Sometimes in pieces, as a slow or fragmenting sender would.
            if (rnd() < 0.3 && bytes.length > 2) {
              const cut = 1 + int(bytes.length - 1);
              s.write(bytes.subarray(0, cut));
              await new Promise((r) => setImmediate(r));
              s.write(bytes.subarray(cut));
            } else s.write(bytes);
          }
          // Let the server chew on it; a connection it closed is fine (huge headers, floods).
          let closed = false;
          await Promise.race([w.closed.then(() => (closed = true)), new Promise((r) => setTimeout(r, 30))]);
          if (closed) closedByServer++;
        } finally {
          statuses.push(...w.statuses);
          s.destroy();
        }
      };
      const t0 = Date.now();
      let next = 0;
      await Promise.all(
        Array.from({ length: PARALLEL }, async () => {
          while (next < CONNECTIONS) {
            next++;
            await oneConnection();
          }
        }),
      );
      const elapsed = Date.now() - t0;

      const context = `seed ${seed} (FUZZ_SEED=${seed} replays it), ${statuses.length} responses, ${closedByServer} connections closed by the server, ${elapsed} ms`;
      assert.ok(statuses.length >= CONNECTIONS * 2, `the server answered (${context})`);
      for (const st of statuses) assert.ok(st >= 200 && st < 600 && st !== 500, `status ${st}: ${context}`);

      // A real player is still served, from the same process.
      const after = await ffmpegCopy(`${base}/test.264`, 'udp', join(dir, 'after.mkv'));
      assert.equal(after.code, 0, `${after.stderr} (${context})`);
      assert.equal((await probe(join(dir, 'after.mkv'))).frames, 50, context);

      const end = await settled('after the fuzz');
      assert.deepEqual(end.errors, [], `no internal error (${context})`);
      assert.equal(end.fds, before.fds, `descriptors before ${before.fds}, after ${end.fds} (${context})`);
      assert.deepEqual(end.udpPorts, before.udpPorts, `UDP ports (${context})`);
      assert.equal(end.timers, before.timers, `pending timers (${context})`);
      t.diagnostic(`${context}; statuses: ${[...new Set(statuses)].sort().join(' ')}; server held ${end.fds} descriptors, UDP ports [${end.udpPorts.join(' ')}], ${end.timers} timers`);
    });
  } finally {
    if (child.connected) child.send('stop');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
