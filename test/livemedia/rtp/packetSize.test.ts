// Packet size: the whole RTP packet (header included) is at most 1452 bytes by default (live555's
// limit; 1452 + 40 + 8 fills a 1500-byte MTU over IPv6), configurable; and AAC access units above
// one packet are fragmented (RFC 3640 §3.2.3) and reassembled by our depacketizer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualTaskScheduler, isDorsvrError } from '@dorsvr/scheduler';
import {
  DEFAULT_MAX_PACKET_SIZE,
  FramedSource,
  H264VideoRTPSink,
  H265VideoRTPSink,
  MPEG1or2AudioRTPSink,
  MPEG4GenericRTPSink,
  MPEG4GenericRTPSource,
  SimpleRTPSink,
  parseRTPHeader,
  type Frame,
  type MultiFramedRTPSink,
  type RTPPacketSender,
} from '@dorsvr/livemedia';
import { playOnVirtualClock } from '../../helpers/virtualPlay.js';
import { concatChunks as concat } from '../../helpers/bytes.js';

class ArraySource extends FramedSource {
  #i = 0;
  constructor(readonly frames: Frame[]) {
    super();
  }
  protected readFrame(): Frame | null {
    return this.frames[this.#i++] ?? null;
  }
}

function bytes(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

type MakeSink = (sched: VirtualTaskScheduler, rtpInterface: RTPPacketSender, maxPacketSize?: number) => MultiFramedRTPSink;

const sinks: Array<{ name: string; make: MakeSink; frames: () => Frame[] }> = [
  {
    name: 'H.264 (single NAL, FU-A, STAP-A)',
    make: (scheduler, rtpInterface, maxPacketSize) =>
      new H264VideoRTPSink({ scheduler, rtpInterface, payloadType: 96, maxPacketSize, aggregateParameterSets: true }),
    frames: () => [
      { data: Uint8Array.of(0x67, ...bytes(600, 1)), presentationTime: 0, duration: 0, endOfAccessUnit: false },
      { data: Uint8Array.of(0x68, ...bytes(700, 2)), presentationTime: 0, duration: 0, endOfAccessUnit: false },
      { data: Uint8Array.of(0x65, ...bytes(9000, 3)), presentationTime: 0, duration: 40_000 },
      { data: Uint8Array.of(0x41, ...bytes(1439, 4)), presentationTime: 40_000, duration: 40_000 },
      { data: Uint8Array.of(0x41, ...bytes(1440, 5)), presentationTime: 80_000, duration: 40_000 },
    ],
  },
  {
    name: 'H.265 (single NAL, FU, AP)',
    make: (scheduler, rtpInterface, maxPacketSize) =>
      new H265VideoRTPSink({ scheduler, rtpInterface, payloadType: 96, maxPacketSize, aggregateParameterSets: true }),
    frames: () => [
      { data: Uint8Array.of(0x40, 0x01, ...bytes(500, 1)), presentationTime: 0, duration: 0, endOfAccessUnit: false },
      { data: Uint8Array.of(0x42, 0x01, ...bytes(500, 2)), presentationTime: 0, duration: 0, endOfAccessUnit: false },
      { data: Uint8Array.of(0x44, 0x01, ...bytes(500, 3)), presentationTime: 0, duration: 0, endOfAccessUnit: false },
      { data: Uint8Array.of(0x26, 0x01, ...bytes(9000, 4)), presentationTime: 0, duration: 40_000 },
      { data: Uint8Array.of(0x02, 0x01, ...bytes(1438, 5)), presentationTime: 40_000, duration: 40_000 },
    ],
  },
  {
    name: 'AAC (MPEG4-GENERIC, fragmented)',
    make: (scheduler, rtpInterface, maxPacketSize) =>
      new MPEG4GenericRTPSink({ scheduler, rtpInterface, payloadType: 97, maxPacketSize, samplingFrequency: 44100, numChannels: 2, configHex: '1210' }),
    frames: () => [100, 1436, 1437, 5000, 8191].map((n, i) => ({ data: bytes(n, i), presentationTime: i * 23_220, duration: 23_220 })),
  },
  {
    name: 'MPEG audio (RFC 2250)',
    make: (scheduler, rtpInterface, maxPacketSize) => new MPEG1or2AudioRTPSink({ scheduler, rtpInterface, maxPacketSize }),
    frames: () => [417, 1436, 1437, 2881].map((n, i) => ({ data: bytes(n, i), presentationTime: i * 26_122, duration: 26_122 })),
  },
  {
    name: 'L16 (SimpleRTPSink, 4-byte sample frames)',
    make: (scheduler, rtpInterface, maxPacketSize) =>
      new SimpleRTPSink({ scheduler, rtpInterface, payloadType: 96, maxPacketSize, sdpMediaType: 'audio', rtpTimestampFrequency: 44100, rtpPayloadFormatName: 'L16', numChannels: 2, unitSize: 4 }),
    frames: () => [{ data: bytes(17_640, 1), presentationTime: 0, duration: 100_000 }],
  },
  {
    name: 'MP2T (SimpleRTPSink, 188-byte packets)',
    make: (scheduler, rtpInterface, maxPacketSize) =>
      new SimpleRTPSink({ scheduler, rtpInterface, payloadType: 33, maxPacketSize, sdpMediaType: 'video', rtpTimestampFrequency: 90000, rtpPayloadFormatName: 'MP2T', unitSize: 188 }),
    frames: () => [{ data: bytes(188 * 40, 1), presentationTime: 0, duration: 40_000 }],
  },
];

async function packetsOf(make: MakeSink, frames: Frame[], maxPacketSize?: number): Promise<Uint8Array[]> {
  const sched = new VirtualTaskScheduler();
  const packets: Uint8Array[] = [];
  const sink = make(sched, { send: (chunks) => void packets.push(concat(chunks)) }, maxPacketSize);
  await playOnVirtualClock(sched, sink, new ArraySource(frames));
  sink.close();
  return packets;
}

for (const s of sinks) {
  test(`${s.name}: every packet, header included, is at most 1452 bytes by default, and at most maxPacketSize when set`, async () => {
    assert.equal(DEFAULT_MAX_PACKET_SIZE, 1452);
    const frames = s.frames();
    const total = frames.reduce((n, f) => n + f.data.length, 0);
    const def = await packetsOf(s.make, s.frames());
    assert.ok(def.length > frames.length, 'some frame was split');
    const largest = Math.max(...def.map((p) => p.length));
    assert.ok(largest <= 1452, `largest packet ${largest}`);
    assert.ok(largest > 1452 - 188, `packets are filled (largest ${largest})`);
    assert.ok(def.reduce((n, p) => n + p.length, 0) > total, 'every byte was sent');
    const small = await packetsOf(s.make, s.frames(), 600);
    const largestSmall = Math.max(...small.map((p) => p.length));
    assert.ok(largestSmall <= 600 && largestSmall > 600 - 188, `largest packet ${largestSmall} with maxPacketSize 600`);
  });
}

test('maxPacketSize out of range is ERR_SINK_OPTIONS', () => {
  const sched = new VirtualTaskScheduler();
  for (const bad of [10, 1.5, 70_000]) {
    assert.throws(
      () => new MPEG1or2AudioRTPSink({ scheduler: sched, rtpInterface: { send() {} }, maxPacketSize: bad }),
      (e) => isDorsvrError(e, 'ERR_SINK_OPTIONS'),
    );
  }
});

test('AAC: an access unit above one packet is fragmented per RFC 3640 §3.2.3 (whole AU-size in every fragment, one timestamp, marker on the last) and our depacketizer reassembles it', async () => {
  const frames = [100, 1436, 1437, 3000, 8191, 200].map((n, i) => ({ data: bytes(n, i), presentationTime: i * 23_220, duration: 23_220 }));
  const make: MakeSink = (scheduler, rtpInterface, maxPacketSize) =>
    new MPEG4GenericRTPSink({ scheduler, rtpInterface, payloadType: 97, maxPacketSize, samplingFrequency: 44100, numChannels: 2, configHex: '1210' });
  const packets = await packetsOf(make, frames);
  // 1436 fits (1452 − 12 − 4); 1437 takes two packets; 3000 three; 8191 six.
  assert.equal(packets.length, 1 + 1 + 2 + 3 + 6 + 1);
  const byTs = new Map<number, Array<{ marker: boolean; auSize: number; len: number }>>();
  for (const p of packets) {
    const h = parseRTPHeader(p)!;
    const payload = p.subarray(h.headerLength);
    assert.equal((payload[0]! << 8) | payload[1]!, 16, 'one 16-bit AU header');
    const auSize = ((payload[2]! << 8) | payload[3]!) >> 3;
    const list = byTs.get(h.timestamp) ?? [];
    list.push({ marker: h.marker, auSize, len: payload.length - 4 });
    byTs.set(h.timestamp, list);
  }
  assert.equal(byTs.size, frames.length, 'the fragments of an AU share its timestamp');
  [...byTs.values()].forEach((frags, i) => {
    const size = frames[i]!.data.length;
    assert.ok(frags.every((f) => f.auSize === size), 'AU-size is the whole AU in every fragment');
    assert.deepEqual(frags.map((f) => f.marker), frags.map((_, k) => k === frags.length - 1), 'marker on the last fragment only');
    assert.equal(frags.reduce((n, f) => n + f.len, 0), size);
  });

  const sched = new VirtualTaskScheduler();
  const source = new MPEG4GenericRTPSource({ scheduler: sched, payloadType: 97, timestampFrequency: 44100 });
  const got: Uint8Array[] = [];
  const reading = (async () => {
    for (let f = await source.getNextFrame(); f !== null; f = await source.getNextFrame()) got.push(Uint8Array.from(f.data));
  })();
  for (const p of packets) source.injectPacket(p);
  sched.advance(1_000_000);
  source.endOfStream();
  await reading;
  assert.deepEqual(got.map((g) => g.length), frames.map((f) => f.data.length));
  got.forEach((g, i) => assert.deepEqual(g, frames[i]!.data));
});

test('AAC: an access unit above 8191 bytes (beyond a 13-bit AU-size) is dropped and counted, the stream goes on', async () => {
  const sched = new VirtualTaskScheduler();
  const packets: Uint8Array[] = [];
  const sink = new MPEG4GenericRTPSink({ scheduler: sched, rtpInterface: { send: (c) => void packets.push(concat(c)) }, payloadType: 97, samplingFrequency: 44100, numChannels: 2, configHex: '1210' });
  await playOnVirtualClock(sched, sink, new ArraySource([8192, 300].map((n, i) => ({ data: bytes(n, i), presentationTime: i * 23_220, duration: 23_220 }))));
  assert.equal(sink.droppedAccessUnits, 1);
  assert.equal(packets.length, 1);
});
