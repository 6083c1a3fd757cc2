import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BitReader } from '@dorsvr/livemedia';

/** The definition, one bit at a time: what BitReader's byte-at-a-time reads must agree with. */
class ReferenceReader {
  bit = 0;
  constructor(readonly buf: Uint8Array) {}
  u1(): number {
    if (this.bit >= this.buf.length * 8) throw new Error(`truncated at ${this.bit}`);
    const b = (this.buf[this.bit >> 3]! >> (7 - (this.bit & 7))) & 1;
    this.bit++;
    return b;
  }
  u(n: number): number {
    if (this.bit + n > this.buf.length * 8) throw new Error(`truncated at ${this.bit}`);
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 2 + this.u1();
    return v;
  }
  ue(): number {
    let zeros = 0;
    while (this.u1() === 0) if (++zeros > 32) throw new Error('too long');
    return zeros === 0 ? 0 : 2 ** zeros - 1 + this.u(zeros);
  }
}

type Op = { kind: 'u'; n: number } | { kind: 'ue' } | { kind: 'u1' };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('u' as const), n: fc.integer({ min: 0, max: 32 }) }),
  fc.record({ kind: fc.constant('ue' as const) }),
  fc.record({ kind: fc.constant('u1' as const) }),
);

/** Bytes with long runs of zero bits too, so that long Exp-Golomb prefixes and their limits are hit. */
const bytes = fc.array(fc.oneof(fc.constant(0), fc.constant(1), fc.constant(0x80), fc.integer({ min: 0, max: 255 })), {
  maxLength: 24,
});

test('BitReader u(n) and ue() agree with bit-by-bit reading: values, positions, and where they fail (fast-check)', () => {
  fc.assert(
    fc.property(bytes, fc.array(op, { maxLength: 20 }), (raw, ops) => {
      const buf = Uint8Array.from(raw);
      const fast = new BitReader(buf, 'test');
      const ref = new ReferenceReader(buf);
      for (const o of ops) {
        let want: number | Error;
        try {
          want = o.kind === 'u' ? ref.u(o.n) : o.kind === 'ue' ? ref.ue() : ref.u1();
        } catch (err) {
          want = err as Error;
        }
        if (want instanceof Error) {
          assert.throws(() => (o.kind === 'u' ? fast.u(o.n) : o.kind === 'ue' ? fast.ue() : fast.u1()), /ERR_H26X_PARSE|truncated|longer/);
          return;
        }
        assert.equal(o.kind === 'u' ? fast.u(o.n) : o.kind === 'ue' ? fast.ue() : fast.u1(), want, `${o.kind} at bit ${ref.bit}`);
        assert.equal(fast.position, ref.bit);
      }
    }),
    { numRuns: 3000 },
  );
});

test('BitReader ue(): 32 leading zeros are read, 33 are refused; a truncated code fails at the end', () => {
  // 32 zeros, a 1, then 32 value bits of ones: 2^32 - 1 + (2^32 - 1).
  const r = new BitReader(Uint8Array.of(0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x80));
  assert.equal(r.ue(), 2 ** 33 - 2);
  assert.equal(r.position, 65);
  assert.throws(() => new BitReader(Uint8Array.of(0, 0, 0, 0, 0x40)).ue(), /longer than 32 bits/);
  assert.throws(() => new BitReader(Uint8Array.of(0, 0)).ue(), /truncated \(needed 1 more bits at bit 16\)/);
  assert.throws(() => new BitReader(Uint8Array.of(0x01)).ue(), /truncated \(needed 7 more bits at bit 8\)/);
});
