import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { VirtualTaskScheduler } from '@dorsvr/scheduler';

test('tasks run in due order, each with the clock at its own due time', () => {
  const s = new VirtualTaskScheduler();
  const log: Array<[string, number]> = [];
  for (const [name, at] of [['d', 400], ['a', 100], ['c', 300], ['b', 200]] as const) {
    s.scheduleDelayedTask(at, () => log.push([name, s.now()]));
  }
  assert.equal(s.pendingCount, 4);
  assert.equal(s.advance(250), 2);
  assert.deepEqual(log, [['a', 100], ['b', 200]]);
  assert.equal(s.now(), 250);
  s.advance(1000);
  assert.deepEqual(log.map((e) => e[0]), ['a', 'b', 'c', 'd']);
  assert.equal(log[3]![1], 400);
  assert.equal(s.now(), 1250);
  assert.equal(s.pendingCount, 0);
  s.close();
});

test('tasks due at the same time run in the order they were scheduled (FIFO)', () => {
  const s = new VirtualTaskScheduler();
  const log: number[] = [];
  for (let i = 0; i < 50; i++) s.scheduleDelayedTask(i % 2 === 0 ? 10 : 20, () => log.push(i));
  s.advance(20);
  const evens = Array.from({ length: 25 }, (_, i) => 2 * i);
  const odds = evens.map((e) => e + 1);
  assert.deepEqual(log, [...evens, ...odds]);
  s.close();
});

test('the order is (due time, scheduling order) for any set of delays (property)', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: -5, max: 1000 }), { maxLength: 200 }), (delays) => {
      const s = new VirtualTaskScheduler(1000);
      const ran: number[] = [];
      delays.forEach((d, i) => s.scheduleDelayedTask(d, () => ran.push(i)));
      s.runUntilIdle();
      const expected = delays
        .map((d, i) => ({ at: Math.max(0, d), i }))
        .sort((x, y) => x.at - y.at || x.i - y.i)
        .map((e) => e.i);
      assert.deepEqual(ran, expected);
      s.close();
    }),
  );
});

test('unschedule cancels; unknown, already-run and 0 tokens are ignored', () => {
  const s = new VirtualTaskScheduler();
  const log: string[] = [];
  const a = s.scheduleDelayedTask(10, () => log.push('a'));
  const b = s.scheduleDelayedTask(20, () => log.push('b'));
  s.scheduleDelayedTask(30, () => log.push('c'));
  assert.ok(s.isScheduled(b));
  s.unscheduleDelayedTask(b);
  assert.equal(s.isScheduled(b), false);
  s.unscheduleDelayedTask(b);
  s.unscheduleDelayedTask(0);
  s.unscheduleDelayedTask(undefined);
  s.unscheduleDelayedTask(123456);
  s.advance(15);
  s.unscheduleDelayedTask(a); // already ran
  s.advance(100);
  assert.deepEqual(log, ['a', 'c']);
  s.close();
});

test('reschedule moves a task (earlier or later) and returns a new token; the old one is dead', () => {
  const s = new VirtualTaskScheduler();
  const log: Array<[string, number]> = [];
  let t = s.scheduleDelayedTask(100, () => log.push(['first', s.now()]));
  t = s.rescheduleDelayedTask(t, 500, () => log.push(['later', s.now()]));
  const t2 = s.scheduleDelayedTask(300, () => log.push(['x', s.now()]));
  const t3 = s.rescheduleDelayedTask(t2, 50, () => log.push(['earlier', s.now()]));
  assert.notEqual(t2, t3);
  s.unscheduleDelayedTask(t2); // stale token: must not cancel the rescheduled task
  s.advance(1000);
  assert.deepEqual(log, [['earlier', 50], ['later', 500]]);
  assert.equal(s.isScheduled(t), false);
  s.close();
});

test('a task rescheduled many times (a keep-alive timeout) fires once, at its last time', () => {
  const s = new VirtualTaskScheduler();
  let fired: number[] = [];
  let t = 0;
  for (let i = 0; i < 10_000; i++) {
    t = s.rescheduleDelayedTask(t, 65_000_000, () => fired.push(s.now()));
    s.advance(1000);
  }
  assert.equal(s.pendingCount, 1);
  s.runUntilIdle();
  assert.deepEqual(fired, [10_000 * 1000 - 1000 + 65_000_000]);
  fired = [];
  s.close();
});

