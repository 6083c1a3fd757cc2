import { DorsvrError, type DorsvrErrorCode } from './DorsvrError.js';

/**
 * Reads one boolean option of an options object (every dorsvr package uses it), failing closed:
 * `fallback` (false unless given) when `value` is undefined; anything else that is not a boolean
 * (`'false'` read from a config file or the environment, `1`, `null`) throws a {@link DorsvrError}
 * with `code` instead of counting as truthy — the options it guards lower security when on.
 */
export function booleanOption(value: unknown, name: string, code: DorsvrErrorCode, fallback = false): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new DorsvrError(code, `${name} must be true or false, not ${JSON.stringify(value) ?? String(value)}`);
  return value;
}
