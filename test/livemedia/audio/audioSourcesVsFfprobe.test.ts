// The audio file sources frame by frame against ffprobe -show_packets of the same files, WAV
// variants built byte by byte (chunks before/after fmt and data, 8/24-bit, extensible, µ-law),
// and damaged files (truncated anywhere, random bytes): clean end or a DorsvrError, never a crash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { isDorsvrError } from '@dorsvr/scheduler';
import { ADTSAudioFileSource, MP3FileSource, WAVAudioFileSource, type Frame, type FramedSource } from '@dorsvr/livemedia';
import { fixture } from '../../helpers/paths.js';
import { findPeer } from '../../helpers/peers.js';
import { runPeer } from '../../rtspserver/helpers/ffmpeg.js';
import { tempDir } from '../../helpers/tempDir.js';

async function all(src: FramedSource): Promise<Frame[]> {
  const out: Frame[] = [];
  for await (const f of src) out.push(f);
  return out;
}

interface Packet {
  pts: number;
  duration: number;
  size: number;
}

async function ffprobePackets(file: string): Promise<Packet[]> {
  const r = await runPeer(findPeer('ffprobe'), ['-v', 'error', '-select_streams', 'a:0', '-show_entries', 'packet=pts_time,duration_time,size', '-of', 'json', file]);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { packets: Array<{ pts_time: string; duration_time: string; size: string }> };
  return j.packets.map((p) => ({ pts: Number(p.pts_time), duration: Number(p.duration_time), size: Number(p.size) }));
}

test('ADTS: every frame has ffprobe\'s packet time, duration and size (minus the 7-byte header)', async () => {
  const want = await ffprobePackets(fixture('test.aac'));
  const src = await ADTSAudioFileSource.open(fixture('test.aac'));
  assert.equal(src.samplingFrequency, 44100);
  assert.equal(src.frameCount, want.length);
  assert.ok(Math.abs(src.durationSeconds() - (want.at(-1)!.pts + want.at(-1)!.duration)) < 1e-5);
  const frames = await all(src);
  assert.equal(frames.length, want.length);
  frames.forEach((f, i) => {
    assert.ok(Math.abs(f.presentationTime / 1e6 - want[i]!.pts) < 1e-5, `frame ${i}: ${f.presentationTime} vs ${want[i]!.pts}`);
    assert.ok(Math.abs(f.duration / 1e6 - want[i]!.duration) < 1e-5);
    assert.equal(f.data.length, want[i]!.size - 7, `frame ${i} size`);
  });
});

test('ADTS: seek by time and by frame index; a frame straddling the end of a truncated file is not delivered', async () => {
  const s = await ADTSAudioFileSource.open(fixture('test.aac'));
  const full = await all(await ADTSAudioFileSource.open(fixture('test.aac')));
  const reached = s.seekToNPT(0.5);
  const i = Math.floor((0.5 * 44100) / 1024);
  assert.equal(reached, (i * 1024) / 44100);
  assert.deepEqual((await s.getNextFrame())!.data, full[i]!.data);
  s.seekToFrame(3);
  assert.equal((await s.getNextFrame())!.presentationTime, full[3]!.presentationTime);
  assert.equal(s.seekToNPT(99), s.durationSeconds());
  assert.equal(await s.getNextFrame(), null);
  s.close();
  const bytes = readFileSync(fixture('test.aac'));
  const cut = ADTSAudioFileSource.fromBytes(bytes.subarray(0, bytes.length - 5));
  assert.equal(cut.frameCount, full.length - 1);
});

