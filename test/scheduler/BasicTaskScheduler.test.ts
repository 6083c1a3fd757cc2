import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { createConnection, createServer, type Socket } from 'node:net';
import { BasicTaskScheduler, DEFAULT_TIMER_GRANULARITY_US, DorsvrError } from '@dorsvr/scheduler';

/** Active Node timers in this process (setTimeout/setInterval handles). */
function activeTimers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

test('now() is monotonic in µs and wallClockUs() is a fixed offset from it near Date.now()', async () => {
  const s = new BasicTaskScheduler();
  const a = s.now();
  const wa = s.wallClockUs();
  assert.ok(Math.abs(wa / 1000 - Date.now()) < 100, `wall clock ${wa / 1000} vs ${Date.now()}`);
  await sleep(15);
  const b = s.now();
  const wb = s.wallClockUs();
  assert.ok(b - a >= 14_000 && b - a < 1_000_000, `slept 15 ms, clock moved ${b - a} µs`);
  assert.ok(Math.abs(wb - wa - (b - a)) < 2000, 'wall clock moves with now()');
  let prev = s.now();
  for (let i = 0; i < 10_000; i++) {
    const t = s.now();
    assert.ok(t >= prev);
    prev = t;
  }
  s.close();
});

test('a 5 ms task fires no earlier than 5 ms and within a generous bound on a busy loop', async () => {
  const s = new BasicTaskScheduler();
  // Keep the event loop busy with other work meanwhile.
  let spins = 0;
  const busy = setInterval(() => {
    const end = performance.now() + 1;
    while (performance.now() < end) spins++;
  }, 0);
  try {
    const start = s.now();
    const startReal = performance.now();
    const fired = await new Promise<number>((resolve) => s.scheduleDelayedTask(5000, () => resolve(s.now())));
    const realMs = performance.now() - startReal;
    assert.ok(fired - start >= 5000, `fired after ${fired - start} µs`);
    assert.ok(realMs >= 5 && realMs < 500, `fired after ${realMs} ms of real time`);
    assert.ok(spins > 0);
  } finally {
    clearInterval(busy);
    s.close();
  }
});

test('tasks fire in due order with same-time FIFO on the real clock', async () => {
  const s = new BasicTaskScheduler();
  const log: string[] = [];
  const done = new Promise<void>((resolve) => {
    s.scheduleDelayedTask(30_000, () => {
      log.push('30ms');
      resolve();
    });
  });
  s.scheduleDelayedTask(10_000, () => log.push('10ms-a'));
  s.scheduleDelayedTask(2_000, () => log.push('2ms'));
  s.scheduleDelayedTask(10_000, () => log.push('10ms-b'));
  const gone = s.scheduleDelayedTask(1_000, () => log.push('cancelled'));
  s.unscheduleDelayedTask(gone);
  await done;
  assert.deepEqual(log, ['2ms', '10ms-a', '10ms-b', '30ms']);
  s.close();
});

test('100 000 tasks share one Node timer, fire once each in order, and the timer is released', async () => {
  const s = new BasicTaskScheduler();
  const before = activeTimers();
  const N = 100_000;
  let fired = 0;
  let maxLower = -1;
  let outOfOrder = 0;
  let early = 0;
  const done = new Promise<void>((resolve) => {
    for (let i = 0; i < N; i++) {
      // Delays 1..20 ms in a scrambled order. The due time lies in [lower, upper]; a task whose
      // window ends before an earlier-fired task's window begins has been run out of order.
      const delay = 1000 + ((i * 7919) % 20) * 1000;
      const lower = s.now() + delay;
      s.scheduleDelayedTask(delay, () => {
        if (s.now() < lower) early++;
        if (upper < maxLower) outOfOrder++;
        if (lower > maxLower) maxLower = lower;
        if (++fired === N) resolve();
      });
      const upper = s.now() + delay;
    }
  });
  assert.equal(activeTimers() - before, 1, 'exactly one Node timer while 100 000 tasks are pending');
  assert.equal(s.pendingCount, N);
  await done;
  assert.equal(fired, N);
  assert.equal(outOfOrder, 0);
  assert.equal(early, 0);
  assert.equal(activeTimers() - before, 0, 'timer released once the queue is empty');
  s.close();
});

test('cancelling every pending task releases the timer (process may exit)', () => {
  const s = new BasicTaskScheduler();
  const before = activeTimers();
  const tokens = Array.from({ length: 1000 }, (_, i) => s.scheduleDelayedTask(60_000_000 + i, () => {}));
  assert.equal(activeTimers() - before, 1);
  for (const t of tokens) s.unscheduleDelayedTask(t);
  assert.equal(activeTimers() - before, 0);
  s.close();
});

test('a task far in the future (beyond Node\'s 24.8-day timer limit) does not fire early', async () => {
  const s = new BasicTaskScheduler();
  let fired = false;
  s.scheduleDelayedTask(30 * 24 * 3600 * 1e6, () => (fired = true));
  await sleep(20);
  assert.equal(fired, false);
  s.close();
});

