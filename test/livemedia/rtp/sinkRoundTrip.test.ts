// Round trip per codec on the virtual clock: file → framer/source → our RTP sink → (in-memory wire)
// → the rtpsource depacketizer → the same frames, byte for byte, with RTP timestamps at the
// codec's clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualTaskScheduler } from '@dorsvr/scheduler';
import {
  ADTSAudioFileSource,
  H265VideoRTPSink,
  H265VideoRTPSource,
  H265VideoStreamFramer,
  MP3FileSource,
  MPEG1or2AudioRTPSink,
  MPEG1or2AudioRTPSource,
  MPEG2TransportStreamFramer,
  MPEG4GenericRTPSink,
  MPEG4GenericRTPSource,
  SimpleRTPSink,
  SimpleRTPSource,
  WAVAudioFileSource,
  type Frame,
  type FramedSource,
  type MultiFramedRTPSink,
  type RTPFrame,
  type RTPSource,
} from '@dorsvr/livemedia';
import { fixture } from '../../helpers/paths.js';
import { concatChunks as concat } from '../../helpers/bytes.js';
import { playOnVirtualClock } from '../../helpers/virtualPlay.js';

async function framesOf(open: () => Promise<FramedSource>): Promise<Frame[]> {
  const src = await open();
  const out: Frame[] = [];
  for await (const f of src) out.push({ ...f, data: Uint8Array.from(f.data) });
  return out;
}

async function roundTrip(
  sched: VirtualTaskScheduler,
  input: FramedSource,
  makeSink: (send: (chunks: readonly Uint8Array[]) => void) => MultiFramedRTPSink,
  receiver: RTPSource,
): Promise<{ frames: RTPFrame[]; packets: Uint8Array[] }> {
  const packets: Uint8Array[] = [];
  const sink = makeSink((chunks) => {
    const p = concat(chunks);
    packets.push(p);
    receiver.injectPacket(p);
  });
  const frames: RTPFrame[] = [];
  const reading = (async () => {
    for (let f = await receiver.getNextFrame(); f !== null; f = await receiver.getNextFrame()) frames.push(f as RTPFrame);
  })();
  await playOnVirtualClock(sched, sink, input);
  receiver.endOfStream();
  await reading;
  sink.close();
  input.close();
  receiver.close();
  return { frames, packets };
}

function hex(frames: readonly { data: Uint8Array }[]): string[] {
  return frames.map((f) => Buffer.from(f.data).toString('hex'));
}

test('H.265: file → H265VideoRTPSink (single NAL + FU + AP) → H265VideoRTPSource: every NAL unit byte for byte', async () => {
  const sched = new VirtualTaskScheduler();
  const want = await framesOf(() => H265VideoStreamFramer.open(fixture('test.265')));
  const { frames, packets } = await roundTrip(
    sched,
    await H265VideoStreamFramer.open(fixture('test.265')),
    (send) => new H265VideoRTPSink({ scheduler: sched, rtpInterface: { send }, payloadType: 97, maxPayloadSize: 800, aggregateParameterSets: true }),
    new H265VideoRTPSource({ scheduler: sched, payloadType: 97 }),
  );
  assert.deepEqual(hex(frames), hex(want));
  assert.ok(packets.some((p) => ((p[12]! >> 1) & 0x3f) === 49), 'some NAL units went as fragmentation units');
  assert.ok(packets.some((p) => ((p[12]! >> 1) & 0x3f) === 48), 'VPS/SPS/PPS went as an aggregation packet');
  assert.ok(packets.every((p) => p.length - 12 <= 800));
  const aus = frames.filter((f) => f.endOfAccessUnit);
  assert.equal(aus.length, 50);
  assert.deepEqual(new Set(aus.slice(1).map((f, i) => (f.rtpTimestamp - aus[i]!.rtpTimestamp) >>> 0)), new Set([3600]));
  sched.close();
});