test('MP3: every frame (header included) has ffprobe\'s packet time, duration and size; ID3v2 and Xing skipped', async () => {
  const want = await ffprobePackets(fixture('test.mp3'));
  const bytes = readFileSync(fixture('test.mp3'));
  assert.equal(bytes.toString('latin1', 0, 3), 'ID3', 'the fixture starts with an ID3v2 tag');
  const src = await MP3FileSource.open(fixture('test.mp3'));
  assert.equal(src.firstHeader.layer, 3);
  const frames = await all(src);
  assert.equal(frames.length, want.length);
  frames.forEach((f, i) => {
    assert.ok(Math.abs(f.presentationTime / 1e6 - want[i]!.pts) < 1e-5, `frame ${i}: ${f.presentationTime} vs ${want[i]!.pts}`);
    assert.ok(Math.abs(f.duration / 1e6 - want[i]!.duration) < 1e-5);
    assert.equal(f.data.length, want[i]!.size, `frame ${i} size`);
  });
});

test('MP3: an ID3v1 tag at the end and junk between frames are skipped; seek by frame index', async () => {
  const bytes = readFileSync(fixture('test.mp3'));
  const full = await all(MP3FileSource.fromBytes(bytes));
  const tag = Buffer.alloc(128, 0x20);
  tag.write('TAG', 0, 'latin1');
  const firstFrameAt = bytes.indexOf(Buffer.from(full[0]!.data.subarray(0, full[0]!.data.length)));
  const withJunk = Buffer.concat([
    bytes.subarray(0, firstFrameAt),
    Buffer.from([0xff, 0x00, 0x12, 0xff, 0xfb]), // junk, including a false sync
    bytes.subarray(firstFrameAt),
    tag,
  ]);
  const got = await all(MP3FileSource.fromBytes(withJunk));
  assert.equal(got.length, full.length);
  got.forEach((f, i) => assert.deepEqual(f.data, full[i]!.data));
  const s = MP3FileSource.fromBytes(bytes);
  s.seekToFrame(10);
  assert.equal((await s.getNextFrame())!.presentationTime, full[10]!.presentationTime);
});

/** A RIFF/WAVE file from chunks. */
function riff(chunks: Array<[string, Uint8Array]>): Buffer {
  const parts: Buffer[] = [];
  for (const [id, body] of chunks) {
    const h = Buffer.alloc(8);
    h.write(id, 0, 'latin1');
    h.writeUInt32LE(body.length, 4);
    parts.push(h, Buffer.from(body));
    if (body.length % 2) parts.push(Buffer.alloc(1));
  }
  const body = Buffer.concat(parts);
  const head = Buffer.alloc(12);
  head.write('RIFF', 0, 'latin1');
  head.writeUInt32LE(body.length + 4, 4);
  head.write('WAVE', 8, 'latin1');
  return Buffer.concat([head, body]);
}

function fmtChunk(code: number, channels: number, rate: number, bits: number, extensible = false): Buffer {
  const f = Buffer.alloc(extensible ? 40 : 16);
  f.writeUInt16LE(extensible ? 0xfffe : code, 0);
  f.writeUInt16LE(channels, 2);
  f.writeUInt32LE(rate, 4);
  f.writeUInt32LE((rate * channels * bits) / 8, 8);
  f.writeUInt16LE((channels * bits) / 8, 12);
  f.writeUInt16LE(bits, 14);
  if (extensible) {
    f.writeUInt16LE(22, 16);
    f.writeUInt16LE(bits, 18);
    f.writeUInt16LE(code, 24);
  }
  return f;
}

const list = (): Buffer => Buffer.concat([Buffer.from('INFOISFT', 'latin1'), Buffer.from([5, 0, 0, 0]), Buffer.from('abcd\0x', 'latin1')]);

