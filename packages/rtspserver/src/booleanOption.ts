import { DorsvrError } from '@dorsvr/scheduler';

/**
 * An option that is off unless given as `true`: undefined is `false`, and anything that is not a
 * boolean (`'false'` read from a config file or the environment, `1`, `null`) throws
 * `ERR_SERVER_OPTION` instead of counting as truthy. For options that lower security when on
 * (fail closed).
 */
export function booleanOption(value: unknown, name: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw new DorsvrError('ERR_SERVER_OPTION', `${name} must be true or false, not ${JSON.stringify(value) ?? String(value)}`);
  return value;
}