test('AAC: ADTS file → MPEG4GenericRTPSink (AAC-hbr) → MPEG4GenericRTPSource: the raw AUs, 1024 ticks apart', async () => {
  const sched = new VirtualTaskScheduler();
  const want = await framesOf(() => ADTSAudioFileSource.open(fixture('test.aac')));
  const src = await ADTSAudioFileSource.open(fixture('test.aac'));
  const { frames } = await roundTrip(
    sched,
    src,
    (send) =>
      new MPEG4GenericRTPSink({ scheduler: sched, rtpInterface: { send }, payloadType: 96, samplingFrequency: 44100, numChannels: 2, configHex: src.configHex }),
    new MPEG4GenericRTPSource({ scheduler: sched, payloadType: 96, timestampFrequency: 44100 }),
  );
  assert.equal(frames.length, 45);
  assert.deepEqual(hex(frames), hex(want));
  assert.deepEqual(new Set(frames.slice(1).map((f, i) => (f.rtpTimestamp - frames[i]!.rtpTimestamp) >>> 0)), new Set([1024]));
  sched.close();
});

test('MP3: file → MPEG1or2AudioRTPSink (RFC 2250) → MPEG1or2AudioRTPSource: whole frames, 90 kHz timestamps', async () => {
  const sched = new VirtualTaskScheduler();
  const want = await framesOf(() => MP3FileSource.open(fixture('test.mp3')));
  const { frames, packets } = await roundTrip(
    sched,
    await MP3FileSource.open(fixture('test.mp3')),
    (send) => new MPEG1or2AudioRTPSink({ scheduler: sched, rtpInterface: { send } }),
    new MPEG1or2AudioRTPSource({ scheduler: sched, payloadType: 14 }),
  );
  assert.ok(packets.every((p) => (p[1]! & 0x7f) === 14));
  assert.deepEqual(hex(frames), hex(want));
  // 1152 samples at 44.1 kHz = 2351.02 ticks of 90 kHz; timestamps round per frame.
  const deltas = new Set(frames.slice(1).map((f, i) => (f.rtpTimestamp - frames[i]!.rtpTimestamp) >>> 0));
  assert.ok([...deltas].every((d) => d === 2351 || d === 2352), [...deltas].join(','));
  sched.close();
});

test('WAV: file → SimpleRTPSink (L16) → SimpleRTPSource: the same big-endian samples, one tick per sample', async () => {
  const sched = new VirtualTaskScheduler();
  const want = await framesOf(() => WAVAudioFileSource.open(fixture('test.wav')));
  const { frames } = await roundTrip(
    sched,
    await WAVAudioFileSource.open(fixture('test.wav')),
    (send) =>
      new SimpleRTPSink({ scheduler: sched, rtpInterface: { send }, payloadType: 96, sdpMediaType: 'audio', rtpTimestampFrequency: 16000, rtpPayloadFormatName: 'L16', unitSize: 2 }),
    new SimpleRTPSource({ scheduler: sched, payloadType: 96, encodingName: 'L16', timestampFrequency: 16000 }),
  );
  assert.deepEqual(hex(frames), hex(want));
  assert.deepEqual(new Set(frames.slice(1).map((f, i) => (f.rtpTimestamp - frames[i]!.rtpTimestamp) >>> 0)), new Set([320]));
  sched.close();
});

test('MPEG-TS: file → SimpleRTPSink (MP2T, 7 packets per RTP packet) → SimpleRTPSource: the file, byte for byte', async () => {
  const sched = new VirtualTaskScheduler();
  const { readFileSync } = await import('node:fs');
  const file = readFileSync(fixture('test.ts'));
  const { frames, packets } = await roundTrip(
    sched,
    await MPEG2TransportStreamFramer.open(fixture('test.ts')),
    (send) =>
      new SimpleRTPSink({ scheduler: sched, rtpInterface: { send }, payloadType: 33, sdpMediaType: 'video', rtpTimestampFrequency: 90000, rtpPayloadFormatName: 'MP2T', unitSize: 188 }),
    new SimpleRTPSource({ scheduler: sched, payloadType: 33, encodingName: 'MP2T' }),
  );
  assert.ok(packets.every((p) => p.length - 12 <= 7 * 188 && (p.length - 12) % 188 === 0));
  assert.equal(Buffer.compare(Buffer.concat(frames.map((f) => Buffer.from(f.data))), file), 0);
  sched.close();
});
