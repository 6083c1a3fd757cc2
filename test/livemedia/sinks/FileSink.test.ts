// FileSink's own behaviour on a real file system: buffering with back-pressure, exact bytes,
// errors as DorsvrErrors, idempotent flushing close; the WAV and Annex-B sinks' per-frame rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { isDorsvrError } from '@dorsvr/scheduler';
import { ADTSAudioFileSink, AsyncIterableSource, FileSink, FramedSource, H264or5VideoFileSink, WAVAudioFileSink, parseADTSHeader, type Frame } from '@dorsvr/livemedia';
import { withTempDir } from '../../helpers/tempDir.js';
import { wavParts } from '../../helpers/mediaFiles.js';

function frame(data: Uint8Array, i = 0): Frame {
  return { data, presentationTime: i * 1000, duration: 1000 };
}

async function* frames(list: readonly Uint8Array[]): AsyncGenerator<Frame> {
  let i = 0;
  for (const d of list) yield frame(d, i++);
}

/** Frames of `size` bytes counting up, checking at each read what the sink has on disk. */
class CheckingSource extends FramedSource {
  n = 0;
  maxUnwritten = 0;
  constructor(readonly sink: FileSink, readonly count: number, readonly size: number) {
    super();
  }
  protected async readFrame(): Promise<Frame | null> {
    if (this.n > 0) this.maxUnwritten = Math.max(this.maxUnwritten, this.sink.bytesWritten - statSync(this.sink.path).size);
    if (this.n === this.count) return null;
    const d = new Uint8Array(this.size).fill(this.n & 0xff);
    return frame(d, this.n++);
  }
}

test('FileSink: every byte in order; no read while a full buffer is being written (back-pressure)', async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, 'raw.bin');
    const sink = new FileSink(path, { bufferSize: 1000 });
    const src = new CheckingSource(sink, 2000, 37);
    let ended = 0;
    sink.on('end', () => ended++);
    await sink.startPlaying(src);
    assert.equal(ended, 1);
    assert.ok(src.maxUnwritten > 0 && src.maxUnwritten < 1000 + 37, `at most a buffer unwritten: ${src.maxUnwritten}`);
    await sink.close();
    const out = readFileSync(path);
    assert.equal(out.length, 2000 * 37);
    for (let i = 0; i < 2000; i++) assert.equal(out[i * 37 + 36], i & 0xff);
    assert.equal(sink.framesWritten, 2000);
    assert.equal(sink.bytesWritten, out.length);
  });
});

test('FileSink: more than IOV_MAX tiny chunks in one flush', async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, 'tiny.bin');
    const sink = new FileSink(path, { bufferSize: 1 << 20 });
    const list = Array.from({ length: 5000 }, (_, i) => Uint8Array.of(i & 0xff, i >> 8));
    await sink.startPlaying(new AsyncIterableSource(frames(list)));
    await sink.close();
    assert.equal(Buffer.compare(readFileSync(path), Buffer.concat(list)), 0);
  });
});

test('FileSink: close is idempotent, flushes, stops a live source; a closed sink cannot play', async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, 'live.bin');
    const sink = new FileSink(path);
    let release: () => void = () => {};
    const live = new AsyncIterableSource(
      (async function* () {
        yield frame(Uint8Array.of(1, 2, 3));
        yield frame(Uint8Array.of(4, 5), 1);
        await new Promise<void>((r) => (release = r)); // a live stream that goes quiet
      })(),
    );
    let closes = 0;
    sink.on('close', () => closes++);
    const playing = sink.startPlaying(live);
    while (sink.framesWritten < 2) await new Promise((r) => setTimeout(r, 1));
    assert.equal(statSync(path).size, 0, 'still buffered');
    const c1 = sink.close();
    const c2 = sink.close();
    assert.equal(c1, c2);
    await c1;
    assert.deepEqual([...readFileSync(path)], [1, 2, 3, 4, 5], 'flushed by close while the source is quiet');
    release(); // startPlaying settles once the outstanding read does
    await playing;
    assert.equal(closes, 1);
    assert.equal(sink.closed, true);
    await assert.rejects(sink.startPlaying(live), (e) => isDorsvrError(e, 'ERR_SINK_CLOSED'));
    live.close();
  });
});

test('FileSink: a path that cannot be opened rejects startPlaying with ERR_FILE_SINK_OPEN; close still resolves', async () => {
  await withTempDir(async (dir) => {
    const sink = new FileSink(join(dir, 'no', 'such', 'dir', 'x.ts'));
    await assert.rejects(sink.startPlaying(new AsyncIterableSource(frames([Uint8Array.of(1)]))), (e) => isDorsvrError(e, 'ERR_FILE_SINK_OPEN'));
    await sink.close();
    assert.equal(existsSync(join(dir, 'no')), false);
  });
});