test('re-entrant scheduling: tasks scheduled from a task run in the same advance when due', () => {
  const s = new VirtualTaskScheduler();
  const log: Array<[string, number]> = [];
  s.scheduleDelayedTask(100, () => {
    log.push(['a', s.now()]);
    s.scheduleDelayedTask(0, () => log.push(['a0', s.now()]));
    s.scheduleDelayedTask(50, () => {
      log.push(['a50', s.now()]);
      s.scheduleDelayedTask(1000, () => log.push(['too late', s.now()]));
    });
  });
  s.scheduleDelayedTask(100, () => log.push(['b', s.now()]));
  s.advance(200);
  // a0 is due at 100 too, but was scheduled after b.
  assert.deepEqual(log, [['a', 100], ['b', 100], ['a0', 100], ['a50', 150]]);
  assert.equal(s.pendingCount, 1);
  s.close();
});

test('a periodic task (like an RTCP timer) runs at every period and stops when cancelled', () => {
  const s = new VirtualTaskScheduler();
  const times: number[] = [];
  let token = 0;
  const tick = (): void => {
    times.push(s.now());
    token = s.scheduleDelayedTask(20_000, tick);
  };
  token = s.scheduleDelayedTask(20_000, tick);
  s.advance(100_000);
  assert.deepEqual(times, [20_000, 40_000, 60_000, 80_000, 100_000]);
  s.unscheduleDelayedTask(token);
  s.advance(100_000);
  assert.equal(times.length, 5);
  s.close();
});

test('runUntilIdle stops at maxUs and maxTasks, so a periodic task cannot hang it', () => {
  const s = new VirtualTaskScheduler();
  let n = 0;
  const tick = (): void => {
    n++;
    s.scheduleDelayedTask(1000, tick);
  };
  s.scheduleDelayedTask(1000, tick);
  assert.equal(s.runUntilIdle(10_500), 10);
  assert.equal(n, 10);
  assert.equal(s.now(), 10_000);
  assert.equal(s.runUntilIdle(Infinity, 25), 25);
  assert.equal(s.now(), 35_000);
  const spin = (): void => void s.scheduleDelayedTask(0, spin);
  s.scheduleDelayedTask(0, spin);
  assert.equal(s.advance(0, 1000), 1000);
  s.close();
});

test('a throwing task is reported on error; the tasks after it still run', () => {
  const s = new VirtualTaskScheduler();
  const errors: unknown[] = [];
  s.on('error', (e) => errors.push(e));
  const log: number[] = [];
  s.scheduleDelayedTask(1, () => log.push(1));
  s.scheduleDelayedTask(2, () => {
    throw new Error('boom');
  });
  s.scheduleDelayedTask(2, () => log.push(2));
  s.scheduleDelayedTask(3, () => log.push(3));
  s.advance(10);
  assert.deepEqual(log, [1, 2, 3]);
  assert.equal(errors.length, 1);
  assert.equal((errors[0] as Error).message, 'boom');
  s.close();
});

test('with no error listener a throwing task is swallowed (reported via debug), others carry on', () => {
  const s = new VirtualTaskScheduler();
  let ran = false;
  s.scheduleDelayedTask(1, () => {
    throw new Error('nobody listens');
  });
  s.scheduleDelayedTask(1, () => (ran = true));
  assert.doesNotThrow(() => s.advance(1));
  assert.equal(ran, true);
  s.close();
});

test('triggers: delivered on the next advance, never inside triggerEvent, once per call, in order', () => {
  const s = new VirtualTaskScheduler();
  const got: Array<[number | undefined, number]> = [];
  const id = s.createEventTrigger<number>((d) => got.push([d, s.now()]));
  s.triggerEvent(id, 1);
  s.triggerEvent(id, 2);
  assert.deepEqual(got, []);
  s.advance(5);
  assert.deepEqual(got, [[1, 0], [2, 0]]);
  s.triggerEvent(id);
  s.runUntilIdle();
  assert.deepEqual(got.at(-1), [undefined, 5]);
  s.close();
});

