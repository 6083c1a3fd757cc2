// File → livemedia framer → our RTP sink → (in-memory wire) → the rtpsource depacketizer →
// createFileSink → a file compared with the source, on the virtual clock; then ffprobe reads both.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VirtualTaskScheduler } from '@dorsvr/scheduler';
import {
  ADTSAudioFileSource,
  H264VideoRTPSink,
  H264VideoStreamFramer,
  H265VideoRTPSink,
  H265VideoStreamFramer,
  MP3FileSource,
  MPEG1or2AudioRTPSink,
  MPEG2TransportStreamFramer,
  MPEG4GenericRTPSink,
  SimpleRTPSink,
  WAVAudioFileSource,
  createFileSink,
  createRTPSource,
  fileExtensionFor,
  parseFmtp,
  parseSpropParameterSets,
  type FileSink,
  type FileSinkDescription,
  type FramedSource,
  type MultiFramedRTPSink,
  type RTPPacketSender,
} from '@dorsvr/livemedia';
import { fixture } from '../../helpers/paths.js';
import { annexB4, annexBNalUnits, mp3AudioBytes, probePackets, wavParts } from '../../helpers/mediaFiles.js';
import { probe } from '../../rtspserver/helpers/ffmpeg.js';
import { withTempDir } from '../../helpers/tempDir.js';
import { concatChunks as concat } from '../../helpers/bytes.js';
import { playOnVirtualClock } from '../../helpers/virtualPlay.js';

/**
 * Play `input` through `makeSink` into a depacketizer for `desc` and record that into the sink
 * {@link createFileSink} picks for `desc`. Returns the written file's path.
 */
async function record(
  dir: string,
  name: string,
  input: FramedSource,
  desc: FileSinkDescription,
  makeSink: (sched: VirtualTaskScheduler, rtpInterface: RTPPacketSender) => MultiFramedRTPSink,
): Promise<{ path: string; sink: FileSink }> {
  const sched = new VirtualTaskScheduler();
  const receiver = createRTPSource({ ...desc, scheduler: sched, maxQueuedFrames: 100_000 });
  const rtpSink = makeSink(sched, { send: (chunks) => receiver.injectPacket(concat(chunks)) });
  const path = join(dir, name + fileExtensionFor(desc));
  const fileSink = createFileSink(path, desc, { bufferSize: 4096 }); // small: many flushes
  const recording = fileSink.startPlaying(receiver);
  await playOnVirtualClock(sched, rtpSink, input);
  receiver.endOfStream();
  await recording;
  await fileSink.close();
  assert.equal(receiver.damagedFrames, 0);
  rtpSink.close();
  input.close();
  receiver.close();
  sched.close();
  return { path, sink: fileSink };
}

/**
 * ffprobe agrees on codec, geometry/rate and packet count, and on every packet's duration and (with
 * `sameSizes`; not for Annex-B, whose start codes and leading parameter sets change sizes) size.
 */
async function sameForFfprobe(written: string, source: string, sameSizes = true): Promise<void> {
  const [w, s] = await Promise.all([probe(written), probe(source)]);
  assert.equal(w.codec, s.codec);
  assert.equal(w.width, s.width);
  assert.equal(w.height, s.height);
  assert.equal(w.sampleRate, s.sampleRate);
  assert.equal(w.channels, s.channels);
  assert.equal(w.frames, s.frames, 'packet count');
  assert.ok(w.frames > 0);
  const [wp, sp] = await Promise.all([probePackets(written), probePackets(source)]);
  assert.deepEqual(wp.map((p) => p.duration), sp.map((p) => p.duration));
  if (sameSizes) assert.deepEqual(wp.map((p) => p.size), sp.map((p) => p.size));
}

