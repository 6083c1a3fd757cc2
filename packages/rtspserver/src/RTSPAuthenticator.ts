import { randomBytes } from 'node:crypto';
import type { TaskScheduler } from '@dorsvr/scheduler';
import {
  decodeBasicAuthorization,
  formatDigestChallenge,
  parseDigestAlgorithm,
  parseDigestAuthorization,
  verifyDigestAuthorization,
  type DigestCredentials,
} from '@dorsvr/livemedia';
import type { UserAuthenticationDatabase } from './UserAuthenticationDatabase.js';

/** Result of checking a request's `Authorization` header. */
export type AuthResult =
  | { readonly ok: true; readonly username: string }
  | { readonly ok: false; readonly stale: boolean };

/**
 * Server side of RTSP authentication: issues Digest challenges (SHA-256 and MD5 together, Basic
 * optionally) and verifies `Authorization` headers against a {@link UserAuthenticationDatabase}.
 *
 * A nonce expires when unused for its lifetime (each successful use renews it, so a playing
 * client's keep-alives never go stale); a client presenting an expired nonce with the right
 * credentials is answered `stale=true`, so it retries with the new nonce without asking its user.
 */
export class RTSPAuthenticator {
  readonly #scheduler: Pick<TaskScheduler, 'now'>;
  readonly #lifetimeUs: number;
  readonly #allowBasic: boolean;
  /** nonce → last use (µs, scheduler clock). */
  readonly #nonces = new Map<string, number>();

  constructor(scheduler: Pick<TaskScheduler, 'now'>, options: { nonceLifetimeSeconds?: number; allowBasic?: boolean } = {}) {
    this.#scheduler = scheduler;
    this.#lifetimeUs = Math.max(0.001, options.nonceLifetimeSeconds ?? 300) * 1e6;
    this.#allowBasic = options.allowBasic ?? false;
  }

  #newNonce(): string {
    const now = this.#scheduler.now();
    if (this.#nonces.size > 1024) {
      for (const [n, t] of this.#nonces) if (now - t > 2 * this.#lifetimeUs) this.#nonces.delete(n);
      if (this.#nonces.size > 100_000) this.#nonces.clear();
    }
    const nonce = randomBytes(16).toString('hex');
    this.#nonces.set(nonce, now);
    return nonce;
  }

  /**
   * The `WWW-Authenticate` values of a 401: Digest SHA-256 first, then Digest MD5 (ffmpeg keeps
   * the last Digest challenge it reads and speaks only MD5), then Basic when allowed.
   */
  challenges(db: UserAuthenticationDatabase, stale = false): string[] {
    const nonce = this.#newNonce();
    const out = [
      formatDigestChallenge({ realm: db.realm, nonce, algorithm: 'SHA-256', qop: [], stale }),
      formatDigestChallenge({ realm: db.realm, nonce, algorithm: 'MD5', qop: [], stale }),
    ];
    if (this.#allowBasic) out.push(`Basic realm="${db.realm}"`);
    return out;
  }

  /** Checks `authorization` (the header value, if any) for a request with this method. */
  verify(db: UserAuthenticationDatabase, method: string, authorization: string | undefined): AuthResult {
    const fail = { ok: false, stale: false } as const;
    if (authorization === undefined) return fail;
    const scheme = authorization.trim().split(/\s/, 1)[0]!.toLowerCase();
    if (scheme === 'basic') {
      if (!this.#allowBasic) return fail;
      const b = decodeBasicAuthorization(authorization);
      return b && db.checkPassword(b.username, b.password) ? { ok: true, username: b.username } : fail;
    }
    if (scheme !== 'digest') return fail;
    let c: DigestCredentials;
    try {
      c = parseDigestAuthorization(authorization);
    } catch {
      return fail;
    }
    if (c.realm !== db.realm) return fail;
    const algorithm = parseDigestAlgorithm(c.algorithm);
    if (algorithm !== 'MD5' && algorithm !== 'SHA-256') return fail;
    const ha1 = db.ha1(c.username, algorithm);
    if (ha1 === undefined) return fail;
    if (!verifyDigestAuthorization({ credentials: c, method, ha1 })) return fail;
    const lastUse = this.#nonces.get(c.nonce);
    if (lastUse === undefined) return fail;
    const now = this.#scheduler.now();
    if (now - lastUse > this.#lifetimeUs) return { ok: false, stale: true };
    this.#nonces.set(c.nonce, now);
    return { ok: true, username: c.username };
  }
}
