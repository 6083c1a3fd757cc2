import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { booleanOption, DorsvrError, type TaskScheduler } from '@dorsvr/scheduler';
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
import { clientAddressKey } from './clientAddressKey.js';
import { normalizeAddress } from './RTSPClientConnection.js';

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
  /**
   * The client's IP address (the server passes its connection's). Nonces are bound to it (an
   * IPv6 client: to its /64): a nonce challenged to one address is `stale` from another, so a
   * captured `Authorization` header is only good from where it was sent. Undefined binds to "no
   * address" (a standalone use of the authenticator).
   */
  readonly clientAddress?: string | undefined;
}

/** Options of an {@link RTSPAuthenticator}. */
export interface RTSPAuthenticatorOptions {
  /** Seconds a nonce stays valid after it was issued or last used successfully (default 300; a positive number, else `ERR_SERVER_OPTION`). */
  nonceLifetimeSeconds?: number;
  /** Also offer and accept Basic (default false; anything but a boolean throws `ERR_SERVER_OPTION`). */
  allowBasic?: boolean;
  /**
   * Accept only Digest answers with `qop=auth` (default false; anything but a boolean throws
   * `ERR_SERVER_OPTION`). An answer without qop (RFC 2069: GStreamer's rtspsrc, live555's
   * RTSPClient) is then refused with 401 and fresh challenges, as a wrong password is: such a
   * client cannot play. What it buys: every accepted Digest header carries a nonce count, so no
   * captured header can be replayed, from any address (Basic, when allowed, is unaffected).
   */
  requireQop?: boolean;
  /**
   * How many recently used nonces are remembered to renew their lifetime on use, to check
   * qop=auth nonce counts and the requests a nonce authorized without qop (default 10000, least
   * recently used forgotten first). A client using a nonce that is not remembered and was issued
   * no later than one forgotten gets `stale=true` (it then takes a new nonce), so a forgotten
   * nonce's count cannot start again at 1, nor its requests be made again. With 0, a qop=auth
   * nonce serves one request and a nonce without qop one request per method and uri.
   */
  maxRenewedNonces?: number;
}

/** Requests (method and uri) one nonce may authorize without qop; then the client takes a new one. */
const MAX_PLAIN_USES_PER_NONCE = 16;

