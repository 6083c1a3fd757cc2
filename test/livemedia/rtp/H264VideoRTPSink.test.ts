import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualTaskScheduler } from '@dorsvr/scheduler';
import { AsyncIterableSource, H264VideoRTPSink, parseRTPHeader, type Frame } from '@dorsvr/livemedia';

function collect(): { packets: Uint8Array[]; send(chunks: readonly Uint8Array[]): void } {
  const packets: Uint8Array[] = [];
  return { packets, send: (chunks) => void packets.push(Buffer.concat(chunks.map((c) => Buffer.from(c)))) };
}

test('H.264: small NAL units go whole, large ones as FU-A; marker on the last packet of an access unit; timestamps at 90 kHz', async () => {
  const s = new VirtualTaskScheduler();
  const out = collect();
  const sps = Uint8Array.from([0x67, 0x42, 0xc0, 0x1e, 0xaa]);
  const pps = Uint8Array.from([0x68, 0xce, 0x3c, 0x80]);
  const sink = new H264VideoRTPSink({ scheduler: s, rtpInterface: out, payloadType: 96, sps, pps, initialSequenceNumber: 65534, initialTimestamp: 1000, maxPayloadSize: 100 });
  assert.equal(sink.auxSDPLine(), 'a=fmtp:96 packetization-mode=1;profile-level-id=42C01E;sprop-parameter-sets=Z0LAHqo=,aM48gA==');
  assert.equal(sink.rtpmapLine(), 'a=rtpmap:96 H264/90000');
  const idr = new Uint8Array(250).fill(7);
  idr[0] = 0x65;
  const frames: Frame[] = [
    { data: sps, presentationTime: 0, duration: 0, endOfAccessUnit: false },
    { data: pps, presentationTime: 0, duration: 0, endOfAccessUnit: false },
    { data: idr, presentationTime: 0, duration: 40_000 },
    { data: Uint8Array.from([0x41, 1, 2, 3]), presentationTime: 40_000, duration: 40_000 },
  ];
  const done = sink.startPlaying(new AsyncIterableSource(frames));
  for (let i = 0; i < 10; i++) {
    await new Promise((r) => setImmediate(r));
    s.advance(10_000);
  }
  await done;
  const p = out.packets.map(parseRTPHeader);
  assert.equal(p.length, 2 + 3 + 1);
  assert.deepEqual(p.map((x) => x.sequenceNumber), [65534, 65535, 0, 1, 2, 3]);
  assert.deepEqual(p.map((x) => x.marker), [false, false, false, false, true, true]);
  assert.deepEqual(p.map((x) => x.timestamp), [1000, 1000, 1000, 1000, 1000, 1000 + 3600]);
  assert.ok(out.packets.every((pk) => pk.length - 12 <= 100));
  // FU-A: indicator keeps F/NRI, type 28; header S/E bits and the NAL type; payload reassembles.
  const fu = p.slice(2, 5).map((x) => x.payload);
  assert.deepEqual(fu.map((x) => x[0]), [0x7c, 0x7c, 0x7c]);
  assert.deepEqual(fu.map((x) => x[1]), [0x85, 0x05, 0x45]);
  const rebuilt = Buffer.concat([Buffer.from([0x65]), ...fu.map((x) => Buffer.from(x.subarray(2)))]);
  assert.deepEqual([...rebuilt], [...idr]);
  assert.equal(sink.packetCount, 6);
  s.close();
});

test('H.264 with aggregateParameterSets: SPS and PPS go together in one STAP-A before the picture', async () => {
  const s = new VirtualTaskScheduler();
  const out = collect();
  const sink = new H264VideoRTPSink({ scheduler: s, rtpInterface: out, payloadType: 96, aggregateParameterSets: true });
  const sps = Uint8Array.from([0x67, 0x42, 0xc0, 0x1e, 0xaa]);
  const pps = Uint8Array.from([0x68, 0xce, 0x3c, 0x80]);
  const idr = Uint8Array.from([0x65, 1, 2, 3]);
  const done = sink.startPlaying(
    new AsyncIterableSource([
      { data: sps, presentationTime: 0, duration: 0, endOfAccessUnit: false },
      { data: pps, presentationTime: 0, duration: 0, endOfAccessUnit: false },
      { data: idr, presentationTime: 0, duration: 40_000 },
    ]),
  );
  for (let i = 0; i < 5; i++) {
    await new Promise((r) => setImmediate(r));
    s.advance(10_000);
  }
  await done;
  assert.equal(out.packets.length, 2);
  const stap = parseRTPHeader(out.packets[0]!);
  assert.equal(stap.marker, false);
  assert.deepEqual([...stap.payload], [0x78, 0, 5, ...sps, 0, 4, ...pps]);
  assert.deepEqual([...parseRTPHeader(out.packets[1]!).payload], [...idr]);
  assert.equal(parseRTPHeader(out.packets[1]!).marker, true);
  s.close();
});
