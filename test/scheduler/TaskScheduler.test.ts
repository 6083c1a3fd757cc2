import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BasicTaskScheduler, VirtualTaskScheduler } from '@dorsvr/scheduler';

test('VirtualTaskScheduler runs tasks in due order at their own time; cancel and reschedule work', () => {
  const s = new VirtualTaskScheduler(0);
  const log: string[] = [];
  s.scheduleDelayedTask(300, () => log.push(`c@${s.now()}`));
  const b = s.scheduleDelayedTask(200, () => log.push(`b@${s.now()}`));
  s.scheduleDelayedTask(100, () => {
    log.push(`a@${s.now()}`);
    s.scheduleDelayedTask(50, () => log.push(`a2@${s.now()}`)); // scheduled from a task
  });
  s.scheduleDelayedTask(100, () => log.push(`a'@${s.now()}`)); // same time: scheduling order
  const moved = s.rescheduleDelayedTask(b, 1000, () => log.push(`b'@${s.now()}`));
  const gone = s.scheduleDelayedTask(10, () => log.push('never'));
  s.unscheduleDelayedTask(gone);
  s.unscheduleDelayedTask(0);
  s.advance(500);
  assert.deepEqual(log, ['a@100', "a'@100", 'a2@150', 'c@300']);
  assert.equal(s.now(), 500);
  s.advance(500);
  assert.deepEqual(log.at(-1), "b'@1000");
  assert.ok(moved > 0);
  s.close();
});

test('a throwing task is reported on error and the others still run', () => {
  const s = new VirtualTaskScheduler();
  const errors: unknown[] = [];
  s.on('error', (e) => errors.push(e));
  let ran = false;
  s.scheduleDelayedTask(1, () => {
    throw new Error('boom');
  });
  s.scheduleDelayedTask(2, () => (ran = true));
  s.advance(10);
  assert.equal(errors.length, 1);
  assert.equal(ran, true);
  s.close();
});

test('event triggers run later, never inside triggerEvent, once per call, in order', () => {
  const s = new VirtualTaskScheduler();
  const got: unknown[] = [];
  const id = s.createEventTrigger<number>((d) => got.push(d));
  s.triggerEvent(id, 1);
  s.triggerEvent(id, 2);
  assert.deepEqual(got, []);
  s.runUntilIdle();
  assert.deepEqual(got, [1, 2]);
  s.deleteEventTrigger(id);
  s.triggerEvent(id, 3);
  s.runUntilIdle();
  assert.deepEqual(got, [1, 2]);
  s.close();
});

test('BasicTaskScheduler: real time, monotonic µs, wall clock near Date.now(), close() stops everything', async () => {
  const s = new BasicTaskScheduler();
  const t0 = s.now();
  assert.ok(Math.abs(s.wallClockUs() / 1000 - Date.now()) < 50);
  const fired = await new Promise<number>((resolve) => s.scheduleDelayedTask(20_000, () => resolve(s.now())));
  assert.ok(fired - t0 >= 19_000, `fired after ${fired - t0} µs`);
  const id = s.createEventTrigger(() => {});
  let late = false;
  s.scheduleDelayedTask(5000, () => (late = true));
  s.triggerEvent(id);
  s.close();
  s.close();
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(late, false);
});
