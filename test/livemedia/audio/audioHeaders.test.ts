// The pure audio header parsers against hand-made header bytes (fields worked out bit by bit from
// ISO 14496-3 §1.A.2 and ISO 11172-3 §2.4.1.3), and random bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  audioSpecificConfigHex,
  id3v2TagSize,
  isMPEGAudioInfoFrame,
  makeAudioSpecificConfig,
  parseADTSHeader,
  parseMPEGAudioHeader,
  parseWAVFormatChunk,
} from '@dorsvr/livemedia';
import { isDorsvrError } from '@dorsvr/scheduler';

test('ADTS: AAC LC 44.1 kHz stereo, 371-byte frame, no CRC, VBR fullness, one raw block', () => {
  const h = parseADTSHeader(Uint8Array.of(0xff, 0xf1, 0x50, 0x80, 0x2e, 0x7f, 0xfc));
  assert.deepEqual(h, {
    mpegVersion: 4,
    hasCRC: false,
    audioObjectType: 2,
    samplingFrequencyIndex: 4,
    samplingFrequency: 44100,
    channelConfiguration: 2,
    frameLength: 371,
    headerLength: 7,
    bufferFullness: 0x7ff,
    numRawDataBlocks: 1,
  });
});

test('ADTS: MPEG-2 ID, CRC present (9-byte header), 48 kHz mono Main, fullness 0x123, three raw blocks, at an offset', () => {
  // byte1 1111 1 0 00 0: ID=1, protection_absent=0; byte2 00 0011 0 0 (Main, sfi 3, ch high 0);
  // byte3 01 0000 00 (ch=1, length bits 12..11 = 0); length 100 = 0001100 100 -> byte4 0000 1100,
  // byte5 100 00100 (fullness 0x123 = 00100 100011), byte6 100011 10 (blocks-1 = 2).
  const bytes = Uint8Array.of(0x00, 0x00, 0xff, 0xf8, 0x0c, 0x40, 0x0c, 0x84, 0x8e);
  const h = parseADTSHeader(bytes, 2)!;
  assert.equal(h.mpegVersion, 2);
  assert.equal(h.hasCRC, true);
  assert.equal(h.headerLength, 9);
  assert.equal(h.audioObjectType, 1);
  assert.equal(h.samplingFrequency, 48000);
  assert.equal(h.channelConfiguration, 1);
  assert.equal(h.frameLength, 100);
  assert.equal(h.bufferFullness, 0x123);
  assert.equal(h.numRawDataBlocks, 3);
});

test('ADTS: not a header: no sync, layer ≠ 0, reserved sampling index, length shorter than the header, too few bytes', () => {
  assert.equal(parseADTSHeader(Uint8Array.of(0xff, 0xe1, 0x50, 0x80, 0x2e, 0x7f, 0xfc)), undefined);
  assert.equal(parseADTSHeader(Uint8Array.of(0xff, 0xf3, 0x50, 0x80, 0x2e, 0x7f, 0xfc)), undefined);
  assert.equal(parseADTSHeader(Uint8Array.of(0xff, 0xf1, 0x7c, 0x80, 0x2e, 0x7f, 0xfc)), undefined); // sfi 15
  assert.equal(parseADTSHeader(Uint8Array.of(0xff, 0xf1, 0x50, 0x80, 0x00, 0xdf, 0xfc)), undefined); // length 6
  assert.equal(parseADTSHeader(Uint8Array.of(0xff, 0xf1, 0x50, 0x80, 0x2e, 0x7f)), undefined);
  assert.equal(parseADTSHeader(Uint8Array.of(0xff, 0xf1, 0x50, 0x80, 0x2e, 0x7f, 0xfc), 1), undefined);
});

