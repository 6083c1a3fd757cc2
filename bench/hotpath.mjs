// The livemedia hot path in one process, deterministic where it can be (issue #12): N on-demand
// streams (file -> framer -> RTP sink) on a VirtualTaskScheduler, 5 ms of media per event-loop turn,
// into a null sender or through ServerFanout and real UDP sockets on loopback. Not part of
// `npm run bench` (test/bench/server.ts measures the server as a whole); a tool to measure what a
// change to the pull loop, the framers or the sinks does to allocations, scavenges and live heap.
// Run after `npm run build` and once `npm run bench` made the media in $TMPDIR/dorsvr-bench-media:
//
//   N=50 SECONDS=5 FILE=ts|264 node bench/hotpath.mjs
//   env: SENDER=null|udp  RX=live (udp: a receiver reads; default a closed port)  CONNECT=1 (connected
//        sockets)  BATCH=50 (start streams 50 at a time, 1 s apart)  H264=file (in the media dir)
//        MAXPKT=65000 (H.264 sink maxPacketSize: no FU-A)
//        PROF=out.heapprofile (V8 sampling heap profiler incl. objects freed by scavenges: bytes
//        allocated per RTP packet and the top allocating functions)  SNAP=out.heapsnapshot
//   node flags worth adding: --expose-gc (live heap after a full GC), --max-semi-space-size=1, --trace-gc-nvp
import { VirtualTaskScheduler } from '@dorsvr/scheduler';
import * as lm from '@dorsvr/livemedia';
import { createSocket } from 'node:dgram';
import { literalLookup } from '@dorsvr/groupsock';
import { PerformanceObserver } from 'node:perf_hooks';
import inspector from 'node:inspector';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const N = Number(process.env.N ?? 50);
const SECONDS = Number(process.env.SECONDS ?? 10);
const FILE = process.env.FILE ?? 'ts';
const SENDER = process.env.SENDER ?? 'null';
const PROF = process.env.PROF;
const dir = join(tmpdir(), 'dorsvr-bench-media') + '/';
const sched = new VirtualTaskScheduler();
let packets = 0;
const nullSender = { send() { packets++; return false; } };
let rx;
if (SENDER === 'udp') {
  // A port nothing listens on (bound once, closed): the kernel drops the datagrams; nothing in
  // this process receives (and allocates for) them.
  const probe = createSocket('udp4');
  await new Promise((r) => probe.bind(0, '127.0.0.1', r));
  if (process.env.RX === 'live') { rx = probe; let n = 0; probe.on('message', () => n++); }
  else { rx = { port: probe.address().port, address: () => ({ port: rx.port }), close() {} }; probe.close(); }
}
const sinks = [];
const sockets = [];
for (let i = 0; i < N; i++) {
  let sender = nullSender;
  if (SENDER === 'udp') {
    const s = createSocket({ type: 'udp4', lookup: literalLookup });
    await new Promise((r) => s.bind(0, '127.0.0.1', r));
    sockets.push(s);
    s.on('error', () => {});
    const f = new lm.ServerFanout(s, { connectSoleDestination: process.env.CONNECT === '1' });
    f.addDestination({ kind: 'udp', address: '127.0.0.1', port: rx.address().port });
    sender = { send(c) { packets++; return f.send(c); } };
  }
  let src, sink;
  if (FILE === 'ts') {
    src = await lm.MPEG2TransportStreamFramer.open(dir + 'bench.ts');
    sink = new lm.SimpleRTPSink({ scheduler: sched, rtpInterface: sender, payloadType: 33, sdpMediaType: 'video', rtpTimestampFrequency: 90000, rtpPayloadFormatName: 'MP2T', unitSize: 188 });
  } else {
    src = await lm.H264VideoStreamFramer.open(dir + (process.env.H264 ?? 'bench.264'));
    sink = new lm.H264VideoRTPSink({ scheduler: sched, rtpInterface: sender, ...(process.env.MAXPKT ? { maxPacketSize: Number(process.env.MAXPKT) } : {}), payloadType: 96, sps: src.sps, pps: src.pps, aggregateParameterSets: true });
  }
  sinks.push(sink);
  sink.startPlaying(src).catch((e) => console.error('play', e));
  const batch = Number(process.env.BATCH ?? 0);
  if (batch > 0 && (i + 1) % batch === 0) for (let t = 0; t < 200; t++) { sched.advance(5000); await new Promise((r) => setImmediate(r)); }
}
const tick = () => new Promise((r) => setImmediate(r));
// warm-up: 2 s of media
for (let t = 0; t < 400; t++) { sched.advance(5000); await tick(); }
let gcs = 0, gcMs = 0;
const obs = new PerformanceObserver((l) => { for (const e of l.getEntries()) { gcs++; gcMs += e.duration; } });
obs.observe({ entryTypes: ['gc'] });
let session;
if (PROF) {
  session = new inspector.Session(); session.connect();
  const post = (m, p) => new Promise((res, rej) => session.post(m, p, (e, r) => (e ? rej(e) : res(r))));
  await post('HeapProfiler.enable');
  await post('HeapProfiler.startSampling', { samplingInterval: 512, includeObjectsCollectedByMinorGC: process.env.SURV !== '1', includeObjectsCollectedByMajorGC: true });
  session.postp = post;
}
const p0 = packets;
const cpu0 = process.cpuUsage();
const steps = SECONDS * 200;
for (let t = 0; t < steps; t++) { sched.advance(5000); await tick(); }
const cpu = process.cpuUsage(cpu0);
const pk = packets - p0;
await new Promise((r) => setTimeout(r, 50));
obs.disconnect();
if (PROF) {
  const { profile } = await session.postp('HeapProfiler.stopSampling');
  writeFileSync(PROF, JSON.stringify(profile));
  // self sizes by function
  const agg = new Map(); let total = 0;
  const walk = (n, stack) => {
    const cf = n.callFrame; const name = `${cf.functionName || '(anon)'} ${cf.url.replace(/.*\/packages\//, '')}:${cf.lineNumber + 1}`;
    if (n.selfSize) { agg.set(name, (agg.get(name) ?? 0) + n.selfSize); total += n.selfSize; }
    for (const c of n.children) walk(c, stack);
  };
  walk(profile.head);
  console.log('sampled alloc bytes/packet', (total / pk).toFixed(1));
  for (const [k, v] of [...agg].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(((v / pk)).toFixed(1).padStart(8), 'B/pkt', k);
}
global.gc?.(); const hs = process.memoryUsage();
if (process.env.SNAP) (await import('node:v8')).writeHeapSnapshot(process.env.SNAP);
console.log(JSON.stringify({ N, FILE, SENDER, packets: pk, gcs, gcMs: +gcMs.toFixed(1), cpuUsPerPkt: +((cpu.user + cpu.system) / pk).toFixed(2), heapUsedMiB: +(hs.heapUsed / 2 ** 20).toFixed(1), heapTotalMiB: +(hs.heapTotal / 2 ** 20).toFixed(1), rssMiB: +(hs.rss / 2 ** 20).toFixed(1), abMiB: +(hs.arrayBuffers / 2 ** 20).toFixed(1), extMiB: +(hs.external / 2 ** 20).toFixed(1) }));
for (const s of sinks) s.close();
for (const s of sockets) s.close();
rx?.close();
process.exit(0);
