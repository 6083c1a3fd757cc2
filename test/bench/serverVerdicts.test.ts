// The server bench's verdicts and the floor's phases (pure functions of test/bench/server.ts): what a
// reader of bench/RESULTS.md is told must follow from the measured pairs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { phasesOf, spread, verdict } from './server.js';

test('a target holds only when every pair is within it, is missed only when none is, and is within noise otherwise', () => {
  assert.equal(verdict(spread([1.2, 1.45, 1.5]), 1.5), 'holds');
  assert.equal(verdict(spread([1.6, 1.8, 1.65]), 1.5), 'misses by 7–20 %');
  assert.equal(verdict(spread([1.4, 1.6, 1.45]), 1.5), 'within noise (the 3 values straddle 1.5)');
  // A pair left out (a PAUSE went unanswered) is not counted either way.
  assert.equal(verdict(spread([NaN, 1.3, 1.4]), 1.5), 'holds');
  assert.equal(verdict(spread([NaN, NaN]), 1.5), 'not measured');
});

test('a spread gives the pooled figure when given one, else the median, and the min–max of the finite values', () => {
  const s = spread([3, 1, NaN, 2], 2.5);
  assert.deepEqual([s.median, s.min, s.max], [2.5, 1, 3]);
  assert.equal(spread([4, 1, 2, 3]).median, 2.5);
});

test('sessions whose bursts arrive together get one phase, across the period boundary too', () => {
  const period = 40;
  // Two sessions in step near the wrap (39.5 ms and 0.5 ms into the period), a third half a period off.
  const p = phasesOf(
    [
      [1000 + 39.5, 1040 + 39.5, 1080 + 39.5],
      [1040 + 0.5, 1080 + 0.5, 1120 + 0.5],
      [1000 + 20, 1040 + 20],
    ],
    period,
  );
  const circ = (a: number, b: number): number => Math.min(Math.abs(a - b), 1 - Math.abs(a - b));
  assert.ok(circ(p[0]!, p[1]!) < 0.03, `in step: ${p[0]} vs ${p[1]}`);
  assert.ok(Math.abs(circ(p[0]!, p[2]!) - 0.5) < 0.03, `half a period apart: ${p[0]} vs ${p[2]}`);
  for (const x of p) assert.ok(x >= 0 && x < 1);
  // No arrivals known: a phase in [0, 1) all the same.
  const [r] = phasesOf([[]], period);
  assert.ok(r! >= 0 && r! < 1);
});
