// The audio sources against ffprobe's reading of the same fixture files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDorsvrError } from '@dorsvr/scheduler';
import { ADTSAudioFileSource, MP3FileSource, WAVAudioFileSource, type FramedSource, type Frame } from '@dorsvr/livemedia';
import { fixture } from '../../helpers/paths.js';
import { probe } from '../../rtspserver/helpers/ffmpeg.js';
import { tempDir } from '../../helpers/tempDir.js';

async function all(src: FramedSource): Promise<Frame[]> {
  const out: Frame[] = [];
  for await (const f of src) out.push(f);
  return out;
}

test('ADTS: one frame per ADTS header (as many as ffprobe counts), 1024 samples each, config from the header', async () => {
  const want = await probe(fixture('test.aac'));
  const src = await ADTSAudioFileSource.open(fixture('test.aac'));
  assert.equal(src.sampleRate, want.sampleRate);
  assert.equal(src.numChannels, want.channels);
  assert.equal(src.configHex, '1210'); // AAC LC, 44.1 kHz, stereo
  const frames = await all(src);
  assert.equal(frames.length, want.frames);
  assert.equal(frames[1]!.presentationTime, (1024 * 1e6) / 44100);
  assert.ok(frames.every((f) => f.data[0] !== 0xff || (f.data[1]! & 0xf0) !== 0xf0), 'ADTS headers stripped');
});

test('MP3: ID3v2 skipped, the Xing frame left out, frame count and rate as ffprobe says', async () => {
  const want = await probe(fixture('test.mp3'));
  const src = await MP3FileSource.open(fixture('test.mp3'));
  assert.equal(src.sampleRate, 44100);
  const frames = await all(src);
  assert.equal(frames.length, want.frames);
  assert.ok(frames.every((f) => f.data[0] === 0xff && (f.data[1]! & 0xe0) === 0xe0));
  const s2 = await MP3FileSource.open(fixture('test.mp3'));
  const reached = s2.seekToNPT(0.5);
  assert.ok(Math.abs(reached - 0.5) < 0.027);
  const rest = await all(s2);
  assert.equal(rest.length, frames.length - Math.round(reached / (1152 / 44100)));
});

test('WAV: the LIST chunk before data is skipped, samples delivered as big-endian L16, exact seek', async () => {
  const want = await probe(fixture('test.wav'));
  const src = await WAVAudioFileSource.open(fixture('test.wav'));
  assert.equal(src.format, 'L16');
  assert.equal(src.sampleRate, want.sampleRate);
  assert.equal(src.durationSeconds(), 1);
  const frames = await all(src);
  assert.equal(frames.reduce((n, f) => n + f.data.length, 0), 16000 * 2);
  assert.equal(frames.length, 50);
  // Compare with the file's own little-endian samples.
  const { readFileSync } = await import('node:fs');
  const file = readFileSync(fixture('test.wav'));
  const data = file.subarray(file.indexOf('data') + 8);
  assert.equal(frames[0]!.data[0], data[1]);
  assert.equal(frames[0]!.data[1], data[0]);
  const s2 = await WAVAudioFileSource.open(fixture('test.wav'));
  assert.equal(s2.seekToNPT(0.25), 0.25);
  const f = await s2.getNextFrame();
  assert.equal(f!.presentationTime, 250_000);
  s2.close();
});

test('bad audio files are clear DorsvrErrors', async () => {
  const tmp = tempDir();
  try {
    const junk = join(tmp.dir, 'junk');
    writeFileSync(junk, Buffer.from('not audio at all, not even close'));
    await assert.rejects(WAVAudioFileSource.open(junk), (e) => isDorsvrError(e, 'ERR_WAV_FORMAT'));
    await assert.rejects(ADTSAudioFileSource.open(junk), (e) => isDorsvrError(e, 'ERR_ADTS_FORMAT'));
    await assert.rejects(MP3FileSource.open(junk), (e) => isDorsvrError(e, 'ERR_MP3_FORMAT'));
    await assert.rejects(MP3FileSource.open(join(tmp.dir, 'missing.mp3')), (e) => isDorsvrError(e, 'ERR_FILE_OPEN'));
  } finally {
    tmp.cleanup();
  }
});