/** Bytes of a nonce: issue time (8), random (8), HMAC-SHA-256 of both and the client's address truncated (16). */
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
 *
 * Replay: a nonce is bound to the address it was challenged to ({@link AuthRequest.clientAddress}),
 * so a captured header is refused (`stale=true`) from anywhere else. The challenges offer
 * `qop="auth"`: a client that uses it (ffmpeg, our RTSPClient) counts its requests in `nc`, and a
 * count that does not increase for its nonce (a replay) is refused with `stale=true`. A client that
 * answers without qop (RFC 2069: GStreamer, live555) is still accepted, but its response does not
 * change from one request to the next, so a nonce authorizes each method and uri (e.g. `SETUP` of
 * one track) once, and at most 16 of them: a captured header replayed is `stale=true`, and so is
 * the client's own repeated request (a keep-alive), which then retries with the fresh nonce of that
 * answer (GStreamer's rtspsrc does: one more round trip per keep-alive). With
 * {@link RTSPAuthenticatorOptions.requireQop} such answers are refused instead.
 */
export class RTSPAuthenticator {
  readonly #scheduler: Pick<TaskScheduler, 'now'>;
  readonly #lifetimeUs: number;
  readonly #allowBasic: boolean;
  readonly #requireQop: boolean;
  readonly #maxRenewed: number;
  readonly #secret = randomBytes(32);
  /**
   * What an unknown user's answer is checked against: random HA1s no password hashes to, so that
   * an unknown user costs the same hashes and comparison as a known one with a wrong password
   * (the time of a 401 does not tell which user names exist).
   */
  readonly #dummyHA1 = { MD5: randomBytes(16).toString('hex'), 'SHA-256': randomBytes(32).toString('hex') } as const;
  /** Added to the clock in nonces, so they do not tell how long the server has been running. */
  readonly #epochUs = randomBytes(5).readUIntBE(0, 5);
  /**
   * Recently used nonces → last successful use (µs, scheduler clock) and the highest qop nonce
   * count accepted (0: none yet), least recent first.
   */
  readonly #renewed = new Map<string, { at: number; nc: number; uses?: Set<string> }>();

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
    this.#allowBasic = booleanOption(options.allowBasic, 'allowBasic', 'ERR_SERVER_OPTION');
    this.#requireQop = booleanOption(options.requireQop, 'requireQop', 'ERR_SERVER_OPTION');
    this.#maxRenewed = maxRenewed;
  }

  /** Number of nonces remembered for renewal (at most `maxRenewedNonces`). */
  get renewedNonceCount(): number {
    return this.#renewed.size;
  }

  #mac(head: Buffer, address: string): Buffer {
    return createHmac('sha256', this.#secret).update(head).update(address).digest().subarray(0, 16);
  }

  /** qop nonces used once, when `maxRenewedNonces` is 0. */
  readonly #once = new Set<string>();

  #newNonce(address: string): string {
    const head = Buffer.allocUnsafe(16);
    head.writeBigInt64BE(BigInt(Math.floor(this.#scheduler.now()) + this.#epochUs), 0);
    randomBytes(8).copy(head, 8);
    return Buffer.concat([head, this.#mac(head, address)]).toString('hex');
  }

  /** The issue time of a nonce this authenticator made for `address`, or undefined (malformed, forged, another server's or address's). */
  #issuedAt(nonce: string, address: string): number | undefined {
    if (nonce.length !== NONCE_HEX_LENGTH || !/^[0-9a-f]+$/.test(nonce)) return undefined;
    const bytes = Buffer.from(nonce, 'hex');
    const head = bytes.subarray(0, 16);
    if (!timingSafeEqual(this.#mac(head, address), bytes.subarray(16))) return undefined;
    return Number(head.readBigInt64BE(0)) - this.#epochUs;
  }

  /**
   * True when the nonce is one of ours for `address` and was issued, or last used, within its
   * lifetime, and (with qop) `nc` is above every count accepted for it so far, or (without qop) it
   * has not authorized `use` (method and uri) yet; renews it.
   */
  #useNonce(nonce: string, address: string, nc: number | undefined, use: string): boolean {
    const issued = this.#issuedAt(nonce, address);
    if (issued === undefined) return false;
    const now = this.#scheduler.now();
    const seen = this.#renewed.get(nonce);
    const last = Math.max(issued, seen?.at ?? issued);
    if (now - last > this.#lifetimeUs || issued > now) {
      this.#renewed.delete(nonce);
      return false;
    }
    // A nonce count must grow: the same or a lower one is a replay. A nonce not remembered
    // (never used, or forgotten) takes only a first count, 1 — and only if it cannot have been
    // forgotten: one issued no later than a nonce we forgot may have been used already (stale:
    // the client takes a new nonce, one round trip).
    if (nc !== undefined && (seen === undefined ? nc !== 1 || issued <= this.#forgottenIssuedUpTo : nc <= seen.nc)) return false;
    // Without qop a header does not change between uses: each (method, uri) may use a nonce once.
    let uses = seen?.uses;
    if (nc === undefined) {
      if (seen === undefined ? issued <= this.#forgottenIssuedUpTo : uses?.has(use) === true) return false;
      if ((uses?.size ?? 0) >= MAX_PLAIN_USES_PER_NONCE) return false;
      uses = new Set(uses).add(use);
    }
    if (this.#maxRenewed > 0) {
      this.#renewed.delete(nonce); // re-inserted last: Map order is least recently used first
      this.#renewed.set(nonce, { at: now, nc: nc ?? seen?.nc ?? 0, uses });
      if (this.#renewed.size > this.#maxRenewed) this.#forget(this.#renewed.keys().next().value!);
    } else {
      // Nothing remembered, so nothing can be checked later: a qop nonce serves once, a plain one
      // once per method and uri.
      return nc === undefined ? this.#usedOnce(`${nonce} ${use}`) : nc === 1 && this.#usedOnce(nonce);
    }
    return true;
  }

  /** With `maxRenewedNonces: 0`: a qop=auth nonce serves one request, a plain one one request per method and uri (remembered in a set bounded like the map would be). */
  #usedOnce(nonce: string): boolean {
    if (this.#once.has(nonce)) return false;
    this.#once.add(nonce);
    if (this.#once.size > 10_000) this.#forget(this.#once.values().next().value!);
    return true;
  }

  /**
   * The latest issue time of a nonce forgotten by the bounded memories: a qop nonce issued no later
   * is refused as stale when it is not remembered, so eviction never lets a used count start again.
   */
  #forgottenIssuedUpTo = -Infinity;

  #forget(nonce: string): void {
    this.#renewed.delete(nonce);
    this.#once.delete(nonce);
    // Only our own nonces are remembered, so the head's issue time can be read without the MAC.
    const issued = Number(Buffer.from(nonce.slice(0, 16), 'hex').readBigInt64BE(0)) - this.#epochUs;
    if (issued > this.#forgottenIssuedUpTo) this.#forgottenIssuedUpTo = issued;
  }

  /**
   * The `WWW-Authenticate` values of a 401: Digest SHA-256 first, then Digest MD5 (ffmpeg keeps
   * the last Digest challenge it reads and speaks only MD5), then Basic when allowed. Both offer
   * `qop="auth"`; the nonce is bound to `clientAddress` (see {@link AuthRequest.clientAddress}).
   */
  challenges(db: AuthenticationDatabase, stale = false, clientAddress?: string): string[] {
    const nonce = this.#newNonce(addressKey(clientAddress));
    const out = [
      formatDigestChallenge({ realm: db.realm, nonce, algorithm: 'SHA-256', qop: ['auth'], stale }),
      formatDigestChallenge({ realm: db.realm, nonce, algorithm: 'MD5', qop: ['auth'], stale }),
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
    // qop=auth-int is not offered; a client answering with it is refused rather than half-checked.
    if (c.qop !== undefined && c.qop !== 'auth') return fail;
    if (c.qop === undefined && this.#requireQop) return fail;
    const ha1 = db.ha1(c.username, algorithm);
    const known = typeof ha1 === 'string';
    // An unknown user is checked against a dummy HA1 (same work as a wrong password), then refused.
    const matches = verifyDigestAuthorization({ credentials: c, method: request.method, ha1: known ? ha1 : this.#dummyHA1[algorithm] });
    if (!matches || !known) return fail;
    let nc: number | undefined;
    if (c.qop === 'auth') {
      if (c.nc === undefined || !/^[0-9a-fA-F]{8}$/.test(c.nc)) return fail;
      nc = Number.parseInt(c.nc, 16);
    }
    if (!this.#useNonce(c.nonce, addressKey(request.clientAddress), nc, nc === undefined ? useKey(request.method, c.uri) : '')) return { ok: false, status: 401, stale: true };
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

/** What a nonce is bound to: the client's IPv4 address or IPv6 /64 (see `clientAddressKey`), '' without one. */
function addressKey(address: string | undefined): string {
  return address === undefined || address === '' ? '' : clientAddressKey(normalizeAddress(address));
}

/**
 * What a nonce remembers of one (method, uri) it authorized without qop: a digest of fixed size, so
 * that what a peer makes us keep (16 per nonce, for every nonce remembered) does not grow with the
 * uris it chooses (up to a request line each).
 */
function useKey(method: string, uri: string): string {
  return createHash('sha256').update(method).update(' ').update(uri).digest('base64');
}
