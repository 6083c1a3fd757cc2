import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { addEmulationPrevention, removeEmulationPrevention } from '@dorsvr/livemedia';

test('emulation prevention: 00 00 03 0x loses its 03 (spec examples)', () => {
  assert.deepEqual([...removeEmulationPrevention(Uint8Array.of(0x67, 0, 0, 3, 1, 0, 0, 3, 0, 0, 0, 3))], [0x67, 0, 0, 1, 0, 0, 0, 0, 0]);
  assert.deepEqual([...addEmulationPrevention(Uint8Array.of(0, 0, 0, 0, 0, 2, 0, 0))], [0, 0, 3, 0, 0, 3, 0, 2, 0, 0, 3]);
  const none = Uint8Array.of(1, 2, 0, 0, 4);
  assert.equal(removeEmulationPrevention(none), none, 'no copy when there is nothing to remove');
  assert.deepEqual([...removeEmulationPrevention(Uint8Array.of(5, 0, 0, 3, 0, 9), 4)], [5, 0, 0]);
});

test('remove(add(x)) = x and add(x) never contains a start code or 00 00 00 (fast-check)', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (x) => {
      const escaped = addEmulationPrevention(x);
      assert.deepEqual([...removeEmulationPrevention(escaped)], [...x]);
      for (let i = 2; i < escaped.length; i++) {
        if (escaped[i - 2] === 0 && escaped[i - 1] === 0) assert.ok(escaped[i]! >= 3, `00 00 ${escaped[i]} at ${i}`);
      }
    }),
    { numRuns: 500 },
  );
});