test('WAV: LIST before fmt, between, and after data; odd-sized chunks padded; 16-bit as L16 big-endian in a fresh buffer', async () => {
  const tmp = tempDir();
  try {
    const samples = Buffer.alloc(8000 * 2 * 2); // 1 s, 8 kHz stereo 16-bit
    for (let i = 0; i < samples.length / 2; i++) samples.writeInt16LE(((i * 37) % 65536) - 32768, i * 2);
    const file = join(tmp.dir, 'list.wav');
    writeFileSync(file, riff([['LIST', list()], ['fmt ', fmtChunk(1, 2, 8000, 16)], ['odd ', Buffer.from([1, 2, 3])], ['data', samples], ['LIST', list()]]));
    const src = await WAVAudioFileSource.open(file);
    assert.equal(src.rtpPayloadFormatName, 'L16');
    assert.equal(src.samplingFrequency, 8000);
    assert.equal(src.numChannels, 2);
    assert.equal(src.bitsPerSample, 16);
    assert.equal(src.durationSeconds(), 1);
    const frames = await all(src);
    assert.equal(frames.length, 50); // 20 ms frames
    assert.equal(frames[1]!.presentationTime, 20_000);
    assert.equal(frames[1]!.duration, 20_000);
    const out = Buffer.concat(frames.map((f) => f.data));
    assert.equal(out.length, samples.length, 'the trailing LIST chunk is not audio');
    for (let i = 0; i < samples.length; i += 2) assert.equal(out.readInt16BE(i), samples.readInt16LE(i));
  } finally {
    tmp.cleanup();
  }
});

test('WAV: 8-bit widened to L16 or kept as L8, 24-bit extensible as L24, A-law as PCMA; frame sizes within maxFrameBytes', async () => {
  const tmp = tempDir();
  try {
    const u8 = Uint8Array.from({ length: 1600 }, (_, i) => (i * 7) % 256);
    const f8 = join(tmp.dir, 'u8.wav');
    writeFileSync(f8, riff([['fmt ', fmtChunk(1, 1, 8000, 8)], ['data', u8]]));
    const wide = Buffer.concat((await all(await WAVAudioFileSource.open(f8))).map((f) => f.data));
    assert.equal(wide.length, 3200);
    assert.equal(wide.readInt16BE(2 * 5), (u8[5]! - 128) << 8);
    const l8src = await WAVAudioFileSource.open(f8, { eightBit: 'L8' });
    assert.equal(l8src.rtpPayloadFormatName, 'L8');
    assert.deepEqual(Buffer.concat((await all(l8src)).map((f) => f.data)), Buffer.from(u8));

    const s24 = Buffer.alloc(48000 * 2 * 3 / 10); // 100 ms, 48 kHz stereo 24-bit
    for (let i = 0; i < s24.length; i++) s24[i] = (i * 13) & 0xff;
    const f24 = join(tmp.dir, 's24.wav');
    writeFileSync(f24, riff([['fmt ', fmtChunk(1, 2, 48000, 24, true)], ['data', s24]]));
    const src24 = await WAVAudioFileSource.open(f24);
    assert.equal(src24.rtpPayloadFormatName, 'L24');
    assert.equal(src24.bitsPerSample, 24);
    const frames24 = await all(src24);
    assert.ok(frames24.every((f) => f.data.length <= 1440 && f.data.length % 6 === 0));
    const out24 = Buffer.concat(frames24.map((f) => f.data));
    for (let i = 0; i < s24.length; i += 3) assert.equal(out24.readIntBE(i, 3), s24.readIntLE(i, 3));

    const alaw = Uint8Array.from({ length: 800 }, (_, i) => i & 0xff);
    const fa = join(tmp.dir, 'alaw.wav');
    writeFileSync(fa, riff([['fmt ', fmtChunk(6, 1, 8000, 8)], ['fact', Buffer.from([0x20, 3, 0, 0])], ['data', alaw]]));
    const srcA = await WAVAudioFileSource.open(fa, { frameMs: 10 });
    assert.equal(srcA.rtpPayloadFormatName, 'PCMA');
    const framesA = await all(srcA);
    assert.equal(framesA.length, 10);
    assert.deepEqual(Buffer.concat(framesA.map((f) => f.data)), Buffer.from(alaw));
  } finally {
    tmp.cleanup();
  }
});