test('triggers fired from inside a task or a handler run after it, never re-entrantly', () => {
  const s = new VirtualTaskScheduler();
  const log: string[] = [];
  let depth = 0;
  const id = s.createEventTrigger<string>((d) => {
    assert.equal(depth, 0, 'handler ran inside another callback');
    log.push(`trigger ${d}@${s.now()}`);
    if (d === 'from-task') s.triggerEvent(id, 'from-handler');
  });
  s.scheduleDelayedTask(10, () => {
    depth++;
    s.triggerEvent(id, 'from-task');
    log.push('task done');
    depth--;
  });
  s.scheduleDelayedTask(20, () => log.push('task 20'));
  s.advance(30);
  assert.deepEqual(log, ['task done', 'trigger from-task@10', 'trigger from-handler@10', 'task 20']);
  s.close();
});

test('a deleted trigger drops its pending deliveries and ignores new ones; other triggers unaffected', () => {
  const s = new VirtualTaskScheduler();
  const got: string[] = [];
  const a = s.createEventTrigger<string>((d) => got.push(`a${d}`));
  const b = s.createEventTrigger<string>((d) => got.push(`b${d}`));
  assert.notEqual(a, b);
  s.triggerEvent(a, '1');
  s.triggerEvent(b, '1');
  s.deleteEventTrigger(a);
  s.triggerEvent(a, '2');
  s.runUntilIdle();
  assert.deepEqual(got, ['b1']);
  // A handler that deletes another trigger before its delivery: that delivery is dropped.
  const c = s.createEventTrigger(() => {
    got.push('c');
    s.deleteEventTrigger(b);
  });
  s.triggerEvent(c);
  s.triggerEvent(b, '2');
  s.runUntilIdle();
  assert.deepEqual(got, ['b1', 'c']);
  s.close();
});

test('100 000 tasks with random delays, a third cancelled: the rest run once each, in order', () => {
  const s = new VirtualTaskScheduler();
  const N = 100_000;
  let seed = 12345;
  const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const tokens: number[] = [];
  const ran = new Uint8Array(N);
  let lastAt = -1;
  let outOfOrder = 0;
  const delay = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    delay[i] = Math.floor(rnd() * 1_000_000);
    tokens.push(
      s.scheduleDelayedTask(delay[i]!, () => {
        ran[i]!++;
        if (s.now() < lastAt || s.now() !== delay[i]) outOfOrder++;
        lastAt = s.now();
      }),
    );
  }
  for (let i = 0; i < N; i += 3) s.unscheduleDelayedTask(tokens[i]);
  assert.equal(s.pendingCount, N - Math.ceil(N / 3));
  s.advance(1_000_000);
  assert.equal(outOfOrder, 0);
  for (let i = 0; i < N; i++) assert.equal(ran[i], i % 3 === 0 ? 0 : 1, `task ${i}`);
  assert.equal(s.pendingCount, 0);
  s.close();
});

test('wall clock = configured epoch + virtual time; close() drops everything and is idempotent', () => {
  const epoch = Date.UTC(2030, 0, 1) * 1000;
  const s = new VirtualTaskScheduler(0, epoch);
  assert.equal(s.wallClockUs(), epoch);
  s.advance(1_500_000);
  assert.equal(s.wallClockUs(), epoch + 1_500_000);
  let ran = false;
  s.scheduleDelayedTask(1, () => (ran = true));
  const id = s.createEventTrigger(() => (ran = true));
  s.triggerEvent(id);
  s.close();
  s.close();
  assert.equal(s.isClosed, true);
  assert.equal(s.pendingCount, 0);
  assert.equal(s.scheduleDelayedTask(1, () => (ran = true)), 0);
  s.advance(10);
  s.runUntilIdle();
  assert.equal(ran, false);
});

test('close() from inside a task stops the rest of the run', () => {
  const s = new VirtualTaskScheduler();
  const log: number[] = [];
  s.scheduleDelayedTask(1, () => {
    log.push(1);
    s.close();
  });
  s.scheduleDelayedTask(1, () => log.push(2));
  s.advance(10);
  assert.deepEqual(log, [1]);
});

test('a trigger handler that re-triggers itself forever cannot hang advance or runUntilIdle', () => {
  const s = new VirtualTaskScheduler();
  let n = 0;
  const id = s.createEventTrigger(() => {
    n++;
    s.triggerEvent(id);
  });
  s.triggerEvent(id);
  s.advance(10, 500);
  assert.equal(n, 500);
  s.runUntilIdle(Infinity, 100);
  assert.equal(n, 600);
  s.close();
});
