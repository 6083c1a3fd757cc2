// The sinks' pure helpers against hand-made vectors: AudioSpecificConfig decoding, ADTS headers,
// WAV headers, and which file each SDP media description becomes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { isDorsvrError } from '@dorsvr/scheduler';
import {
  ADTSAudioFileSink,
  FileSink,
  H264VideoFileSink,
  H265VideoFileSink,
  WAVAudioFileSink,
  createFileSink,
  fileExtensionFor,
  makeADTSHeader,
  makeWAVHeader,
  parseADTSHeader,
  parseAudioSpecificConfig,
} from '@dorsvr/livemedia';
import { fixture } from '../../helpers/paths.js';

const hex = (u: Uint8Array): string => Buffer.from(u).toString('hex');

test('parseAudioSpecificConfig: LC, explicit frequency, explicit SBR and PS, escapes and errors', () => {
  assert.deepEqual(parseAudioSpecificConfig('1210'), { audioObjectType: 2, samplingFrequencyIndex: 4, samplingFrequency: 44100, channelConfiguration: 2 });
  assert.deepEqual(parseAudioSpecificConfig(Uint8Array.of(0x11, 0x90)), { audioObjectType: 2, samplingFrequencyIndex: 3, samplingFrequency: 48000, channelConfiguration: 2 });
  assert.deepEqual(parseAudioSpecificConfig('1780562208'), { audioObjectType: 2, samplingFrequencyIndex: 15, samplingFrequency: 44100, channelConfiguration: 1 });
  // HE-AAC with explicit SBR: core AAC LC at 24 kHz, SBR to 48 kHz.
  assert.deepEqual(parseAudioSpecificConfig('2b1188'), {
    audioObjectType: 2, samplingFrequencyIndex: 6, samplingFrequency: 24000, channelConfiguration: 2, extensionSamplingFrequency: 48000,
  });
  assert.deepEqual(parseAudioSpecificConfig('EA0988'), {
    audioObjectType: 2, samplingFrequencyIndex: 4, samplingFrequency: 44100, channelConfiguration: 1, extensionSamplingFrequency: 48000,
  });
  assert.equal(parseAudioSpecificConfig('F94840').audioObjectType, 42, 'escape 31 + 6 bits');
  for (const bad of ['', '1', '12', 'zz10', '1690' /* reserved index 13 */, '2b11' /* SBR type cut short */]) {
    assert.throws(() => parseAudioSpecificConfig(bad), (e) => isDorsvrError(e, 'ERR_AUDIO_CONFIG'), bad);
  }
});

test('makeADTSHeader: exact bytes, equal to the headers ffmpeg wrote in test.aac', () => {
  const lc = parseAudioSpecificConfig('1210');
  assert.equal(hex(makeADTSHeader(lc, 133)), 'fff15080119ffc');
  assert.equal(hex(makeADTSHeader(parseAudioSpecificConfig('1188'), 0)), 'fff14c4000fffc'); // 48 kHz mono
  assert.equal(hex(makeADTSHeader(lc, 8184)), 'fff15083fffffc', 'largest frame: length 8191');
  assert.equal(hex(makeADTSHeader({ audioObjectType: 1, samplingFrequencyIndex: 0, samplingFrequency: 96000, channelConfiguration: 7 }, 0)), 'fff101c000fffc');
  // An explicit 44.1 kHz maps back to index 4; HE-AAC is written as its AAC LC core.
  assert.equal(hex(makeADTSHeader(parseAudioSpecificConfig('1780562208'), 0)).slice(0, 8), 'fff15040');
  assert.equal(hex(makeADTSHeader(parseAudioSpecificConfig('2b1188'), 0)).slice(0, 8), 'fff15880');
  // Every header of the fixture, rebuilt from its config and payload length, is the same bytes.
  const file = readFileSync(fixture('test.aac'));
  let n = 0;
  for (let off = 0; off < file.length; n++) {
    const h = parseADTSHeader(file, off)!;
    assert.equal(hex(makeADTSHeader(lc, h.frameLength - 7)), hex(file.subarray(off, off + 7)), `frame ${n}`);
    off += h.frameLength;
  }
  assert.equal(n, 45);
  const unrepresentable = [
    () => makeADTSHeader(lc, 8185),
    () => makeADTSHeader(lc, -1),
    () => makeADTSHeader({ ...lc, audioObjectType: 5 }, 10),
    () => makeADTSHeader({ ...lc, channelConfiguration: 8 }, 10),
    () => makeADTSHeader({ ...lc, samplingFrequencyIndex: 15, samplingFrequency: 44000 }, 10),
  ];
  for (const f of unrepresentable) assert.throws(f, (e) => isDorsvrError(e, 'ERR_ADTS_UNREPRESENTABLE'));
});