test('WAV: µ-law fixture (ffmpeg: fmt of 18 bytes, fact and LIST chunks) delivered as PCMU, byte for byte, as long as ffprobe says', async () => {
  const r = await runPeer(findPeer('ffprobe'), ['-v', 'error', '-show_entries', 'stream=codec_name,sample_rate,duration', '-of', 'json', fixture('test-ulaw.wav')]);
  const s = (JSON.parse(r.stdout) as { streams: Array<{ codec_name: string; sample_rate: string; duration: string }> }).streams[0]!;
  assert.equal(s.codec_name, 'pcm_mulaw');
  const src = await WAVAudioFileSource.open(fixture('test-ulaw.wav'));
  assert.equal(src.rtpPayloadFormatName, 'PCMU');
  assert.equal(src.samplingFrequency, Number(s.sample_rate));
  assert.equal(src.durationSeconds(), Number(s.duration));
  const out = Buffer.concat((await all(src)).map((f) => f.data));
  const file = readFileSync(fixture('test-ulaw.wav'));
  assert.deepEqual(out, file.subarray(file.length - out.length), 'the samples are the end of the file (data is last)');
  assert.equal(out.length, 8000);
});

test('WAV: unsupported or broken files are ERR_WAV_FORMAT (float, no data, data before fmt, zero channels)', async () => {
  const tmp = tempDir();
  try {
    const cases: Array<[string, Buffer]> = [
      ['float', riff([['fmt ', fmtChunk(3, 1, 8000, 32)], ['data', Buffer.alloc(64)]])],
      ['nodata', riff([['fmt ', fmtChunk(1, 1, 8000, 16)], ['LIST', list()]])],
      ['datafirst', riff([['data', Buffer.alloc(64)], ['fmt ', fmtChunk(1, 1, 8000, 16)]])],
      ['zeroch', riff([['fmt ', fmtChunk(1, 0, 8000, 16)], ['data', Buffer.alloc(64)]])],
      ['shortfmt', riff([['fmt ', Buffer.alloc(10)], ['data', Buffer.alloc(64)]])],
    ];
    for (const [name, bytes] of cases) {
      const p = join(tmp.dir, `${name}.wav`);
      writeFileSync(p, bytes);
      await assert.rejects(WAVAudioFileSource.open(p), (e) => isDorsvrError(e, 'ERR_WAV_FORMAT'), name);
    }
  } finally {
    tmp.cleanup();
  }
});

test('any truncation or corruption of the fixtures: a prefix of the frames, or a DorsvrError; never another error', async () => {
  const tmp = tempDir();
  try {
    const aac = readFileSync(fixture('test.aac'));
    const mp3 = readFileSync(fixture('test.mp3'));
    const wav = readFileSync(fixture('test.wav'));
    const fullAac = await all(ADTSAudioFileSource.fromBytes(aac));
    const fullMp3 = await all(MP3FileSource.fromBytes(mp3));
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.double({ min: 0, max: 1, noNaN: true }), fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 8 }), async (cutAt, flips) => {
        const check = async (bytes: Buffer, make: (b: Buffer) => Promise<FramedSource> | FramedSource, full?: Frame[]): Promise<void> => {
          const cut = Buffer.from(bytes.subarray(0, Math.floor(bytes.length * cutAt)));
          let src: FramedSource;
          try {
            src = await make(cut);
          } catch (e) {
            assert.ok(isDorsvrError(e), `not a DorsvrError: ${String(e)}`);
            return;
          }
          const frames = await all(src);
          if (full) frames.forEach((f, i) => assert.deepEqual(f.data, full[i]!.data, 'a prefix of the whole file\'s frames'));
          const damaged = Buffer.from(cut);
          for (const [at, v] of flips) if (damaged.length) damaged[at % damaged.length] = v;
          try {
            await all(await make(damaged));
          } catch (e) {
            assert.ok(isDorsvrError(e), `not a DorsvrError: ${String(e)}`);
          }
        };
        await check(aac, (b) => ADTSAudioFileSource.fromBytes(b), fullAac);
        await check(mp3, (b) => MP3FileSource.fromBytes(b), fullMp3);
        await check(wav, (b) => {
          const p = join(tmp.dir, `w${n++}.wav`);
          writeFileSync(p, b);
          return WAVAudioFileSource.open(p);
        });
      }),
      { numRuns: 150 },
    );
  } finally {
    tmp.cleanup();
  }
});
