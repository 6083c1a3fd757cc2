// ADTSAudioStreamFramer: an ADTS byte stream cut anywhere (and after some garbage) gives the same
// raw AAC frames, times and config as the indexed file reader; prepare() finds the config first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DorsvrError } from '@dorsvr/scheduler';
import { ADTSAudioFileSource, ADTSAudioStreamFramer, AsyncIterableSource, type Frame } from '@dorsvr/livemedia';
import { fixture } from '../../helpers/paths.js';

function chunks(bytes: Uint8Array, sizes: readonly number[]): Frame[] {
  const out: Frame[] = [];
  for (let off = 0, i = 0; off < bytes.length; i++) {
    const n = sizes[i % sizes.length]!;
    out.push({ data: bytes.subarray(off, off + n), presentationTime: 0, duration: 0 });
    off += n;
  }
  return out;
}

async function all(src: { getNextFrame(): Promise<Frame | null> }): Promise<Frame[]> {
  const out: Frame[] = [];
  for (let f = await src.getNextFrame(); f !== null; f = await src.getNextFrame()) out.push(f);
  return out;
}

test('an ADTS stream in odd chunks after garbage: the file reader\'s frames, times and config', async () => {
  const aac = readFileSync(fixture('test.aac'));
  const want = await all(ADTSAudioFileSource.fromBytes(aac));
  const file = ADTSAudioFileSource.fromBytes(aac);
  const input = Buffer.concat([Buffer.from('not adts at all'), aac]);
  const framer = new ADTSAudioStreamFramer(new AsyncIterableSource(chunks(input, [1, 7, 333, 2, 1000])));
  assert.equal(framer.configHex, undefined);
  await framer.prepare();
  assert.equal(framer.configHex, file.configHex);
  assert.equal(framer.sampleRate, 44100);
  assert.equal(framer.numChannels, 2);
  const got = await all(framer);
  assert.equal(got.length, want.length);
  got.forEach((f, i) => {
    assert.equal(Buffer.compare(f.data, want[i]!.data), 0, `frame ${i} bytes`);
    assert.ok(Math.abs(f.presentationTime - want[i]!.presentationTime) < 1, `frame ${i} time`);
  });
});

test('a byte stream that is not ADTS is refused (ERR_ADTS_FORMAT), not read forever', async () => {
  const framer = new ADTSAudioStreamFramer(new AsyncIterableSource(chunks(new Uint8Array(200_000).fill(0x55), [4096])), { maxResyncBytes: 10_000 });
  await assert.rejects(framer.getNextFrame(), (err: unknown) => err instanceof DorsvrError && err.code === 'ERR_ADTS_FORMAT');
});

test('maxPrepareBytes and maxResyncBytes: a string, NaN, 0, -1 or Infinity throws ERR_SOURCE_OPTIONS instead of turning the limit off', async () => {
  for (const name of ['maxPrepareBytes', 'maxResyncBytes'] as const) {
    for (const bad of ['abc', Number.NaN, 0, -1, Number.POSITIVE_INFINITY, 1.5]) {
      assert.throws(
        () => new ADTSAudioStreamFramer(new AsyncIterableSource([]), { [name]: bad } as unknown as Record<string, number>),
        (err: unknown) => err instanceof DorsvrError && err.code === 'ERR_SOURCE_OPTIONS' && err.message.includes(name),
        `${name}: ${String(bad)}`,
      );
    }
  }
  // A good value is accepted and enforced: 5000 bytes of garbage exceed maxResyncBytes 1000.
  const framer = new ADTSAudioStreamFramer(new AsyncIterableSource(chunks(new Uint8Array(5000).fill(0x55), [4096])), { maxResyncBytes: 1000, maxPrepareBytes: 4096 });
  await assert.rejects(framer.getNextFrame(), (err: unknown) => err instanceof DorsvrError && err.code === 'ERR_ADTS_FORMAT');
});
