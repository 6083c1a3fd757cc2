// An overloaded server must keep polling I/O. Many paced sessions on the real scheduler fall far
// behind (the event loop is starved by a synchronous busy loop, as a process that gets less CPU
// than its streams need is): catching up must not keep the event loop from polling sockets for
// longer than a bounded amount of work, whatever the backlog, and no session may lose or reorder a
// packet because of it. Counted in packets sent (deterministic), not in milliseconds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createConnection, createServer, type Socket } from 'node:net';
import { BasicTaskScheduler } from '@dorsvr/scheduler';
import { FramedSource, SimpleRTPSink, parseRTPHeader, type Frame } from '@dorsvr/livemedia';
import { concatChunks } from '../../helpers/bytes.js';

/** `count` 188-byte frames 1 ms apart, each carrying its index; read synchronously (a file at hand). */
class FastSource extends FramedSource {
  #i = 0;
  constructor(readonly count: number) {
    super();
  }
  protected readFrame(): Frame | null {
    if (this.#i >= this.count) return null;
    const i = this.#i++;
    const data = new Uint8Array(188);
    new DataView(data.buffer).setUint32(0, i);
    return { data, presentationTime: i * 1000, duration: 1000 };
  }
}

test('sessions far behind real time: a socket is served within a bounded number of packets, and every session still sends every packet in order', async () => {
  const N = 40;
  const FRAMES = 2500; // 2.5 s of media at 1000 frames/s
  const BLOCK_MS = 1200; // every session ends up ~1200 frames late
  const scheduler = new BasicTaskScheduler();
  let sent = 0;
  const got: Array<{ seqs: number[]; indexes: number[] }> = [];
  const sinks: SimpleRTPSink[] = [];
  const playing: Array<Promise<void>> = [];
  for (let s = 0; s < N; s++) {
    const mine = { seqs: [] as number[], indexes: [] as number[] };
    got.push(mine);
    const sink = new SimpleRTPSink({
      scheduler,
      rtpInterface: {
        send(chunks: readonly Uint8Array[]) {
          sent++;
          const p = concatChunks(chunks);
          const h = parseRTPHeader(p);
          mine.seqs.push(h.sequenceNumber);
          mine.indexes.push(new DataView(p.buffer, p.byteOffset + h.headerLength).getUint32(0));
        },
      },
      payloadType: 33,
      sdpMediaType: 'video',
      rtpTimestampFrequency: 90000,
      rtpPayloadFormatName: 'MP2T',
      unitSize: 188,
      maxPacketSize: 200, // one frame per packet
      initialSequenceNumber: 0,
    });
    sinks.push(sink);
    playing.push(sink.startPlaying(new FastSource(FRAMES)));
  }

  // A connected TCP pair: the probe's bytes are written during the busy loop, and the event loop
  // notices them only when it polls I/O.
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const accepted = new Promise<Socket>((r) => server.once('connection', r));
  const client = createConnection(port, '127.0.0.1');
  await new Promise<void>((r) => client.once('connect', () => r()));
  const peer = await accepted;
  try {
    // Play a little on time first.
    await new Promise((r) => setTimeout(r, 50));
    const polled = new Promise<number>((r) => peer.once('data', () => r(sent)));
    // Blocked in the check phase, so the next turn's timers (the scheduler's) run before its poll.
    const atBlockEnd = await new Promise<number>((r) =>
      setImmediate(() => {
        client.write('OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\n');
        const until = performance.now() + BLOCK_MS;
        while (performance.now() < until); // starve the event loop: every session falls behind
        r(sent);
      }),
    );
    const beforePoll = (await polled) - atBlockEnd;
    // Before the fix each session caught up ~1000 frames before the first poll (~40 000 packets).
    // Now: a global budget of late frames per turn plus one due frame per scheduler task.
    assert.ok(beforePoll <= 1500, `${beforePoll} packets were sent after the stall before the socket was read`);

    await Promise.all(playing);
    for (let s = 0; s < N; s++) {
      const { seqs, indexes } = got[s]!;
      assert.equal(indexes.length, FRAMES, `session ${s} sent ${indexes.length} of ${FRAMES} packets`);
      for (let i = 0; i < FRAMES; i++) {
        if (indexes[i] !== i || seqs[i] !== (i & 0xffff)) assert.fail(`session ${s}, packet ${i}: frame ${indexes[i]}, seq ${seqs[i]}`);
      }
    }
  } finally {
    for (const sink of sinks) sink.close();
    scheduler.close();
    client.destroy();
    peer.destroy();
    server.close();
  }
});
