import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isDorsvrError } from '@dorsvr/scheduler';
import { AnnexBParser, addEmulationPrevention, splitAnnexB } from '@dorsvr/livemedia';

/** A valid NAL unit: non-zero header byte, escaped payload, non-zero last byte. */
const nalArb = fc
  .tuple(fc.integer({ min: 1, max: 255 }), fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 1, max: 255 }))
  .map(([h, body, last]) => addEmulationPrevention(Uint8Array.of(h, ...body, last)));

const streamArb = fc.record({
  nals: fc.array(nalArb, { minLength: 1, maxLength: 12 }),
  codes: fc.array(fc.constantFrom(3, 4), { minLength: 12, maxLength: 12 }),
  leading: fc.integer({ min: 0, max: 5 }),
  trailing: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 12, maxLength: 12 }),
  cuts: fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 10 }),
});

function build(s: { nals: Uint8Array[]; codes: number[]; leading: number; trailing: number[] }): {
  bytes: Uint8Array;
  offsets: number[];
} {
  const parts: number[] = [];
  const offsets: number[] = [];
  for (let i = 0; i < s.leading; i++) parts.push(0);
  s.nals.forEach((nal, i) => {
    if (s.codes[i] === 4) parts.push(0);
    parts.push(0, 0, 1);
    offsets.push(parts.length);
    parts.push(...nal);
    for (let z = 0; z < s.trailing[i]!; z++) parts.push(0); // trailing_zero_8bits
  });
  return { bytes: Uint8Array.from(parts), offsets };
}

test('any Annex-B stream cut anywhere yields exactly its NAL units and their offsets (fast-check)', () => {
  fc.assert(
    fc.property(streamArb, (s) => {
      const { bytes, offsets } = build(s);
      const p = new AnnexBParser();
      const got = [];
      let pos = 0;
      for (let i = 0; pos < bytes.length; i++) {
        const n = s.cuts[i % s.cuts.length]!;
        got.push(...p.push(bytes.subarray(pos, pos + n)));
        pos += n;
      }
      got.push(...p.end());
      assert.deepEqual(
        got.map((g) => [...g.data]),
        s.nals.map((n) => [...n]),
      );
      assert.deepEqual(
        got.map((g) => g.offset),
        offsets,
      );
    }),
    { numRuns: 300 },
  );
});

test('a NAL unit inside one chunk is a view of it; one that straddles chunks is copied once', () => {
  const bytes = Uint8Array.of(0, 0, 0, 1, 0x67, 1, 2, 3, 0, 0, 1, 0x68, 4, 5, 0, 0, 1, 0x65, 9);
  const p = new AnnexBParser();
  const a = bytes.slice(0, 13); // ends inside the second NAL unit
  const b = bytes.slice(13);
  const first = p.push(a);
  assert.equal(first.length, 1);
  assert.equal(first[0]!.data.buffer, a.buffer, 'view of the chunk');
  assert.deepEqual([...first[0]!.data], [0x67, 1, 2, 3]);
  const second = p.push(b);
  assert.deepEqual([...second[0]!.data], [0x68, 4, 5]);
  assert.notEqual(second[0]!.data.buffer, a.buffer);
  assert.notEqual(second[0]!.data.buffer, b.buffer);
  const last = p.end();
  assert.deepEqual([...last[0]!.data], [0x65, 9]);
  assert.equal(last[0]!.offset, 17);
});

test('a NAL unit that straddles chunks is taken from the copy cache when its bytes match, else copied and offered to it', () => {
  const bytes = Uint8Array.of(0, 0, 0, 1, 0x67, 1, 2, 3, 0, 0, 1, 0x68, 4, 5, 0, 0, 1, 0x65, 9);
  const held = new Map<number, Uint8Array>();
  const cache = { find: (offset: number, length: number) => (held.get(offset)?.length === length ? held.get(offset) : undefined), add: (offset: number, copy: Uint8Array) => void held.set(offset, copy) };
  const run = (): Uint8Array => {
    const p = new AnnexBParser({ copies: cache });
    p.push(bytes.slice(0, 13));
    const [nal] = p.push(bytes.slice(13));
    return nal!.data;
  };
  const first = run();
  assert.deepEqual([...first], [0x68, 4, 5]);
  assert.equal(held.get(11), first, 'the copy is offered to the cache at its stream offset');
  assert.equal(run(), first, 'a second parser of the same bytes uses that copy');
  // A cached copy of the right length but other bytes (another file, changed since) is not used.
  const wrong = Uint8Array.of(0x68, 4, 6);
  held.set(11, wrong);
  const third = run();
  assert.notEqual(third, wrong);
  assert.deepEqual([...third], [0x68, 4, 5]);
  assert.deepEqual([...wrong], [0x68, 4, 6], 'the cached copy is not written to');
});