test('re-entrant scheduling, rescheduling and a throwing task on the real scheduler', async () => {
  const s = new BasicTaskScheduler();
  const errors: unknown[] = [];
  s.on('error', (e) => errors.push(e));
  const log: string[] = [];
  let tok = s.scheduleDelayedTask(1000, () => log.push('moved-away'));
  // Far enough past the others (due by 5 ms) that a loaded machine's late timers cannot swap them.
  tok = s.rescheduleDelayedTask(tok, 250_000, () => log.push('rescheduled'));
  await new Promise<void>((resolve) => {
    s.scheduleDelayedTask(2000, () => {
      throw new Error('boom');
    });
    s.scheduleDelayedTask(2000, () => {
      log.push('outer');
      s.scheduleDelayedTask(0, () => log.push('inner-0'));
      s.scheduleDelayedTask(3000, () => {
        log.push('inner-3ms');
        s.scheduleDelayedTask(300_000, resolve);
      });
    });
  });
  assert.deepEqual(log, ['outer', 'inner-0', 'inner-3ms', 'rescheduled']);
  assert.equal(errors.length, 1);
  assert.equal(s.isScheduled(tok), false);
  s.close();
});

test('triggers: handler runs soon after, never inside triggerEvent, from any callback; deleted triggers never run', async () => {
  const s = new BasicTaskScheduler();
  const got: Array<string | undefined> = [];
  let inside = false;
  const dead = s.createEventTrigger(() => got.push('dead'));
  const id = s.createEventTrigger<string>((d) => {
    assert.equal(inside, false, 'handler ran inside triggerEvent');
    got.push(d);
  });
  inside = true;
  s.triggerEvent(id, 'sync');
  s.triggerEvent(dead);
  inside = false;
  s.deleteEventTrigger(dead);
  assert.deepEqual(got, []);
  await sleep(5);
  assert.deepEqual(got, ['sync']);
  // From a foreign callback (a timer that is not the scheduler's) and from inside a task.
  await new Promise<void>((resolve) => {
    const last = s.createEventTrigger(() => resolve());
    setTimeout(() => s.triggerEvent(id, 'foreign'), 1);
    s.scheduleDelayedTask(3000, () => {
      inside = true;
      s.triggerEvent(id, 'from-task');
      s.triggerEvent(last);
      inside = false;
    });
  });
  assert.deepEqual(got, ['sync', 'foreign', 'from-task']);
  s.close();
});

test('close() cancels pending tasks and triggers, is idempotent, and leaves no timer behind', async () => {
  const before = activeTimers();
  const s = new BasicTaskScheduler();
  let ran = false;
  s.scheduleDelayedTask(1000, () => (ran = true));
  const id = s.createEventTrigger(() => (ran = true));
  s.triggerEvent(id);
  s.close();
  s.close();
  assert.equal(activeTimers() - before, 0);
  s.triggerEvent(id);
  assert.equal(s.scheduleDelayedTask(1, () => (ran = true)), 0);
  await sleep(10);
  assert.equal(ran, false);
});

/**
 * Ten streams paced every 5 ms, half a millisecond apart (a small server's packets), for `ms`:
 * counts the Node timers the scheduler arms and the tasks run before their due time.
 */
async function pacedStreams(s: BasicTaskScheduler, ms: number): Promise<{ armed: number; early: number; runs: number }> {
  const realSetTimeout = globalThis.setTimeout;
  let armed = 0;
  let runs = 0;
  let early = 0;
  // Only while the streams run: every timer armed meanwhile is the scheduler's.
  globalThis.setTimeout = ((f: () => void, delay?: number) => {
    armed++;
    return realSetTimeout(f, delay);
  }) as typeof setTimeout;
  try {
    const t0 = s.now();
    await new Promise<void>((resolve) => {
      let left = 10;
      for (let i = 0; i < 10; i++) {
        let due = t0 + 1000 + i * 500;
        // As a paced sink does: send what is due, then wait for the next frame's time.
        const task = (): void => {
          let now = s.now();
          do {
            runs++;
            if (now < due) early++;
            due += 5000;
            now = s.now();
          } while (due <= now);
          if (now - t0 < ms * 1000) s.scheduleDelayedTask(due - now, task);
          else if (--left === 0) resolve();
        };
        s.scheduleDelayedTask(due - s.now(), task);
      }
    });
  } finally {
    globalThis.setTimeout = realSetTimeout;
  }
  return { armed, early, runs };
}

