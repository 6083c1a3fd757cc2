import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { DorsvrError, type TaskScheduler } from '@dorsvr/scheduler';
import {
  decodeBasicAuthorization,
  digestURIMatches,
  formatDigestChallenge,
  parseDigestAlgorithm,
  parseDigestAuthorization,
  verifyDigestAuthorization,
  type AuthenticationDatabase,
  type DigestCredentials,
} from '@dorsvr/livemedia';
import { parseRequestURL } from './parseRequestURL.js';

/**
 * Result of checking a request's `Authorization` header: the user, or the status to answer with
 * (401 with fresh challenges, `stale=true` when only the nonce was wrong; 400 when the Digest
 * `uri=` names another resource than the request, RFC 7616 3.4.6).
 */
export type AuthResult =
  | { readonly ok: true; readonly username: string }
  | { readonly ok: false; readonly status: 400 | 401; readonly stale: boolean };

/** The request being authorized, as {@link RTSPAuthenticator.verify} needs it. */
export interface AuthRequest {
  /** RTSP method (hashed into Digest's HA2). */
  readonly method: string;
  /** The request URI (absolute or relative, as on the request line or made absolute by the server). */
  readonly uri: string;
  /**
   * The name of the stream (ServerMediaSession) the credentials are checked for, when the request
   * addresses one: its aggregate URL is then accepted as Digest `uri=` too (VLC hashes the base
   * URL into the SETUP of a track).
   */
  readonly streamName?: string | undefined;
}

/** Options of an {@link RTSPAuthenticator}. */
export interface RTSPAuthenticatorOptions {
  /** Seconds a nonce stays valid after it was issued or last used successfully (default 300; a positive number, else `ERR_SERVER_OPTION`). */
  nonceLifetimeSeconds?: number;
  /** Also offer and accept Basic (default false). */
  allowBasic?: boolean;
  /**
   * How many recently used nonces are remembered to renew their lifetime on use (default 10000,
   * least recently used forgotten first). A forgotten nonce still lives its lifetime from issue.
   */
  maxRenewedNonces?: number;
}

/** Bytes of a nonce: issue time (8), random (8), HMAC-SHA-256 of both truncated (16). */
const NONCE_HEX_LENGTH = 64;

/**
 * Server side of RTSP authentication: issues Digest challenges (SHA-256 and MD5 together, Basic
 * optionally) and verifies `Authorization` headers against an {@link AuthenticationDatabase}.
 *
 * Nonces carry their issue time and an HMAC over it with a secret of this authenticator, so
 * checking one needs no table: a 401 costs no memory and no request scans anything. A nonce is
 * valid for its lifetime after issue; each successful use renews it (so a playing client's
 * keep-alives never go stale), which is remembered for the most recently used nonces only, in a
 * bounded LRU map (O(1) per request; the least recently used one is forgotten first, never all at
 * once). A correct response with an expired nonce, or with one this authenticator did not issue
 * (another server's, one from before a restart), is answered `stale=true`, so the client retries
 * with the new nonce without asking its user (ffmpeg and GStreamer do).
 *
 * The Digest `uri=` must name the request's resource ({@link @dorsvr/livemedia!digestURIMatches}:
 * the request URI, absolute or relative, trailing slash or not) or the aggregate URL of the stream
 * being authorized; anything else is answered 400 (RFC 7616 3.4.6), so a captured header never
 * opens another stream.
 */
export class RTSPAuthenticator {
  readonly #scheduler: Pick<TaskScheduler, 'now'>;
  readonly #lifetimeUs: number;
  readonly #allowBasic: boolean;
  readonly #maxRenewed: number;
  readonly #secret = randomBytes(32);
  /** Added to the clock in nonces, so they do not tell how long the server has been running. */
  readonly #epochUs = randomBytes(5).readUIntBE(0, 5);
  /** Recently used nonces → last successful use (µs, scheduler clock), least recent first. */
  readonly #renewed = new Map<string, number>();

  constructor(scheduler: Pick<TaskScheduler, 'now'>, options: RTSPAuthenticatorOptions = {}) {
    this.#scheduler = scheduler;
    // NaN would make every comparison false: nonces that never expire. Refused loudly instead.
    const lifetime = options.nonceLifetimeSeconds ?? 300;
    if (!(lifetime > 0) || !Number.isFinite(lifetime)) {
      throw new DorsvrError('ERR_SERVER_OPTION', `nonceLifetimeSeconds must be a positive number, not ${String(lifetime)}`);
    }
    const maxRenewed = options.maxRenewedNonces ?? 10_000;
    if (!(maxRenewed >= 0) || !Number.isSafeInteger(maxRenewed)) {
      throw new DorsvrError('ERR_SERVER_OPTION', `maxRenewedNonces must be a whole number ≥ 0, not ${String(maxRenewed)}`);
    }
    this.#lifetimeUs = lifetime * 1e6;
    this.#allowBasic = options.allowBasic ?? false;
    this.#maxRenewed = maxRenewed;
  }