test('AudioSpecificConfig: object type (5 bits), frequency index (4), channels (4), 3 zero bits', () => {
  assert.equal(audioSpecificConfigHex(2, 4, 2), '1210'); // AAC LC 44.1 kHz stereo (RFC 3640 examples use it)
  assert.equal(audioSpecificConfigHex(2, 3, 1), '1188'); // AAC LC 48 kHz mono
  assert.equal(audioSpecificConfigHex(2, 11, 1), '1588'); // AAC LC 8 kHz mono
  assert.deepEqual([...makeAudioSpecificConfig(1, 8, 6)], [0x0c, 0x30]); // Main 16 kHz 5.1
});

test('MPEG audio: MPEG-1 layer III 128 kbit/s 44.1 kHz joint stereo, with and without padding', () => {
  const h = parseMPEGAudioHeader(Uint8Array.of(0xff, 0xfb, 0x90, 0x64), 0)!;
  assert.deepEqual(h, {
    version: 1,
    layer: 3,
    hasCRC: false,
    bitrateKbps: 128,
    sampleRate: 44100,
    padding: 0,
    channelMode: 'joint-stereo',
    channels: 2,
    frameSize: 417, // floor(144 * 128000 / 44100)
    samplesPerFrame: 1152,
  });
  const p = parseMPEGAudioHeader(Uint8Array.of(0xff, 0xfb, 0x92, 0x64), 0)!;
  assert.equal(p.padding, 1);
  assert.equal(p.frameSize, 418);
});

test('MPEG audio: MPEG-2 layer III 22.05 kHz (576 samples), MPEG-2.5, layer I (4-byte slots), layer II with CRC', () => {
  const m2 = parseMPEGAudioHeader(Uint8Array.of(0xff, 0xf3, 0x80, 0xc0), 0)!; // 64 kbit/s mono
  assert.equal(m2.version, 2);
  assert.equal(m2.sampleRate, 22050);
  assert.equal(m2.samplesPerFrame, 576);
  assert.equal(m2.frameSize, 208); // floor(72 * 64000 / 22050)
  assert.equal(m2.channels, 1);
  const m25 = parseMPEGAudioHeader(Uint8Array.of(0xff, 0xe3, 0x14, 0x00), 0)!; // bitrate idx 1 (8 kbit/s), rate idx 1 (12 kHz)
  assert.equal(m25.version, 2.5);
  assert.equal(m25.sampleRate, 12000);
  assert.equal(m25.bitrateKbps, 8);
  assert.equal(m25.frameSize, 48); // floor(72 * 8000 / 12000)
  const l1 = parseMPEGAudioHeader(Uint8Array.of(0xff, 0xff, 0x14, 0xc0), 0)!; // 32 kbit/s 48 kHz mono
  assert.equal(l1.layer, 1);
  assert.equal(l1.samplesPerFrame, 384);
  assert.equal(l1.frameSize, 32); // (12 * 32000 / 48000) * 4
  const l2 = parseMPEGAudioHeader(Uint8Array.of(0xff, 0xfc, 0x94, 0x80), 0)!; // idx 9: 160 kbit/s 48 kHz dual channel, CRC
  assert.equal(l2.layer, 2);
  assert.equal(l2.hasCRC, true);
  assert.equal(l2.bitrateKbps, 160);
  assert.equal(l2.channelMode, 'dual-channel');
  assert.equal(l2.frameSize, 480);
});

test('MPEG audio: reserved version, reserved layer, free format, bad bitrate, reserved rate are not headers', () => {
  for (const b of [
    [0xff, 0xeb, 0x90, 0x64], // version 01
    [0xff, 0xf9, 0x90, 0x64], // layer 00
    [0xff, 0xfb, 0x00, 0x64], // free format
    [0xff, 0xfb, 0xf0, 0x64], // bitrate index 15
    [0xff, 0xfb, 0x9c, 0x64], // rate index 3
    [0xfe, 0xfb, 0x90, 0x64],
  ]) {
    assert.equal(parseMPEGAudioHeader(Uint8Array.from(b), 0), undefined, b.map((x) => x.toString(16)).join(' '));
  }
  assert.equal(parseMPEGAudioHeader(Uint8Array.of(0xff, 0xfb, 0x90), 0), undefined);
});

