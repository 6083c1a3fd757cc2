import { DorsvrError, type DorsvrErrorCode } from './DorsvrError.js';

/**
 * Reads one numeric limit of an options object (every dorsvr package uses it), failing closed: `fallback` when `value` is
 * undefined; otherwise `value` must be a finite number, and
 * - `'count'` (bytes, packets, frames, entries): an integer of at least 1;
 * - `'duration'` (a time such as µs): at least 0;
 * - `'positive'` (a timeout, a period, a limit that may be fractional): above 0.
 *
 * Anything else ('1000', NaN, 0 for a count, -1, Infinity) throws a {@link DorsvrError} with `code`
 * instead of leaving the limit off (a comparison with NaN or a string never holds) or meaningless.
 */
export function limitOption(value: unknown, fallback: number, name: string, code: DorsvrErrorCode, kind: 'count' | 'duration' | 'positive' = 'count'): number {
  if (value === undefined) return fallback;
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (kind === 'count' ? Number.isInteger(value) && value >= 1 : kind === 'duration' ? value >= 0 : value > 0);
  if (!ok) {
    const want = kind === 'count' ? 'a positive integer' : kind === 'duration' ? 'a finite number of at least 0' : 'a positive finite number';
    throw new DorsvrError(code, `${name} must be ${want}, not ${typeof value === 'string' ? JSON.stringify(value) : String(value)}`);
  }
  return value;
}