test('start codes split 00|00 01 and 00 00|01 across chunks are found', () => {
  for (const cut of [1, 2, 3, 4, 5, 6, 7]) {
    const bytes = Uint8Array.of(0, 0, 1, 0x41, 7, 0, 0, 1, 0x41, 8);
    const p = new AnnexBParser();
    const got = [...p.push(bytes.subarray(0, cut)), ...p.push(bytes.subarray(cut)), ...p.end()];
    assert.deepEqual(
      got.map((g) => [...g.data]),
      [
        [0x41, 7],
        [0x41, 8],
      ],
      `cut at ${cut}`,
    );
  }
});

test('bytes before the first start code are skipped; no start code at all yields nothing', () => {
  assert.deepEqual(
    splitAnnexB(Uint8Array.of(9, 9, 0, 0, 1, 0x09, 0xf0)).map((n) => [...n.data]),
    [[0x09, 0xf0]],
  );
  assert.deepEqual(splitAnnexB(Uint8Array.of(1, 2, 3, 4)), []);
  assert.deepEqual(splitAnnexB(Uint8Array.of(0, 0, 1, 0, 0, 1)), []);
});

test('a NAL unit over maxNalSize is a clear DorsvrError, not unbounded memory', () => {
  const p = new AnnexBParser({ maxNalSize: 1000 });
  p.push(Uint8Array.of(0, 0, 1, 0x65));
  assert.throws(
    () => {
      for (let i = 0; i < 10; i++) p.push(new Uint8Array(200).fill(0x55));
    },
    (e) => isDorsvrError(e, 'ERR_H26X_NAL_TOO_LARGE'),
  );
});

test('maxNalSize: a string, NaN, 0, -1 or Infinity throws ERR_H26X_OPTIONS instead of turning the limit off', () => {
  for (const bad of ['abc', Number.NaN, 0, -1, Number.POSITIVE_INFINITY, 1.5]) {
    assert.throws(
      () => new AnnexBParser({ maxNalSize: bad as number }),
      (e) => isDorsvrError(e, 'ERR_H26X_OPTIONS') && e.message.includes('maxNalSize'),
      String(bad),
    );
  }
  // A good value is accepted: a 10-byte NAL unit fits maxNalSize 10.
  const p = new AnnexBParser({ maxNalSize: 10 });
  const nals = [...p.push(Uint8Array.of(0, 0, 1, 0x65, 1, 2, 3, 4, 5, 6, 7, 8, 9)), ...p.end()];
  assert.equal(nals.length, 1);
});

test('pushSliceTo: a stream fed as slices of a few chunks yields exactly its NAL units, and one across slices of a chunk is a view of it (fast-check)', () => {
  fc.assert(
    fc.property(streamArb, fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 4 }), (s, chunkCuts) => {
      const { bytes, offsets } = build(s);
      // Copy into separate chunks (separate buffers), each fed a slice at a time.
      const chunks: Uint8Array[] = [];
      for (let pos = 0, i = 0; pos < bytes.length; i++) {
        const n = chunkCuts[i % chunkCuts.length]!;
        chunks.push(bytes.slice(pos, pos + n));
        pos += n;
      }
      const p = new AnnexBParser();
      const got: Array<{ data: Uint8Array; offset: number; inChunk: boolean; chunk: Uint8Array | null }> = [];
      let current: Uint8Array | null = null;
      const sink = { nalUnit: (data: Uint8Array, offset: number, inChunk: boolean) => got.push({ data, offset, inChunk, chunk: current }) };
      let k = 0;
      for (const chunk of chunks) {
        current = chunk;
        for (let pos = 0; pos < chunk.length; k++) {
          const end = Math.min(chunk.length, pos + s.cuts[k % s.cuts.length]!);
          p.pushSliceTo(chunk, pos, end, sink);
          pos = end;
        }
      }
      p.endTo(sink);
      assert.deepEqual(
        got.map((g) => [...g.data]),
        s.nals.map((n) => [...n]),
      );
      assert.deepEqual(
        got.map((g) => g.offset),
        offsets,
      );
      for (const g of got) {
        // A view is of the chunk being fed; a NAL unit that spans chunks is a copy.
        if (g.inChunk) assert.equal(g.data.buffer, g.chunk!.buffer);
        const start = g.offset - chunks.slice(0, chunks.indexOf(g.chunk!)).reduce((a, c) => a + c.length, 0);
        if (start >= 0) assert.ok(g.inChunk, 'a NAL unit that starts in the chunk being fed is a view of it, across its slices');
        else assert.ok(!g.inChunk, 'a NAL unit begun in an earlier chunk is a copy');
      }
    }),
    { numRuns: 300 },
  );
});