test('Xing/Info found after the side info (32 bytes for MPEG-1 stereo, 17 mono), not elsewhere', () => {
  const h = parseMPEGAudioHeader(Uint8Array.of(0xff, 0xfb, 0x90, 0x64), 0)!;
  const frame = new Uint8Array(h.frameSize);
  frame.set([0xff, 0xfb, 0x90, 0x64]);
  assert.equal(isMPEGAudioInfoFrame(frame, 0, h), false);
  frame.set(Buffer.from('Info'), 4 + 32);
  assert.equal(isMPEGAudioInfoFrame(frame, 0, h), true);
  const mono = parseMPEGAudioHeader(Uint8Array.of(0xff, 0xfb, 0x90, 0xc4), 0)!;
  const f2 = new Uint8Array(mono.frameSize);
  f2.set(Buffer.from('Xing'), 4 + 32); // at the stereo place: not where a mono frame has it
  assert.equal(isMPEGAudioInfoFrame(f2, 0, mono), false);
  f2.set(Buffer.from('Xing'), 4 + 17);
  assert.equal(isMPEGAudioInfoFrame(f2, 0, mono), true);
});

test('ID3v2 tag size: syncsafe 28-bit size + 10-byte header (+10 with a footer); invalid headers are no tag', () => {
  assert.equal(id3v2TagSize(Buffer.from([0x49, 0x44, 0x33, 3, 0, 0, 0, 0, 0x02, 0x01])), 10 + 257);
  assert.equal(id3v2TagSize(Buffer.from([0x49, 0x44, 0x33, 4, 0, 0x10, 0x00, 0x01, 0x00, 0x00])), 10 + 16384 + 10);
  assert.equal(id3v2TagSize(Buffer.from([0x49, 0x44, 0x33, 3, 0, 0, 0x80, 0, 0, 0])), 0);
  assert.equal(id3v2TagSize(Buffer.from('ID3')), 0);
});

test('WAV fmt chunk: PCM, and WAVE_FORMAT_EXTENSIBLE taking the sub-format code; short chunk is ERR_WAV_FORMAT', () => {
  const pcm = Buffer.alloc(16);
  pcm.writeUInt16LE(1, 0);
  pcm.writeUInt16LE(2, 2);
  pcm.writeUInt32LE(48000, 4);
  pcm.writeUInt32LE(48000 * 4, 8);
  pcm.writeUInt16LE(4, 12);
  pcm.writeUInt16LE(16, 14);
  assert.deepEqual(parseWAVFormatChunk(pcm), { formatCode: 1, extensible: false, channels: 2, sampleRate: 48000, bitsPerSample: 16, blockAlign: 4 });
  const ext = Buffer.alloc(40);
  pcm.copy(ext);
  ext.writeUInt16LE(0xfffe, 0);
  ext.writeUInt16LE(22, 16);
  ext.writeUInt16LE(7, 24); // KSDATAFORMAT_SUBTYPE_MULAW's first two bytes
  assert.equal(parseWAVFormatChunk(ext).formatCode, 7);
  assert.equal(parseWAVFormatChunk(ext).extensible, true);
  assert.throws(() => parseWAVFormatChunk(pcm.subarray(0, 15)), (e) => isDorsvrError(e, 'ERR_WAV_FORMAT'));
});

test('random bytes at random offsets: the header parsers answer a header or undefined, never throw', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: -4, max: 70 }), (bytes, off) => {
      const a = parseADTSHeader(bytes, off);
      if (a) assert.ok(a.frameLength >= a.headerLength && a.samplingFrequency > 0);
      const m = parseMPEGAudioHeader(bytes, off);
      if (m) assert.ok(m.frameSize > 4 && m.samplesPerFrame > 0);
      id3v2TagSize(bytes);
    }),
    { numRuns: 3000 },
  );
});
