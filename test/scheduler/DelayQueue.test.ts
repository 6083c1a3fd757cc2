import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DelayQueue } from '@dorsvr/scheduler';

test('DelayQueue matches a plain model under random add / remove (stale tokens too) / popDue', () => {
  const op = fc.oneof(
    fc.record({ kind: fc.constant('add' as const), at: fc.integer({ min: 0, max: 50 }) }),
    fc.record({ kind: fc.constant('remove' as const), pick: fc.nat() }),
    fc.record({ kind: fc.constant('pop' as const), now: fc.integer({ min: 0, max: 60 }) }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
      const q = new DelayQueue();
      // The model: pending tasks by token, in scheduling order; every token ever handed out.
      const model = new Map<number, { at: number; seq: number; id: number }>();
      const tokens: number[] = [];
      let seq = 0;
      let ran: number[] = [];
      for (const o of ops) {
        if (o.kind === 'add') {
          const id = seq++;
          const t = q.add(o.at, () => ran.push(id));
          assert.ok(t !== 0);
          assert.ok(!model.has(t), 'a token is never handed out twice while pending');
          model.set(t, { at: o.at, seq: id, id });
          tokens.push(t);
        } else if (o.kind === 'remove') {
          if (tokens.length === 0) continue;
          const t = tokens[o.pick % tokens.length]!;
          assert.equal(q.remove(t), model.delete(t));
          assert.equal(q.has(t), false);
        } else {
          ran = [];
          for (let task = q.popDue(o.now); task; task = q.popDue(o.now)) task();
          const due = [...model.entries()].filter(([, e]) => e.at <= o.now).sort(([, a], [, b]) => a.at - b.at || a.seq - b.seq);
          assert.deepEqual(ran, due.map(([, e]) => e.id));
          for (const [t] of due) model.delete(t);
        }
        assert.equal(q.size, model.size);
        for (const t of tokens) assert.equal(q.has(t), model.has(t), 'has() agrees for current and stale tokens');
        const earliest = Math.min(...[...model.values()].map((e) => e.at));
        assert.equal(q.peekTime(), model.size > 0 ? earliest : undefined);
      }
    }),
    { numRuns: 300 },
  );
});

test('DelayQueue reuses its entries: a token of a task that ran or was cancelled never matches the next task in that slot', () => {
  const q = new DelayQueue();
  const a = q.add(10, () => {});
  assert.ok(q.popDue(10));
  const b = q.add(20, () => {});
  assert.notEqual(a, b);
  assert.equal(q.remove(a), false, 'the stale token cancels nothing');
  assert.equal(q.has(b), true);
  assert.equal(q.remove(b), true);
  // A cancelled entry leaves the heap lazily; its slot is reused only then, under a new token.
  assert.equal(q.peekTime(), undefined);
  const c = q.add(30, () => {});
  assert.ok(c !== a && c !== b);
  assert.equal(q.size, 1);
  q.clear();
  assert.equal(q.has(c), false);
  assert.equal(q.size, 0);
});
