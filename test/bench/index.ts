// npm run bench: the packetizer's cost per RTP packet (file → framer → RTP sink, the socket
// replaced by a counter) next to the cost of one dgram.send of a packet of the same size on
// loopback. The packetizer must cost at most a tenth of the send, so that sending bounds the server.
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventEmitter } from 'eventemitter3';
import type { TaskScheduler, TaskSchedulerEvents } from '@dorsvr/scheduler';
import {
  H264VideoRTPSink,
  H264VideoStreamFramer,
  MPEG2TransportStreamFramer,
  SimpleRTPSink,
  type FramedSource,
  type MultiFramedRTPSink,
} from '@dorsvr/livemedia';
import { fixture } from '../helpers/paths.js';

/** A clock that jumps a second per reading: pacing never waits, so only our code is measured. */
class FastForwardScheduler extends EventEmitter<TaskSchedulerEvents> implements TaskScheduler {
  #t = 0;
  now(): number {
    return (this.#t += 1e6);
  }
  wallClockUs(): number {
    return this.#t;
  }
  scheduleDelayedTask(_d: number, task: () => void): number {
    queueMicrotask(task);
    return 1;
  }
  unscheduleDelayedTask(): void {}
  rescheduleDelayedTask(_t: number | null | undefined, d: number, task: () => void): number {
    return this.scheduleDelayedTask(d, task);
  }
  createEventTrigger(): number {
    return 1;
  }
  triggerEvent(): void {}
  deleteEventTrigger(): void {}
  close(): void {}
}

interface Counter {
  packets: number;
  bytes: number;
  send(chunks: readonly Uint8Array[]): void;
}

function counter(): Counter {
  const c: Counter = {
    packets: 0,
    bytes: 0,
    send(chunks) {
      c.packets++;
      for (const x of chunks) c.bytes += x.length;
    },
  };
  return c;
}

async function packetizer(
  name: string,
  make: (s: TaskScheduler, out: Counter) => Promise<{ source: FramedSource; sink: MultiFramedRTPSink }>,
  minMs = 1500,
): Promise<{ name: string; nsPerPacket: number; avgPacket: number }> {
  const scheduler = new FastForwardScheduler();
  const out = counter();
  // Warm up once, then run whole files until minMs have passed.
  {
    const { source, sink } = await make(scheduler, counter());
    await sink.startPlaying(source);
    source.close();
  }
  // CPU time (user + system) of this process, not wall time: file reads wait on the thread pool,
  // and that wait overlaps with other streams' work in a real server.
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  while (process.hrtime.bigint() - t0 < BigInt(minMs) * 1_000_000n) {
    const { source, sink } = await make(scheduler, out);
    await sink.startPlaying(source);
    source.close();
    sink.close();
  }
  const c = process.cpuUsage(c0);
  return { name, nsPerPacket: ((c.user + c.system) * 1000) / out.packets, avgPacket: Math.round(out.bytes / out.packets) };
}

async function dgramSend(size: number, count = 50_000): Promise<number> {
  const rx = createSocket('udp4');
  await new Promise<void>((r) => rx.bind(0, '127.0.0.1', r));
  rx.on('message', () => {});
  const tx = createSocket('udp4');
  const port = rx.address().port;
  const buf = Buffer.alloc(size, 1);
  let sent = 0;
  let done = 0;
  const c0 = process.cpuUsage();
  await new Promise<void>((resolve) => {
    const one = (): void => {
      if (sent >= count) return;
      sent++;
      tx.send(buf, port, '127.0.0.1', () => {
        if (++done === count) resolve();
        else one();
      });
    };
    // A few sends in flight, as a server sending to several clients would have.
    for (let i = 0; i < 8; i++) one();
  });
  const c = process.cpuUsage(c0);
  const ns = ((c.user + c.system) * 1000) / count;
  tx.close();
  rx.close();
  return ns;
}

// Long inputs, so that opening and indexing a file is not what is measured: the fixtures repeated
// (an Annex-B stream or a transport stream may be concatenated).
const tmp = mkdtempSync(join(tmpdir(), 'dorsvr-bench-'));
const long264 = join(tmp, 'long.264');
const longTs = join(tmp, 'long.ts');
writeFileSync(long264, Buffer.concat(Array.from({ length: 100 }, () => readFileSync(fixture('test.264')))));
writeFileSync(longTs, Buffer.concat(Array.from({ length: 40 }, () => readFileSync(fixture('test.ts')))));

const results = [
  await packetizer('H.264 (test.264 ×100): H264VideoStreamFramer → H264VideoRTPSink', async (scheduler, out) => {
    const source = await H264VideoStreamFramer.open(long264);
    return { source, sink: new H264VideoRTPSink({ scheduler, rtpInterface: out, payloadType: 96, sps: source.sps, pps: source.pps }) };
  }),
  await packetizer('MPEG-TS (test.ts ×40): MPEG2TransportStreamFramer → SimpleRTPSink(MP2T)', async (scheduler, out) => {
    const source = await MPEG2TransportStreamFramer.open(longTs);
    const sink = new SimpleRTPSink({
      scheduler,
      rtpInterface: out,
      payloadType: 33,
      sdpMediaType: 'video',
      rtpTimestampFrequency: 90_000,
      rtpPayloadFormatName: 'MP2T',
      unitSize: 188,
    });
    return { source, sink };
  }),
];

let ok = true;
for (const r of results) {
  const send = await dgramSend(r.avgPacket + 12);
  const ratio = r.nsPerPacket / send;
  ok &&= ratio <= 0.1;
  console.log(
    `${r.name}\n  packetizer: ${r.nsPerPacket.toFixed(0)} ns/packet (avg ${r.avgPacket} B payload)` +
      `\n  dgram.send of ${r.avgPacket + 12} B on loopback: ${send.toFixed(0)} ns (CPU time, both measured alike)` +
      `\n  ratio ${ratio.toFixed(3)} ${ratio <= 0.1 ? '≤ 0.1: OK' : '> 0.1: TOO SLOW'}`,
  );
}
rmSync(tmp, { recursive: true, force: true });
process.exitCode = ok ? 0 : 1;
