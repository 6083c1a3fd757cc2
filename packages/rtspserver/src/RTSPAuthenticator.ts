import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { TaskScheduler } from '@dorsvr/scheduler';
import { type DigestAlgorithm, UserAuthenticationDatabase, digestHash } from './UserAuthenticationDatabase.js';

/** Result of checking a request's `Authorization` header. */
export type AuthResult =
  | { readonly ok: true; readonly username: string }
  | { readonly ok: false; readonly stale: boolean };

/** Parses `key=value, key="quoted value"` parameter lists of an auth header. */
export function parseAuthParams(s: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /\s*([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*,?/gy;
  let m: RegExpExecArray | null;
  let guard = 0;
  while (re.lastIndex < s.length && guard++ < 64 && (m = re.exec(s)) !== null) {
    out.set(m[1]!.toLowerCase(), m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] ?? ''));
  }
  return out;
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Server side of RTSP authentication: issues Digest challenges (SHA-256 and MD5 together, Basic
 * optionally) with nonces that expire, and verifies `Authorization` headers against a
 * {@link UserAuthenticationDatabase}. Nonces are remembered for twice their lifetime so that a
 * client using an expired one is told `stale=true` (re-hash, no new password prompt).
 */
export class RTSPAuthenticator {
  readonly #scheduler: TaskScheduler;
  readonly #lifetimeUs: number;
  readonly #allowBasic: boolean;
  readonly #nonces = new Map<string, number>();

  constructor(scheduler: TaskScheduler, options: { nonceLifetimeSeconds?: number; allowBasic?: boolean } = {}) {
    this.#scheduler = scheduler;
    this.#lifetimeUs = Math.max(1, options.nonceLifetimeSeconds ?? 300) * 1e6;
    this.#allowBasic = options.allowBasic ?? false;
  }

  #newNonce(): string {
    const now = this.#scheduler.now();
    // Forget nonces long expired, bounding the map.
    if (this.#nonces.size > 256) {
      for (const [n, t] of this.#nonces) if (now - t > 2 * this.#lifetimeUs) this.#nonces.delete(n);
    }
    if (this.#nonces.size > 100_000) this.#nonces.clear();
    const nonce = randomBytes(16).toString('hex');
    this.#nonces.set(nonce, now);
    return nonce;
  }

  /** The `WWW-Authenticate` values of a 401: Digest SHA-256, Digest MD5 (last, as ffmpeg keeps the last Digest), Basic. */
  challenges(db: UserAuthenticationDatabase, stale = false): string[] {
    const nonce = this.#newNonce();
    const staleParam = stale ? ', stale=true' : '';
    const out = [
      `Digest realm="${db.realm}", nonce="${nonce}", algorithm=SHA-256${staleParam}`,
      `Digest realm="${db.realm}", nonce="${nonce}", algorithm=MD5${staleParam}`,
    ];
    if (this.#allowBasic) out.push(`Basic realm="${db.realm}"`);
    return out;
  }

  /** Checks `authorization` (the header value, if any) for a request with this method. */
  verify(db: UserAuthenticationDatabase, method: string, authorization: string | undefined): AuthResult {
    if (authorization === undefined) return { ok: false, stale: false };
    const sp = authorization.indexOf(' ');
    const scheme = (sp < 0 ? authorization : authorization.slice(0, sp)).toLowerCase();
    const rest = sp < 0 ? '' : authorization.slice(sp + 1);
    if (scheme === 'basic') {
      if (!this.#allowBasic) return { ok: false, stale: false };
      let decoded: string;
      try {
        decoded = Buffer.from(rest.trim(), 'base64').toString('utf8');
      } catch {
        return { ok: false, stale: false };
      }
      const colon = decoded.indexOf(':');
      if (colon < 0) return { ok: false, stale: false };
      const user = decoded.slice(0, colon);
      return db.checkPassword(user, decoded.slice(colon + 1)) ? { ok: true, username: user } : { ok: false, stale: false };
    }
    if (scheme !== 'digest') return { ok: false, stale: false };
    const p = parseAuthParams(rest);
    const username = p.get('username');
    const nonce = p.get('nonce');
    const uri = p.get('uri');
    const response = p.get('response');
    if (username === undefined || nonce === undefined || uri === undefined || response === undefined) return { ok: false, stale: false };
    if (p.has('realm') && p.get('realm') !== db.realm) return { ok: false, stale: false };
    const algName = (p.get('algorithm') ?? 'MD5').toUpperCase();
    const algorithm: DigestAlgorithm | undefined = algName === 'MD5' ? 'MD5' : algName === 'SHA-256' ? 'SHA-256' : undefined;
    if (algorithm === undefined) return { ok: false, stale: false };
    const ha1 = db.ha1(username, algorithm);
    if (ha1 === undefined) return { ok: false, stale: false };
    const ha2 = digestHash(algorithm, `${method}:${uri}`);
    const qop = p.get('qop');
    const expected =
      qop === undefined
        ? digestHash(algorithm, `${ha1}:${nonce}:${ha2}`)
        : digestHash(algorithm, `${ha1}:${nonce}:${p.get('nc') ?? ''}:${p.get('cnonce') ?? ''}:${qop}:${ha2}`);
    if (!safeEqual(expected, response.toLowerCase())) return { ok: false, stale: false };
    const issued = this.#nonces.get(nonce);
    if (issued === undefined) return { ok: false, stale: false };
    if (this.#scheduler.now() - issued > this.#lifetimeUs) return { ok: false, stale: true };
    return { ok: true, username };
  }
}
