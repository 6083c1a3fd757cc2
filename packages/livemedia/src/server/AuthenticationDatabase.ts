import { DorsvrError } from '@dorsvr/scheduler';

/** The Digest hash algorithms an RTSP server offers (RFC 7616): MD5 (ffmpeg) and SHA-256. */
export type ServerDigestAlgorithm = 'MD5' | 'SHA-256';

/**
 * What an RTSP server needs to check credentials for one realm: the structural type of
 * `@dorsvr/rtspserver`'s `UserAuthenticationDatabase` (any object with these members works, a
 * database from another copy of the package included). Given to an `RTSPServer` (every stream)
 * or to a {@link @dorsvr/livemedia!ServerMediaSession} (that stream only, instead of the server's).
 *
 * Both methods must answer synchronously: a `Promise` (or any other value than a string from
 * {@link ha1}, or than `true` from {@link checkPassword}) counts as a refusal.
 */
export interface AuthenticationDatabase {
  /** The Digest realm: shown to users and hashed into their credentials. No quotes, backslashes or line breaks. */
  readonly realm: string;
  /** `H(username:realm:password)` with the algorithm's hash, lower-case hex; undefined for an unknown user. */
  ha1(username: string, algorithm: ServerDigestAlgorithm): string | undefined;
  /**
   * True when `password` is this user's password (Basic authentication). Compare in constant time
   * and do the same work for an unknown user (`UserAuthenticationDatabase` does), or the time of
   * an answer tells which user names exist.
   */
  checkPassword(username: string, password: string): boolean;
}

/** True when `value` has the members of an {@link AuthenticationDatabase} (and a usable realm). */
export function isAuthenticationDatabase(value: unknown): value is AuthenticationDatabase {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return false;
  const v = value as Partial<Record<keyof AuthenticationDatabase, unknown>>;
  return typeof v.realm === 'string' && !/["\\\r\n]/.test(v.realm) && typeof v.ha1 === 'function' && typeof v.checkPassword === 'function';
}

/**
 * Returns `value` when it is an {@link AuthenticationDatabase} or `undefined` (no database);
 * anything else (a `Map`, a plain object of users, `null`, a string, an object whose realm has
 * quotes or line breaks) throws `ERR_AUTH_DATABASE`: a misconfigured database must never mean a
 * stream served without credentials. `what` names the setting in the message.
 */
export function checkAuthenticationDatabase(value: unknown, what: string): AuthenticationDatabase | undefined {
  if (value === undefined || isAuthenticationDatabase(value)) return value;
  const kind = value === null ? 'null' : value instanceof Map ? 'a Map' : typeof value === 'object' ? `an object ${whatIsWrong(value)}` : `a ${typeof value}`;
  throw new DorsvrError(
    'ERR_AUTH_DATABASE',
    `${what} must be an AuthenticationDatabase (realm, ha1(), checkPassword(), e.g. a UserAuthenticationDatabase) or undefined, not ${kind}`,
  );
}

function whatIsWrong(value: object): string {
  const v = value as Partial<Record<keyof AuthenticationDatabase, unknown>>;
  const missing: string[] = [];
  if (typeof v.realm !== 'string') missing.push('a string realm');
  if (typeof v.ha1 !== 'function') missing.push('ha1()');
  if (typeof v.checkPassword !== 'function') missing.push('checkPassword()');
  return missing.length > 0 ? `without ${missing.join(', ')}` : 'whose realm has quotes, backslashes or line breaks';
}
