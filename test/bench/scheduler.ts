// Scheduler throughput: delayed tasks scheduled and fired per second, on the real scheduler (one
// Node timer for the whole queue) and on the virtual one (the queue alone), plus the cost of the
// pattern servers use most — a timeout pushed back on every keep-alive (cancel + schedule).
import { BasicTaskScheduler, VirtualTaskScheduler } from '@dorsvr/scheduler';

const N = 200_000;

function rate(n: number, ms: number): string {
  return `${Math.round((n / ms) * 1000).toLocaleString('en-US')} /s`;
}

/** Real scheduler: N tasks with delays spread over 0..10 ms, timed until the last one fires. */
async function basic(): Promise<number> {
  const s = new BasicTaskScheduler();
  const t0 = performance.now();
  let fired = 0;
  await new Promise<void>((resolve) => {
    const task = (): void => {
      if (++fired === N) resolve();
    };
    for (let i = 0; i < N; i++) s.scheduleDelayedTask((i * 7919) % 10_000, task);
  });
  const ms = performance.now() - t0;
  s.close();
  // The last task is due 10 ms after the start: that wait is not the scheduler's cost.
  return Math.max(ms - 10, 0.001);
}

/** Virtual scheduler: N tasks with random delays, then one advance that runs them all. */
function virtual(): number {
  const s = new VirtualTaskScheduler();
  let fired = 0;
  const task = (): void => void fired++;
  const t0 = performance.now();
  for (let i = 0; i < N; i++) s.scheduleDelayedTask((i * 7919) % 1_000_000, task);
  s.advance(1_000_000);
  const ms = performance.now() - t0;
  if (fired !== N) throw new Error(`virtual: ${fired} of ${N} tasks fired`);
  s.close();
  return ms;
}

/** 1 000 sessions, each timeout rescheduled N/1000 times, on the virtual clock. */
function reschedule(): number {
  const s = new VirtualTaskScheduler();
  const tokens = new Array<number>(1000).fill(0);
  const task = (): void => {};
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const k = i % 1000;
    tokens[k] = s.rescheduleDelayedTask(tokens[k], 65_000_000, task);
  }
  const ms = performance.now() - t0;
  s.close();
  return ms;
}

export async function run(): Promise<boolean> {
  virtual(); // warm-up
  const b = await basic();
  const v = virtual();
  const r = reschedule();
  console.log(`BasicTaskScheduler:   ${N} tasks scheduled + fired in ${b.toFixed(1)} ms: ${rate(N, b)}`);
  console.log(`VirtualTaskScheduler: ${N} tasks scheduled + fired in ${v.toFixed(1)} ms: ${rate(N, v)}`);
  console.log(`rescheduleDelayedTask (1000 timeouts pushed back): ${rate(N, r)}`);
  return true;
}