test('tasks due in one granularity slot share a wake-up: paced streams arm about one timer per slot, none runs early', async () => {
  const s = new BasicTaskScheduler({ granularityUs: 4000 });
  assert.equal(s.granularityUs, 4000);
  const r = await pacedStreams(s, 300);
  s.close();
  assert.equal(r.early, 0, 'no task ran before its due time');
  assert.ok(r.runs >= 500, `${r.runs} task runs`);
  // 300 ms of 4 ms slots: ~75 wake-ups (fewer when the machine is slow), never one per task. (A
  // timer armed by a task scheduling the next one while due tasks run, for a task that very firing
  // takes, would double this: ~240.)
  assert.ok(r.armed <= 75 * 1.5 + 5, `${r.armed} timers armed for ${r.runs} task runs`);
});

test('the default granularity is DEFAULT_TIMER_GRANULARITY_US; a bad one is refused', () => {
  assert.equal(new BasicTaskScheduler().granularityUs, DEFAULT_TIMER_GRANULARITY_US);
  for (const bad of [-1, NaN, Infinity, '4' as unknown as number]) {
    assert.throws(() => new BasicTaskScheduler({ granularityUs: bad }), (e: unknown) => e instanceof DorsvrError && e.code === 'ERR_SCHEDULER_OPTIONS');
  }
});

test('a task due at once is not held back to the end of a granularity slot', async () => {
  const s = new BasicTaskScheduler({ granularityUs: 1_000_000 });
  const start = performance.now();
  await new Promise<void>((resolve) => s.scheduleDelayedTask(0, resolve));
  const waited = performance.now() - start;
  s.close();
  assert.ok(waited < 500, `a 0 µs task waited ${waited} ms with 1 s slots`);
});

test('a task falling due while due tasks run is run by the same firing, not by a timer of its own', async () => {
  const s = new BasicTaskScheduler({ granularityUs: 0 });
  const realSetTimeout = globalThis.setTimeout;
  let armed = 0;
  globalThis.setTimeout = ((f: () => void, delay?: number) => {
    armed++;
    return realSetTimeout(f, delay);
  }) as typeof setTimeout;
  let bRan = false;
  let bRanBeforeNextTurn: boolean | undefined;
  try {
    // B's due time is taken when it is scheduled, 2.5 ms on: always after A's, even when this
    // process is preempted between the two calls (a fixed t0 + 3.5 ms made B's delay negative
    // under load, due before A, and a second timer was rightly armed for it).
    let bDue = Infinity;
    await new Promise<void>((resolve) => {
      s.scheduleDelayedTask(1000, () => {
        // Busy until B is due (a firing whose sends take a while): B falls due during this run.
        while (s.now() <= bDue + 200) {
          /* spin */
        }
        // Runs after this timer turn: B has run by then only if this very firing ran it.
        setImmediate(() => {
          bRanBeforeNextTurn = bRan;
          resolve();
        });
      });
      s.scheduleDelayedTask(2500, () => {
        bRan = true;
      });
      // Read after B is scheduled, so never before B's real due time (read before, a preemption
      // between the two calls of more than the spin's 200 µs margin left B not yet due).
      bDue = s.now() + 2500;
    });
  } finally {
    globalThis.setTimeout = realSetTimeout;
  }
  await sleep(20);
  s.close();
  assert.equal(bRan, true);
  assert.equal(bRanBeforeNextTurn, true, 'B waited for another turn of the event loop');
  assert.equal(armed, 1, `${armed} timers armed for two tasks one firing could run`);
});

test('a firing with a long backlog of due tasks lets the event loop poll I/O every few milliseconds, and runs every task in order', async () => {
  // 4000 tasks due at once, each ~50 µs of work (200 ms together): a socket's bytes must be read
  // after a bounded part of them, not after all (counted in tasks, not timed).
  const s = new BasicTaskScheduler({ granularityUs: 0 });
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const accepted = new Promise<Socket>((r) => server.once('connection', r));
  const client = createConnection((server.address() as { port: number }).port, '127.0.0.1');
  await new Promise<void>((r) => client.once('connect', () => r()));
  const peer = await accepted;
  try {
    const N = 4000;
    const order: number[] = [];
    let all!: () => void;
    const done = new Promise<void>((r) => (all = r));
    const polled = new Promise<number>((r) => peer.once('data', () => r(order.length)));
    // From the check phase, and held there until the tasks are due: the next turn's timers phase
    // (the scheduler's firing) comes before its poll.
    setImmediate(() => {
      for (let i = 0; i < N; i++) {
        s.scheduleDelayedTask(0, () => {
          order.push(i);
          const until = performance.now() + 0.05;
          while (performance.now() < until);
          if (order.length === N) all();
        });
      }
      client.write('x');
      const until = performance.now() + 5;
      while (performance.now() < until);
    });
    const ranBeforePoll = await polled;
    assert.ok(ranBeforePoll < 1000, `${ranBeforePoll} of ${N} due tasks ran before the socket was read`);
    await done;
    assert.deepEqual(order, Array.from({ length: N }, (_, i) => i));
  } finally {
    s.close();
    client.destroy();
    peer.destroy();
    server.close();
  }
});
