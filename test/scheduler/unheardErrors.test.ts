// Errors nobody listens for become process warnings instead of vanishing (eventemitter3 does not
// throw on an unheard 'error' event).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import { BasicTaskScheduler, VirtualTaskScheduler, warnUnheardError } from '@dorsvr/scheduler';

/** Collects the process warnings emitted while `body` runs (they are delivered on a later tick). */
async function warningsDuring(body: () => void | Promise<void>): Promise<Array<Error & { code?: string }>> {
  const seen: Array<Error & { code?: string }> = [];
  const onWarning = (w: Error): void => void seen.push(w);
  process.on('warning', onWarning);
  try {
    await body();
    await tick();
    await tick();
  } finally {
    process.off('warning', onWarning);
  }
  return seen;
}

test('a task that throws with no error listener is a process warning carrying the error; the other tasks still run', async () => {
  const boom = new Error('boom in a task');
  let ran = false;
  const s = new VirtualTaskScheduler();
  const warnings = await warningsDuring(() => {
    s.scheduleDelayedTask(1, () => {
      throw boom;
    });
    s.scheduleDelayedTask(2, () => (ran = true));
    s.advance(10);
  });
  s.close();
  assert.equal(ran, true);
  assert.equal(warnings.length, 1);
  assert.equal(warnings[0]!.name, 'DorsvrWarning');
  assert.equal(warnings[0]!.code, 'DORSVR_UNHEARD_ERROR');
  assert.match(warnings[0]!.message, /boom in a task/);
  assert.equal(warnings[0]!.cause, boom);
});

test('with an error listener there is no warning; an error listener that throws is a warning too', async () => {
  const s = new VirtualTaskScheduler();
  const errors: unknown[] = [];
  s.on('error', (e) => errors.push(e));
  const quiet = await warningsDuring(() => {
    s.scheduleDelayedTask(1, () => {
      throw new Error('heard');
    });
    s.advance(5);
  });
  assert.equal(errors.length, 1);
  assert.equal(quiet.length, 0);
  s.removeAllListeners('error');
  s.on('error', () => {
    throw new Error('listener broke');
  });
  const loud = await warningsDuring(() => {
    s.scheduleDelayedTask(1, () => {
      throw new Error('task broke');
    });
    s.advance(5);
  });
  s.close();
  assert.equal(loud.length, 1);
  assert.match(loud[0]!.message, /listener broke/);
});

test('BasicTaskScheduler: trigger handlers that throw with no listener warn as well', async () => {
  const s = new BasicTaskScheduler();
  const warnings = await warningsDuring(async () => {
    const id = s.createEventTrigger(() => {
      throw new Error('trigger failed');
    });
    s.triggerEvent(id);
    await tick();
    await tick();
  });
  s.close();
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!.message, /trigger failed/);
});

test('one emitter warns ten times, then once that the rest go to debug only', async () => {
  const emitter = {};
  const warnings = await warningsDuring(() => {
    for (let i = 0; i < 25; i++) warnUnheardError(emitter, 'test emitter', new Error(`e${i}`));
  });
  assert.equal(warnings.length, 11);
  assert.match(warnings[9]!.message, /e9$/);
  assert.match(warnings[10]!.message, /further ones are logged to DEBUG=dorsvr:scheduler:unheard/);
  // Another emitter has its own count.
  const other = await warningsDuring(() => warnUnheardError({}, 'another', 'a string error'));
  assert.equal(other.length, 1);
  assert.match(other[0]!.message, /a string error/);
});
