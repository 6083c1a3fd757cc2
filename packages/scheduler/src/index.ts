/**
 * @packageDocumentation
 * live555's BasicUsageEnvironment for Node: a task scheduler on one monotonic microsecond clock,
 * event triggers, a virtual clock for deterministic tests, and the error class all dorsvr packages
 * share.
 */
export { DorsvrError, isDorsvrError, type DorsvrErrorOptions, type DorsvrErrorCode } from './DorsvrError.js';
export { defaultScheduler } from './defaultScheduler.js';
export type { Task, TaskToken, EventTriggerId, TaskScheduler, TaskSchedulerEvents } from './TaskScheduler.js';
export { DelayQueue } from './DelayQueue.js';
export { AbstractTaskScheduler } from './AbstractTaskScheduler.js';
export { BasicTaskScheduler, DEFAULT_TIMER_GRANULARITY_US, FIRING_BUDGET_MS, type BasicTaskSchedulerOptions } from './BasicTaskScheduler.js';
export { VirtualTaskScheduler } from './VirtualTaskScheduler.js';
export { warnUnheardError } from './warnUnheardError.js';
export { limitOption } from './limitOption.js';
export { booleanOption } from './booleanOption.js';