test('makeWAVHeader: 44-byte PCM and 58-byte G.711 headers, exact bytes', () => {
  assert.equal(
    hex(makeWAVHeader({ format: 'L16', sampleRate: 16000, channels: 1, dataBytes: 32000 })),
    '52494646247d0000' + '57415645' + '666d7420' + '10000000' + '0100' + '0100' + '803e0000' + '007d0000' + '0200' + '1000' + '64617461' + '007d0000',
  );
  assert.equal(
    hex(makeWAVHeader({ format: 'PCMU', sampleRate: 8000, channels: 1, dataBytes: 8000 })),
    '52494646721f0000' + '57415645' + '666d7420' + '12000000' + '0700' + '0100' + '401f0000' + '401f0000' + '0100' + '0800' + '0000' +
      '66616374' + '04000000' + '401f0000' + '64617461' + '401f0000',
  );
  const alaw = makeWAVHeader({ format: 'PCMA', sampleRate: 8000, channels: 2, dataBytes: 10 });
  assert.equal(hex(alaw.subarray(20, 22)), '0600');
  assert.equal(hex(alaw.subarray(46, 50)), '05000000', 'fact: 5 sample frames of 2 channels');
  // L24 stereo 48 kHz: block 6, 288000 bytes/s; L8 odd size: RIFF counts the pad byte.
  const l24 = makeWAVHeader({ format: 'L24', sampleRate: 48000, channels: 2, dataBytes: 6 });
  assert.equal(hex(l24.subarray(28, 36)), '00650400' + '0600' + '1800');
  const l8 = makeWAVHeader({ format: 'L8', sampleRate: 8000, channels: 1, dataBytes: 3 });
  assert.equal(Buffer.from(l8).readUInt32LE(4), 36 + 3 + 1);
  assert.equal(Buffer.from(makeWAVHeader({ format: 'L16', sampleRate: 8000, channels: 1, dataBytes: 2 ** 33 })).readUInt32LE(40), 0xffffffff);
  for (const bad of [{ sampleRate: 0, channels: 1 }, { sampleRate: 8000, channels: 0 }, { sampleRate: 8000.5, channels: 1 }]) {
    assert.throws(() => makeWAVHeader({ format: 'L16', dataBytes: 0, ...bad }), (e) => isDorsvrError(e, 'ERR_WAV_FORMAT'));
  }
});

test('fileExtensionFor / createFileSink: the sink and extension for each SDP media description', () => {
  const cases: Array<[Parameters<typeof fileExtensionFor>[0], string, Function]> = [
    [{ encodingName: 'H264', clockRate: 90000, fmtp: { 'sprop-parameter-sets': 'Z0LADdkBQfsBEAAAAwAQAAADAyDxQqSA,aMuDyyA=' } }, '.264', H264VideoFileSink],
    [{ encodingName: 'h265', clockRate: 90000 }, '.265', H265VideoFileSink],
    [{ encodingName: 'HEVC' }, '.265', H265VideoFileSink],
    [{ encodingName: 'MPEG4-GENERIC', clockRate: 44100, channels: 2, fmtp: { mode: 'AAC-hbr', config: '1210' } }, '.aac', ADTSAudioFileSink],
    [{ encodingName: 'mpeg4-generic', fmtp: { MODE: 'aac-lbr', CONFIG: '1190' } }, '.aac', ADTSAudioFileSink],
    [{ encodingName: 'MPEG4-GENERIC', fmtp: { mode: 'AAC-hbr' } }, '.bin', FileSink], // no config: raw AUs
    [{ encodingName: 'MPEG4-GENERIC', fmtp: { mode: 'AAC-hbr', config: 'F94840' } }, '.bin', FileSink],
    [{ encodingName: 'MPEG4-GENERIC', fmtp: { mode: 'CELP-cbr', config: '1210' } }, '.bin', FileSink],
    [{ encodingName: 'MPA', clockRate: 90000 }, '.mp3', FileSink],
    [{ encodingName: '', payloadType: 14 }, '.mp3', FileSink],
    [{ encodingName: 'MP2T', clockRate: 90000 }, '.ts', FileSink],
    [{ encodingName: '', payloadType: 33 }, '.ts', FileSink],
    [{ encodingName: 'L16', clockRate: 16000, channels: 1 }, '.wav', WAVAudioFileSink],
    [{ encodingName: 'L8', clockRate: 8000 }, '.wav', WAVAudioFileSink],
    [{ encodingName: 'L24', clockRate: 48000, channels: 2 }, '.wav', WAVAudioFileSink],
    [{ encodingName: 'PCMU', clockRate: 8000 }, '.wav', WAVAudioFileSink],
    [{ encodingName: '', payloadType: 8 }, '.wav', WAVAudioFileSink],
    [{ encodingName: 'VP8', clockRate: 90000 }, '.bin', FileSink],
    [{ encodingName: '', payloadType: 96 }, '.bin', FileSink],
  ];
  for (const [desc, ext, cls] of cases) {
    assert.equal(fileExtensionFor(desc), ext, JSON.stringify(desc));
    const sink = createFileSink(`/nonexistent/x${ext}`, desc);
    assert.equal(sink.constructor, cls, JSON.stringify(desc));
  }
  const h264 = createFileSink('/x', cases[0]![0]) as H264VideoFileSink;
  assert.deepEqual(h264.parameterSets.map((p) => p[0]! & 0x1f), [7, 8]);
  const pt10 = createFileSink('/x', { encodingName: '', payloadType: 10 }) as WAVAudioFileSink;
  assert.deepEqual([pt10.format, pt10.sampleRate, pt10.channels], ['L16', 44100, 2]);
  const pcma = createFileSink('/x', { encodingName: 'PCMA' }) as WAVAudioFileSink;
  assert.deepEqual([pcma.format, pcma.sampleRate, pcma.channels], ['PCMA', 8000, 1]);
  assert.equal((createFileSink('/x', cases[3]![0]) as ADTSAudioFileSink).config.channelConfiguration, 2);
});
