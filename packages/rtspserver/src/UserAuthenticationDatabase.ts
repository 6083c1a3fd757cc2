import { randomBytes, timingSafeEqual } from 'node:crypto';
import { DorsvrError } from '@dorsvr/scheduler';
import { computeDigestHA1, type AuthenticationDatabase, type ServerDigestAlgorithm } from '@dorsvr/livemedia';

/** Options of a {@link UserAuthenticationDatabase}. */
export interface UserAuthenticationDatabaseOptions {
  /** The realm shown to users and hashed into Digest credentials (default "dorsvr"). */
  realm?: string;
  /**
   * Keep only the hashes `H(user:realm:password)` (MD5 and SHA-256), never the password. Basic
   * authentication still works (the offered password is hashed and compared).
   */
  storeHashes?: boolean;
}

interface UserEntry {
  password: string | undefined;
  ha1: Record<ServerDigestAlgorithm, string>;
}

/**
 * live555's UserAuthenticationDatabase: the users allowed to play, for one realm. Give it to an
 * `RTSPServer` (server-wide) or to a `ServerMediaSession` (per stream, replacing the server's for
 * that stream). It is the {@link @dorsvr/livemedia!AuthenticationDatabase} the server checks.
 *
 * @example
 * ```ts
 * import { RTSPServer, UserAuthenticationDatabase } from '@dorsvr/rtspserver';
 *
 * const users = new UserAuthenticationDatabase({ realm: 'cameras', storeHashes: true }).addUser('alice', 'correct horse');
 * const server = new RTSPServer({ authDatabase: users }); // Digest (SHA-256, MD5) on every stream
 * await server.listen();
 * ```
 */
export class UserAuthenticationDatabase implements AuthenticationDatabase {
  /** The Digest realm. */
  readonly realm: string;
  /** True when passwords are not kept, only their hashes. */
  readonly storeHashes: boolean;
  readonly #users = new Map<string, UserEntry>();
  /** What an unknown user's Basic password is compared with: a SHA-256 HA1 no password hashes to. */
  readonly #dummyHA1 = randomBytes(32).toString('hex');

  constructor(options: UserAuthenticationDatabaseOptions = {}) {
    this.realm = options.realm ?? 'dorsvr';
    this.storeHashes = options.storeHashes ?? false;
    if (/["\\\r\n]/.test(this.realm)) throw new DorsvrError('ERR_AUTH_REALM', 'realm must not contain quotes, backslashes or line breaks');
  }

  /** Add (or replace) a user. */
  addUser(username: string, password: string): this {
    if (username.length === 0 || /[:"\r\n]/.test(username)) {
      throw new DorsvrError('ERR_AUTH_USERNAME', 'a username must be non-empty and contain no colon, quote or line break');
    }
    this.#users.set(username, {
      password: this.storeHashes ? undefined : password,
      ha1: {
        MD5: computeDigestHA1('MD5', username, this.realm, password),
        'SHA-256': computeDigestHA1('SHA-256', username, this.realm, password),
      },
    });
    return this;
  }

  /** Remove a user; returns whether it existed. */
  removeUser(username: string): boolean {
    return this.#users.delete(username);
  }

  /** True when the user exists. */
  hasUser(username: string): boolean {
    return this.#users.has(username);
  }

  /** Number of users. */
  get size(): number {
    return this.#users.size;
  }

  /** The stored password (undefined when unknown or when only hashes are stored). */
  lookupPassword(username: string): string | undefined {
    return this.#users.get(username)?.password;
  }

  /** `H(username:realm:password)` for Digest, or undefined for an unknown user. */
  ha1(username: string, algorithm: ServerDigestAlgorithm): string | undefined {
    return this.#users.get(username)?.ha1[algorithm];
  }

  /**
   * True when `password` is this user's password (Basic authentication). The hashes are compared
   * in constant time, and an unknown user's password is hashed and compared too (against a random
   * hash), so the time of an answer does not tell which user names exist.
   */
  checkPassword(username: string, password: string): boolean {
    const e = this.#users.get(username);
    const expected = Buffer.from(e === undefined ? this.#dummyHA1 : e.ha1['SHA-256'], 'latin1');
    const offered = Buffer.from(computeDigestHA1('SHA-256', username, this.realm, password), 'latin1');
    // Both are SHA-256 hex (64 bytes); the length check only guards timingSafeEqual.
    const equal = expected.length === offered.length && timingSafeEqual(expected, offered);
    return equal && e !== undefined;
  }
}

