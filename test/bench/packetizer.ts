// The packetizer's cost per RTP packet (file → framer → RTP sink, the socket replaced by a
// counter) next to the cost of one dgram.send of a packet of the same size on loopback. The issue's
// target: the packetizer costs at most a tenth of the send, so that sending bounds the server.
//
// The inputs are the fixtures repeated to about 20 MB, streamed from start to end: what a server
// does per packet of a long stream, with the file in the page cache but not in the CPU's caches.
// Opening a file (per client) is not a per-packet cost; it is reported on a line of its own.
//
// Besides the whole chain, narrower measurements show where the time goes:
//  - "reading the file": the framer's input source read to its end (opening included, no framing),
//  - "framer alone": the framer read to its end, each frame handed back at once (no sink); the
//    rest of the chain's figure is the sink with its pull loop.
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventEmitter } from 'eventemitter3';
import { literalLookup } from '@dorsvr/groupsock';
import type { TaskScheduler, TaskSchedulerEvents } from '@dorsvr/scheduler';
import {
  FramedSource,
  H264VideoRTPSink,
  H264VideoStreamFramer,
  MPEG2TransportStreamFramer,
  SimpleRTPSink,
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

/** Stands in for the RTPInterface: counts packets and bytes. */
class Counter {
  packets = 0;
  bytes = 0;
  send(chunks: readonly Uint8Array[]): void {
    this.packets++;
    for (let i = 0; i < chunks.length; i++) this.bytes += chunks[i]!.length;
  }
}

interface Case {
  name: string;
  /** Open the file through its framer. */
  open(): Promise<FramedSource & { sps?: Uint8Array; pps?: Uint8Array }>;
  sink(scheduler: TaskScheduler, out: Counter, source: FramedSource): MultiFramedRTPSink;
}

interface Measure {
  nsPerPacket: number;
  avgPacket: number;
}

/** Rounds per measurement: each figure is the median of its rounds, the send's as the rest's. */
const ROUNDS = 5;

function median(values: number[]): number {
  const v = [...values].sort((a, b) => a - b);
  return v[v.length >> 1]!;
}

/**
 * CPU time (user + system) per packet while `once` is repeated for at least minMs: the median of
 * ROUNDS rounds (a noisy machine's hiccups land in one round, not in the figure).
 */
async function measure(once: (out: Counter) => Promise<void>, minMs: number, afterRound?: (nsPerPacket: number) => Promise<void>): Promise<Measure> {
  await once(new Counter()); // warm up
  const perRound: number[] = [];
  const all = new Counter();
  for (let r = 0; r < ROUNDS; r++) {
    const out = new Counter();
    // CPU time, not wall time: what a server spends on this stream, whatever else it waits for.
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    while (process.hrtime.bigint() - t0 < BigInt(Math.ceil(minMs / ROUNDS)) * 1_000_000n) await once(out);
    const c = process.cpuUsage(c0);
    perRound.push(((c.user + c.system) * 1000) / out.packets);
    all.packets += out.packets;
    all.bytes += out.bytes;
    await afterRound?.(perRound[r]!);
  }
  return { nsPerPacket: median(perRound), avgPacket: Math.round(all.bytes / all.packets) };
}

/**
 * One dgram.send of `size` bytes to a socket on loopback, measured in rounds ({@link round}: the
 * CPU time per send of `count` sends), so that its rounds can be taken between those of the
 * packetizer: both then see the machine in the same state.
 */
async function dgramSender(size: number): Promise<{ round(count?: number): Promise<number>; close(): void }> {
  const rx = createSocket('udp4');
  await new Promise<void>((r) => rx.bind(0, '127.0.0.1', r));
  rx.on('message', () => {});
  // Made as the server makes its sockets: a send to an IP literal goes out inside the call.
  const tx = createSocket({ type: 'udp4', lookup: literalLookup as never });
  const port = rx.address().port;
  const buf = Buffer.alloc(size, 1);
  const round = async (count = 20_000): Promise<number> => {
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
    return ((c.user + c.system) * 1000) / count;
  };
  await round(); // warm up
  return {
    round,
    close: () => {
      tx.close();
      rx.close();
    },
  };
}

/** Runs the benchmark, prints its results; resolves false when a ratio misses the 0.1 target. */
export async function run(minMs = 1500): Promise<boolean> {
  // Long inputs, so that opening and indexing a file is not what is measured per packet: the
  // fixtures repeated (an Annex-B stream or a transport stream may be concatenated).
  const tmp = mkdtempSync(join(tmpdir(), 'dorsvr-bench-'));
  try {
    const long264 = join(tmp, 'long.264');
    const longTs = join(tmp, 'long.ts');
    writeFileSync(long264, Buffer.concat(Array.from({ length: 1000 }, () => readFileSync(fixture('test.264')))));
    writeFileSync(longTs, Buffer.concat(Array.from({ length: 400 }, () => readFileSync(fixture('test.ts')))));
    const cases: Case[] = [
      {
        name: 'H.264 (test.264 ×1000, 20 MB): H264VideoStreamFramer → H264VideoRTPSink',
        open: () => H264VideoStreamFramer.open(long264),
        sink: (scheduler, out, source) => {
          const s = source as H264VideoStreamFramer;
          return new H264VideoRTPSink({ scheduler, rtpInterface: out, payloadType: 96, sps: s.sps, pps: s.pps });
        },
      },
      {
        name: 'MPEG-TS (test.ts ×400, 21 MB): MPEG2TransportStreamFramer → SimpleRTPSink(MP2T)',
        open: () => MPEG2TransportStreamFramer.open(longTs),
        sink: (scheduler, out) =>
          new SimpleRTPSink({
            scheduler,
            rtpInterface: out,
            payloadType: 33,
            sdpMediaType: 'video',
            rtpTimestampFrequency: 90_000,
            rtpPayloadFormatName: 'MP2T',
            unitSize: 188,
          }),
      },
    ];
    let ok = true;
    for (const c of cases) {
      const scheduler = new FastForwardScheduler();
      // One run: the send's size (the chain's average packet, header included), and the packets
      // that the file-reading line charges its reads to.
      const sizing = new Counter();
      {
        const source = await c.open();
        const sink = c.sink(scheduler, sizing, source);
        await sink.startPlaying(source);
        source.close();
        sink.close();
      }
      const sender = await dgramSender(Math.round(sizing.bytes / sizing.packets) + 12);
      // The chain and the send take turns, round by round; the ratio is the median of the rounds'.
      const sends: number[] = [];
      const ratios: number[] = [];
      const whole = await measure(
        async (out) => {
          const source = await c.open();
          const sink = c.sink(scheduler, out, source);
          await sink.startPlaying(source);
          source.close();
          sink.close();
        },
        minMs,
        async (nsPerPacket) => {
          const send = await sender.round();
          sends.push(send);
          ratios.push(nsPerPacket / send);
        },
      );
      sender.close();
      // The file read alone, through the framer's own input: opening it and reading its chunks, no
      // framing (charged per packet the whole chain sends from it).
      const reading = await measure(async (out) => {
        const source = (await c.open()) as FramedSource & { inputSource: FramedSource };
        const input = source.inputSource;
        // Each chunk handed back, as the framer does once its frames are sent.
        for (let f = await input.getNextFrame(); f; f = await input.getNextFrame()) f.owner?.releaseFrame(f);
        source.close();
        out.packets += sizing.packets;
        out.bytes += sizing.bytes;
      }, minMs);
      const framer = await measure(async (out) => {
        const source = await c.open();
        // As a sink reads (pullFrame: no promise for a frame at hand), each frame handed back.
        for (;;) {
          let f = source.pullFrame();
          if (f instanceof Promise) f = await f;
          if (f === null) break;
          f.owner?.releaseFrame(f);
        }
        source.close();
        out.packets += sizing.packets;
        out.bytes += sizing.bytes;
      }, minMs);
      // Opening a file through its framer and closing it (its index cached, as for every client
      // after the first), per open.
      const opens = 200;
      const o0 = process.cpuUsage();
      for (let i = 0; i < opens; i++) (await c.open()).close();
      const o = process.cpuUsage(o0);
      const openUs = (o.user + o.system) / opens;
      const send = median(sends);
      const ratio = median(ratios);
      ok &&= ratio <= 0.1;
      const line = (label: string, m: Measure): string =>
        `\n  ${label}: ${m.nsPerPacket.toFixed(0)} ns/packet (${(m.nsPerPacket / send).toFixed(3)} of a send)`;
      console.log(
        `${c.name}` +
          `\n  dgram.send of ${whole.avgPacket + 12} B on loopback: ${send.toFixed(0)} ns (CPU time; rounds taken between the chain's)` +
          line('file → framer → sink', whole) +
          ` avg ${whole.avgPacket} B payload` +
          line('  of which the framer alone (reading the file included)', framer) +
          line('    of which reading the file (open + chunks, no framing)', reading) +
          line('  and so the RTP sink with its pull loop, about', { nsPerPacket: whole.nsPerPacket - framer.nsPerPacket, avgPacket: 0 }) +
          `\n  opening the file (per client, not per packet): ${openUs.toFixed(0)} µs CPU, as much as ${Math.round((openUs * 1000) / whole.nsPerPacket)} packets` +
          `\n  ratio ${ratio.toFixed(3)} (median of ${ROUNDS} rounds: ${ratios.map((r) => r.toFixed(3)).join(' ')}) ${ratio <= 0.1 ? '≤ 0.1: OK' : '> 0.1: ABOVE THE TARGET'}`,
      );
    }
    return ok;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
