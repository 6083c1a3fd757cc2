import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isDorsvrError } from '@dorsvr/scheduler';
import fc from 'fast-check';
import { RTPReorderBuffer, type ReorderablePacket, type RTPReorderBufferOptions } from '@dorsvr/livemedia';

const p = (seq: number, arrivalUs = 0): ReorderablePacket => ({ seq, arrivalUs });

function drain(b: RTPReorderBuffer<ReorderablePacket>, now: number): [number, number][] {
  const out: [number, number][] = [];
  for (let r = b.next(now); r; r = b.next(now)) out.push([r.packet.seq, r.lostBefore]);
  return out;
}

test('swapped packets come out in order with no loss', () => {
  const b = new RTPReorderBuffer<ReorderablePacket>();
  b.insert(p(10));
  assert.deepEqual(drain(b, 0), [[10, 0]]);
  b.insert(p(12));
  assert.deepEqual(drain(b, 0), [], '12 waits for 11');
  b.insert(p(11));
  assert.deepEqual(drain(b, 0), [[11, 0], [12, 0]]);
});

test('a gap is given up after maxDelayUs, then the missing packet is late', () => {
  const b = new RTPReorderBuffer<ReorderablePacket>({ maxDelayUs: 100_000 });
  b.insert(p(1, 0));
  b.insert(p(3, 10_000));
  b.insert(p(4, 20_000));
  assert.deepEqual(drain(b, 0), [[1, 0]]);
  assert.equal(b.nextDeadlineUs(), 110_000);
  assert.deepEqual(drain(b, 109_999), []);
  assert.deepEqual(drain(b, 110_000), [[3, 1], [4, 0]]);
  assert.equal(b.nextDeadlineUs(), null);
  assert.equal(b.insert(p(2, 120_000)), 'late');
});

test('a full buffer gives up the gap at once', () => {
  const b = new RTPReorderBuffer<ReorderablePacket>({ maxPackets: 3, maxDelayUs: 1e9 });
  b.insert(p(0));
  drain(b, 0);
  b.insert(p(3));
  b.insert(p(4));
  assert.deepEqual(drain(b, 0), []);
  b.insert(p(5));
  assert.deepEqual(drain(b, 0), [[3, 2], [4, 0], [5, 0]]);
});

test('sequence numbers wrap at 65535 and duplicates are refused', () => {
  const b = new RTPReorderBuffer<ReorderablePacket>();
  b.insert(p(65534));
  assert.equal(b.insert(p(0)), 'accepted');
  assert.equal(b.insert(p(0)), 'duplicate');
  assert.equal(b.insert(p(65535)), 'accepted');
  assert.deepEqual(drain(b, 0), [[65534, 0], [65535, 0], [0, 0]]);
  assert.equal(b.insert(p(65535)), 'late');
});

test('a sender restarting its numbering far behind is followed once the next packet confirms it', () => {
  const b = new RTPReorderBuffer<ReorderablePacket>();
  for (let seq = 30_000; seq < 30_010; seq++) b.insert(p(seq));
  drain(b, 0);
  assert.equal(b.insert(p(5)), 'late', 'one packet far behind could be a stray');
  assert.equal(b.insert(p(6)), 'accepted', 'its successor confirms the new numbering');
  assert.deepEqual(drain(b, 0), [[6, 1]], 'released with a gap so a frame in progress is dropped');
  b.insert(p(7));
  assert.deepEqual(drain(b, 0), [[7, 0]]);
  assert.equal(b.insert(p(3)), 'late', 'a little behind is plain lateness');
});

test('property: any shuffle within the window is released complete and in order, across the wrap', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 65535 }),
      fc.integer({ min: 2, max: 60 }),
      fc.array(fc.nat(), { minLength: 60, maxLength: 60 }),
      (start, n, keys) => {
        const b = new RTPReorderBuffer<ReorderablePacket>({ maxPackets: 64, maxDelayUs: 1e9 });
        // First packet in place, the rest shuffled.
        const rest = Array.from({ length: n - 1 }, (_, i) => (start + 1 + i) & 0xffff);
        rest.sort((x, y) => keys[(x - start) & 0xffff]! - keys[(y - start) & 0xffff]!);
        const out: [number, number][] = [];
        for (const seq of [start, ...rest]) {
          assert.equal(b.insert(p(seq)), 'accepted');
          out.push(...drain(b, 0));
        }
        assert.deepEqual(out, Array.from({ length: n }, (_, i) => [(start + i) & 0xffff, 0]));
        assert.equal(b.size, 0);
      },
    ),
  );
});

test('limits: a string, NaN, -1 or Infinity (and 0 or 1.5 packets) throws ERR_SOURCE_OPTIONS instead of turning the limit off', () => {
  for (const name of ['maxPackets', 'maxDelayUs'] as const) {
    const bads = name === 'maxPackets' ? ['abc', Number.NaN, 0, -1, Number.POSITIVE_INFINITY, 1.5] : ['abc', Number.NaN, -1, Number.POSITIVE_INFINITY];
    for (const bad of bads) {
      assert.throws(
        () => new RTPReorderBuffer<ReorderablePacket>({ [name]: bad } as unknown as RTPReorderBufferOptions),
        (e: unknown) => isDorsvrError(e, 'ERR_SOURCE_OPTIONS') && e.message.includes(name),
        `${name}: ${String(bad)}`,
      );
    }
  }
  // Good values are accepted: maxDelayUs 0 gives a gap up at once.
  const b = new RTPReorderBuffer<ReorderablePacket>({ maxPackets: 1, maxDelayUs: 0 });
  b.insert(p(1));
  drain(b, 0);
  b.insert(p(3));
  assert.deepEqual(drain(b, 0), [[3, 1]]);
});