  /** Number of nonces remembered for renewal (at most `maxRenewedNonces`). */
  get renewedNonceCount(): number {
    return this.#renewed.size;
  }

  #mac(head: Buffer): Buffer {
    return createHmac('sha256', this.#secret).update(head).digest().subarray(0, 16);
  }

  #newNonce(): string {
    const head = Buffer.allocUnsafe(16);
    head.writeBigInt64BE(BigInt(Math.floor(this.#scheduler.now()) + this.#epochUs), 0);
    randomBytes(8).copy(head, 8);
    return Buffer.concat([head, this.#mac(head)]).toString('hex');
  }

  /** The issue time of a nonce this authenticator made, or undefined (malformed, forged, another server's). */
  #issuedAt(nonce: string): number | undefined {
    if (nonce.length !== NONCE_HEX_LENGTH || !/^[0-9a-f]+$/.test(nonce)) return undefined;
    const bytes = Buffer.from(nonce, 'hex');
    const head = bytes.subarray(0, 16);
    if (!timingSafeEqual(this.#mac(head), bytes.subarray(16))) return undefined;
    return Number(head.readBigInt64BE(0)) - this.#epochUs;
  }

  /** True when the nonce is one of ours and was issued, or last used, within its lifetime; renews it. */
  #useNonce(nonce: string): boolean {
    const issued = this.#issuedAt(nonce);
    if (issued === undefined) return false;
    const now = this.#scheduler.now();
    const last = Math.max(issued, this.#renewed.get(nonce) ?? issued);
    if (now - last > this.#lifetimeUs || issued > now) {
      this.#renewed.delete(nonce);
      return false;
    }
    if (this.#maxRenewed > 0) {
      this.#renewed.delete(nonce); // re-inserted last: Map order is least recently used first
      this.#renewed.set(nonce, now);
      if (this.#renewed.size > this.#maxRenewed) this.#renewed.delete(this.#renewed.keys().next().value!);
    }
    return true;
  }

  /**
   * The `WWW-Authenticate` values of a 401: Digest SHA-256 first, then Digest MD5 (ffmpeg keeps
   * the last Digest challenge it reads and speaks only MD5), then Basic when allowed.
   */
  challenges(db: AuthenticationDatabase, stale = false): string[] {
    const nonce = this.#newNonce();
    const out = [
      formatDigestChallenge({ realm: db.realm, nonce, algorithm: 'SHA-256', qop: [], stale }),
      formatDigestChallenge({ realm: db.realm, nonce, algorithm: 'MD5', qop: [], stale }),
    ];
    if (this.#allowBasic) out.push(`Basic realm="${db.realm}"`);
    return out;
  }

  /** Checks `authorization` (the header value, if any) for `request` against `db`. */
  verify(db: AuthenticationDatabase, request: AuthRequest, authorization: string | undefined): AuthResult {
    const fail = { ok: false, status: 401, stale: false } as const;
    if (authorization === undefined) return fail;
    const scheme = authorization.trim().split(/\s/, 1)[0]!.toLowerCase();
    if (scheme === 'basic') {
      if (!this.#allowBasic) return fail;
      const b = decodeBasicAuthorization(authorization);
      // `=== true`: a database answering anything else (a Promise of an async lookup) refuses.
      return b && db.checkPassword(b.username, b.password) === true ? { ok: true, username: b.username } : fail;
    }
    if (scheme !== 'digest') return fail;
    let c: DigestCredentials;
    try {
      c = parseDigestAuthorization(authorization);
    } catch {
      return fail;
    }
    if (!uriNamesRequest(c.uri, request)) return { ok: false, status: 400, stale: false };
    if (c.realm !== db.realm) return fail;
    const algorithm = parseDigestAlgorithm(c.algorithm);
    if (algorithm !== 'MD5' && algorithm !== 'SHA-256') return fail;
    const ha1 = db.ha1(c.username, algorithm);
    if (typeof ha1 !== 'string') return fail;
    if (!verifyDigestAuthorization({ credentials: c, method: request.method, ha1 })) return fail;
    if (!this.#useNonce(c.nonce)) return { ok: false, status: 401, stale: true };
    return { ok: true, username: c.username };
  }
}

/** The Digest `uri=` names the request URI, or the aggregate URL of the stream being authorized. */
function uriNamesRequest(digestURI: string, request: AuthRequest): boolean {
  if (digestURIMatches(digestURI, request.uri)) return true;
  if (request.streamName === undefined) return false;
  try {
    // Read as a URL of this server, it must name the stream itself (no track).
    return /^(rtsps?:\/\/|\/)/i.test(digestURI.trim()) && parseRequestURL(digestURI).some((c) => c.trackId === undefined && c.streamName === request.streamName);
  } catch {
    return false;
  }
}