test('H.264: .264 = the sprop SPS/PPS, then every NAL unit of the source, all with 4-byte start codes; ffprobe sees 50 frames', async () => {
  await withTempDir(async (dir) => {
    // The SDP line the server would send, from a framer that read the file.
    const probeSink = new H264VideoRTPSink({ scheduler: new VirtualTaskScheduler(), rtpInterface: { send() {} }, payloadType: 96 });
    const framer = await H264VideoStreamFramer.open(fixture('test.264'));
    for await (const _ of framer) void _;
    probeSink.sps = framer.sps;
    probeSink.pps = framer.pps;
    const fmtp = parseFmtp(probeSink.auxSDPLine().slice('a=fmtp:'.length))!.parameters;
    const desc = { encodingName: 'H264', clockRate: 90000, payloadType: 96, fmtp };
    const { path } = await record(dir, 'video', await H264VideoStreamFramer.open(fixture('test.264')), desc, (scheduler, rtpInterface) =>
      new H264VideoRTPSink({ scheduler, rtpInterface, payloadType: 96, maxPayloadSize: 1000, aggregateParameterSets: true }),
    );
    const source = readFileSync(fixture('test.264'));
    const sprop = parseSpropParameterSets(fmtp['sprop-parameter-sets']!);
    assert.deepEqual(sprop.map((n) => n[0]! & 0x1f), [7, 8]);
    const written = readFileSync(path);
    assert.equal(Buffer.compare(written, Buffer.concat([annexB4(sprop), annexB4(annexBNalUnits(source))])), 0);
    await sameForFfprobe(path, fixture('test.264'), false);
  });
});

test('H.264 without in-band parameter sets: the sprop ones alone make the file decodable', async () => {
  await withTempDir(async (dir) => {
    const source = readFileSync(fixture('test.264'));
    const nals = annexBNalUnits(source);
    const isSet = (n: Buffer): boolean => (n[0]! & 0x1f) === 7 || (n[0]! & 0x1f) === 8;
    const sets = nals.filter(isSet).slice(0, 2); // the file repeats SPS, PPS before its second IDR
    assert.deepEqual(sets.map((n) => n[0]! & 0x1f), [7, 8]);
    const rest = nals.filter((n) => !isSet(n));
    const stripped = annexB4(rest);
    const strippedPath = join(dir, 'stripped.264');
    (await import('node:fs')).writeFileSync(strippedPath, stripped);
    const sprop = sets.map((n) => n.toString('base64')).join(',');
    const desc = { encodingName: 'H264', clockRate: 90000, fmtp: { 'sprop-parameter-sets': sprop } };
    const { path } = await record(dir, 'video', await H264VideoStreamFramer.open(strippedPath), desc, (scheduler, rtpInterface) =>
      new H264VideoRTPSink({ scheduler, rtpInterface, payloadType: 96 }),
    );
    const written = readFileSync(path);
    assert.equal(Buffer.compare(written, annexB4([...sets, ...rest])), 0, 'SPS, PPS from the SDP, then the stripped stream');
    const p = await probe(path);
    assert.deepEqual([p.codec, p.width, p.height, p.frames], ['h264', 320, 240, 50]);
  });
});

test('H.265: .265 = sprop VPS/SPS/PPS, then every NAL unit of the source with 4-byte start codes; ffprobe agrees', async () => {
  await withTempDir(async (dir) => {
    const framer = await H265VideoStreamFramer.open(fixture('test.265'));
    for await (const _ of framer) void _;
    const b64 = (u: Uint8Array | undefined): string => Buffer.from(u!).toString('base64');
    const fmtp = { 'sprop-vps': b64(framer.vps), 'sprop-sps': b64(framer.sps), 'sprop-pps': b64(framer.pps) };
    const desc = { encodingName: 'H265', clockRate: 90000, payloadType: 97, fmtp };
    const { path } = await record(dir, 'video', await H265VideoStreamFramer.open(fixture('test.265')), desc, (scheduler, rtpInterface) =>
      new H265VideoRTPSink({ scheduler, rtpInterface, payloadType: 97, maxPayloadSize: 800, aggregateParameterSets: true }),
    );
    const source = readFileSync(fixture('test.265'));
    const sets = [framer.vps!, framer.sps!, framer.pps!];
    assert.deepEqual(sets.map((n) => (n[0]! >> 1) & 0x3f), [32, 33, 34]);
    assert.equal(Buffer.compare(readFileSync(path), Buffer.concat([annexB4(sets), annexB4(annexBNalUnits(source))])), 0);
    await sameForFfprobe(path, fixture('test.265'), false);
  });
});