test('FileSink: a failing write (ENOSPC on /dev/full) rejects startPlaying and close with ERR_FILE_SINK_WRITE', async () => {
  const sink = new FileSink('/dev/full', { bufferSize: 100 });
  const list = Array.from({ length: 50 }, () => new Uint8Array(10));
  await assert.rejects(sink.startPlaying(new AsyncIterableSource(frames(list))), (e) => isDorsvrError(e, 'ERR_FILE_SINK_WRITE') && /ENOSPC/.test((e as Error).message));
  assert.ok(sink.framesWritten >= 10 && sink.framesWritten < 50, `stopped at the first failed flush: ${sink.framesWritten}`);
  await assert.rejects(sink.close(), (e) => isDorsvrError(e, 'ERR_FILE_SINK_WRITE'));
  assert.equal(sink.closed, true);
  // A sink whose only write is the last flush: startPlaying rejects from the end-of-stream flush.
  const late = new FileSink('/dev/full');
  await assert.rejects(late.startPlaying(new AsyncIterableSource(frames([Uint8Array.of(1)]))), (e) => isDorsvrError(e, 'ERR_FILE_SINK_WRITE'));
  await assert.rejects(late.close(), (e) => isDorsvrError(e, 'ERR_FILE_SINK_WRITE'));
});

test('WAVAudioFileSink: samples split across frames are rejoined; L16/L24 swapped, L8 kept, odd data padded', async () => {
  await withTempDir(async (dir) => {
    const l16 = new WAVAudioFileSink(join(dir, 'a.wav'), { format: 'L16', sampleRate: 8000, channels: 2 });
    await l16.startPlaying(new AsyncIterableSource(frames([Uint8Array.of(0x12), Uint8Array.of(0x34, 0x56, 0x78, 0x9a), Uint8Array.of(0xbc, 0xde)])));
    await l16.close();
    let w = wavParts(join(dir, 'a.wav'));
    assert.deepEqual([w.format, w.channels, w.sampleRate, w.bits], [1, 2, 8000, 16]);
    assert.equal(w.data.toString('hex'), '34127856bc9a', 'the trailing half sample (de) is not written');
    assert.equal(l16.dataBytes, 6);

    const l24 = new WAVAudioFileSink(join(dir, 'b.wav'), { format: 'L24', sampleRate: 48000 });
    await l24.startPlaying(new AsyncIterableSource(frames([Uint8Array.of(1, 2), Uint8Array.of(3, 4, 5, 6)])));
    await l24.close();
    w = wavParts(join(dir, 'b.wav'));
    assert.equal(w.bits, 24);
    assert.equal(w.data.toString('hex'), '030201060504');

    const l8 = new WAVAudioFileSink(join(dir, 'c.wav'), { format: 'L8', sampleRate: 8000 });
    await l8.startPlaying(new AsyncIterableSource(frames([Uint8Array.of(0x80, 0x81, 0x7f)])));
    await l8.close();
    const raw = readFileSync(join(dir, 'c.wav'));
    assert.equal(raw.length, 44 + 3 + 1, 'pad byte after odd data');
    assert.equal(raw.readUInt32LE(4), raw.length - 8);
    assert.equal(wavParts(join(dir, 'c.wav')).data.toString('hex'), '80817f');

    // Stopped before any frame: a valid, empty WAV.
    const empty = new WAVAudioFileSink(join(dir, 'd.wav'), { format: 'PCMA', sampleRate: 8000 });
    await empty.open();
    await empty.close();
    w = wavParts(join(dir, 'd.wav'));
    assert.deepEqual([w.format, w.data.length], [6, 0]);
  });
});

test('H264or5VideoFileSink: parameter sets once before the first frame, 4-byte start codes, Annex-B frames kept', async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, 'v.264');
    const sink = new H264or5VideoFileSink(path, { parameterSets: ['Z0IA,aM4=', undefined, Uint8Array.of(0x06, 0x05)] });
    await sink.startPlaying(new AsyncIterableSource(frames([Uint8Array.of(0x65, 1), Uint8Array.of(0, 0, 1, 0x41, 2), Uint8Array.of(0x41, 3)])));
    await sink.close();
    assert.equal(readFileSync(path).toString('hex'), ['674200', '68ce', '0605', '6501', '', '4103'].map((n) => (n ? '00000001' + n : '000001' + '4102')).join(''));
  });
});

test('ADTSAudioFileSink: a header per AU from the config; an AU too large for ADTS is dropped and counted', async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, 'a.aac');
    const sink = new ADTSAudioFileSink(path, { config: '1190' }); // AAC LC, 48 kHz, stereo
    await sink.startPlaying(new AsyncIterableSource(frames([new Uint8Array(100).fill(1), new Uint8Array(8185), new Uint8Array(8184).fill(2)])));
    await sink.close();
    assert.equal(sink.framesSkipped, 1);
    const out = readFileSync(path);
    assert.equal(out.length, 107 + 8191);
    const h1 = parseADTSHeader(out, 0)!;
    const h2 = parseADTSHeader(out, 107)!;
    assert.deepEqual([h1.audioObjectType, h1.samplingFrequency, h1.channelConfiguration, h1.frameLength, h1.hasCRC], [2, 48000, 2, 107, false]);
    assert.equal(h2.frameLength, 8191);
    assert.equal(out[106], 1);
    assert.equal(out[out.length - 1], 2);
    assert.throws(() => new ADTSAudioFileSink(path, { config: 'F94840' }), (e) => isDorsvrError(e, 'ERR_ADTS_UNREPRESENTABLE'));
    assert.throws(() => new ADTSAudioFileSink(path, { config: 'xyz' }), (e) => isDorsvrError(e, 'ERR_AUDIO_CONFIG'));
  });
});