test('AAC: .aac (ADTS rebuilt from config=) is the source file byte for byte; ffprobe agrees packet by packet', async () => {
  await withTempDir(async (dir) => {
    const src = await ADTSAudioFileSource.open(fixture('test.aac'));
    const desc = {
      encodingName: 'MPEG4-GENERIC', clockRate: 44100, channels: 2, payloadType: 96,
      fmtp: { streamtype: '5', mode: 'AAC-hbr', sizelength: '13', indexlength: '3', indexdeltalength: '3', config: src.configHex },
    };
    const { path } = await record(dir, 'audio', src, desc, (scheduler, rtpInterface) =>
      new MPEG4GenericRTPSink({ scheduler, rtpInterface, payloadType: 96, samplingFrequency: 44100, numChannels: 2, configHex: src.configHex }),
    );
    assert.equal(Buffer.compare(readFileSync(path), readFileSync(fixture('test.aac'))), 0);
    await sameForFfprobe(path, fixture('test.aac'));
  });
});

test('MP3: .mp3 is the source without its ID3v2 tag and Xing frame, byte for byte; ffprobe agrees packet by packet', async () => {
  await withTempDir(async (dir) => {
    const desc = { encodingName: 'MPA', clockRate: 90000, payloadType: 14 };
    const { path } = await record(dir, 'audio', await MP3FileSource.open(fixture('test.mp3')), desc, (scheduler, rtpInterface) =>
      new MPEG1or2AudioRTPSink({ scheduler, rtpInterface }),
    );
    const expected = mp3AudioBytes(fixture('test.mp3'));
    assert.ok(expected.length < readFileSync(fixture('test.mp3')).length - 209, 'the tag and the 209-byte Xing frame were removed');
    assert.equal(Buffer.compare(readFileSync(path), expected), 0);
    const [w, s] = await Promise.all([probe(path), probe(fixture('test.mp3'))]);
    assert.deepEqual([w.codec, w.sampleRate, w.channels, w.frames], [s.codec, s.sampleRate, s.channels, s.frames]);
    assert.equal(w.frames, 40);
    assert.deepEqual((await probePackets(path)).map((p) => p.size), (await probePackets(fixture('test.mp3'))).map((p) => p.size));
  });
});

test('MPEG-TS: .ts is the source byte for byte; ffprobe agrees', async () => {
  await withTempDir(async (dir) => {
    const desc = { encodingName: 'MP2T', clockRate: 90000, payloadType: 33 };
    const { path } = await record(dir, 'video', await MPEG2TransportStreamFramer.open(fixture('test.ts')), desc, (scheduler, rtpInterface) =>
      new SimpleRTPSink({ scheduler, rtpInterface, payloadType: 33, sdpMediaType: 'video', rtpTimestampFrequency: 90000, rtpPayloadFormatName: 'MP2T', unitSize: 188 }),
    );
    assert.equal(Buffer.compare(readFileSync(path), readFileSync(fixture('test.ts'))), 0);
    await sameForFfprobe(path, fixture('test.ts'));
  });
});

for (const [name, format, rate, codec] of [
  ['test.wav', 'L16', 16000, 'pcm_s16le'],
  ['test-ulaw.wav', 'PCMU', 8000, 'pcm_mulaw'],
] as const) {
  test(`WAV (${format}): .wav holds the source's samples exactly (L16 swapped back to little-endian); ffprobe agrees`, async () => {
    await withTempDir(async (dir) => {
      const src = await WAVAudioFileSource.open(fixture(name));
      assert.equal(src.format, format);
      const desc = { encodingName: format, clockRate: rate, channels: 1, payloadType: 96 };
      const { path, sink } = await record(dir, 'audio', src, desc, (scheduler, rtpInterface) =>
        new SimpleRTPSink({ scheduler, rtpInterface, payloadType: 96, sdpMediaType: 'audio', rtpTimestampFrequency: rate, rtpPayloadFormatName: format, unitSize: src.bytesPerFrameOut }),
      );
      const w = wavParts(path);
      const s = wavParts(fixture(name));
      assert.deepEqual([w.format, w.channels, w.sampleRate, w.bits], [s.format, s.channels, s.sampleRate, s.bits]);
      assert.equal(Buffer.compare(w.data, s.data), 0, 'identical samples');
      assert.equal(readFileSync(path).length, w.data.length + (format === 'L16' ? 44 : 58), 'header sizes patched at close');
      assert.equal(sink.bytesWritten, readFileSync(path).length);
      const p = await probe(path);
      assert.deepEqual([p.codec, p.sampleRate, p.channels], [codec, rate, 1]);
      const sp = await probe(fixture(name));
      assert.equal(Math.round(p.duration! * 1000), Math.round(sp.duration! * 1000));
    });
  });
}
