import { createHash, timingSafeEqual } from 'node:crypto';
import { DorsvrError } from '@dorsvr/scheduler';
import { formatAuthHeader, parseAuthHeader, type AuthChallenge } from './AuthHeader.js';

/** Digest algorithms (RFC 7616 section 3.3); `-sess` variants mix the nonces into HA1. */
export type DigestAlgorithm = 'MD5' | 'MD5-sess' | 'SHA-256' | 'SHA-256-sess';

/** A `WWW-Authenticate: Digest …` challenge. */
export interface DigestChallenge {
  realm: string;
  nonce: string;
  /** Default `MD5` when the challenge names none (RFC 2617). */
  algorithm: DigestAlgorithm;
  /** Offered qop values (`auth`, `auth-int`); empty for an RFC 2069 challenge (live555's form). */
  qop: string[];
  opaque?: string | undefined;
  /** `stale=true`: the nonce expired but the credentials were right; retry without asking the user. */
  stale: boolean;
  domain?: string | undefined;
  charset?: string | undefined;
  userhash?: boolean | undefined;
}

/** The fields of an `Authorization: Digest …` header. */
export interface DigestCredentials {
  username: string;
  realm: string;
  nonce: string;
  /** The request URI as the client wrote it (absolute or relative). */
  uri: string;
  /** Hex digest the client computed. */
  response: string;
  algorithm?: string | undefined;
  qop?: string | undefined;
  /** Nonce count, 8 hex digits (`00000001`). */
  nc?: string | undefined;
  cnonce?: string | undefined;
  opaque?: string | undefined;
  userhash?: boolean | undefined;
}

/** What the client needs to answer a challenge. */
export interface DigestAuthorizationInit {
  challenge: DigestChallenge;
  username: string;
  password: string;
  /** RTSP method of the request being authorized. */
  method: string;
  /** Request URI, written into `uri=` and hashed. */
  uri: string;
  /** Client nonce (required when the challenge offers qop; callers pass random bytes, e.g. 16 as hex). */
  cnonce?: string;
  /** How many times this nonce has been used, starting at 1 (default 1). */
  nc?: number;
  /** Entity body, for qop=auth-int (default empty). */
  body?: Uint8Array | string;
}

/** What the server needs to check credentials. Give the password, or the stored HA1 (H(user:realm:password)). */
export interface DigestVerifyInit {
  credentials: DigestCredentials;
  /** Method of the request that carried the credentials. */
  method: string;
  password?: string;
  /** Precomputed H(username:realm:password) with the credentials' algorithm's hash (stored instead of the password). */
  ha1?: string;
  /** Entity body, for qop=auth-int. */
  body?: Uint8Array | string;
}

const ALGORITHMS: readonly DigestAlgorithm[] = ['MD5', 'MD5-sess', 'SHA-256', 'SHA-256-sess'];

function bad(message: string): DorsvrError {
  return new DorsvrError('ERR_RTSP_AUTH_HEADER', message, { status: 400 });
}

/** Normalizes an algorithm name (case-insensitive); undefined when unsupported (e.g. SHA-512-256). */
export function parseDigestAlgorithm(name: string | undefined): DigestAlgorithm | undefined {
  if (name === undefined || name === '') return 'MD5';
  const upper = name.trim().toUpperCase();
  return ALGORITHMS.find((a) => a.toUpperCase() === upper);
}

/** Hex hash of `data` (UTF-8) with the algorithm's function: MD5 or SHA-256. */
export function digestHash(algorithm: DigestAlgorithm, data: string | Uint8Array): string {
  return createHash(algorithm.startsWith('SHA-256') ? 'sha256' : 'md5')
    .update(data)
    .digest('hex');
}

/** HA1 = H(username:realm:password) (RFC 7616 3.4.2), what a server may store instead of the password. */
export function computeDigestHA1(algorithm: DigestAlgorithm, username: string, realm: string, password: string): string {
  return digestHash(algorithm, `${username}:${realm}:${password}`);
}

/**
 * The `response=` value (RFC 7616 3.4.1, RFC 2617 3.2.2.1): `H(HA1:nonce:nc:cnonce:qop:HA2)` with
 * qop, `H(HA1:nonce:HA2)` without (RFC 2069, what live555 uses). `ha1` is the plain HA1; for
 * `-sess` algorithms it is combined with nonce and cnonce here.
 */
export function computeDigestResponse(p: {
  algorithm: DigestAlgorithm;
  ha1: string;
  method: string;
  uri: string;
  nonce: string;
  qop?: string | undefined;
  nc?: string | undefined;
  cnonce?: string | undefined;
  body?: Uint8Array | string | undefined;
}): string {
  const alg = p.algorithm;
  let ha1 = p.ha1;
  if (alg.endsWith('-sess')) ha1 = digestHash(alg, `${ha1}:${p.nonce}:${p.cnonce ?? ''}`);
  const ha2 = p.qop === 'auth-int' ? digestHash(alg, `${p.method}:${p.uri}:${digestHash(alg, p.body ?? '')}`) : digestHash(alg, `${p.method}:${p.uri}`);
  if (p.qop === undefined || p.qop === '') return digestHash(alg, `${ha1}:${p.nonce}:${ha2}`);
  return digestHash(alg, `${ha1}:${p.nonce}:${p.nc ?? ''}:${p.cnonce ?? ''}:${p.qop}:${ha2}`);
}

function challengeFrom(ch: AuthChallenge): DigestChallenge | undefined {
  if (ch.scheme.toLowerCase() !== 'digest') return undefined;
  const p = ch.params;
  const algorithm = parseDigestAlgorithm(p.algorithm);
  if (algorithm === undefined || p.realm === undefined || p.nonce === undefined) return undefined;
  return {
    realm: p.realm,
    nonce: p.nonce,
    algorithm,
    qop: (p.qop ?? '')
      .split(',')
      .map((q) => q.trim().toLowerCase())
      .filter((q) => q.length > 0),
    opaque: p.opaque,
    stale: (p.stale ?? '').toLowerCase() === 'true',
    domain: p.domain,
    charset: p.charset,
    userhash: p.userhash === undefined ? undefined : p.userhash.toLowerCase() === 'true',
  };
}

/**
 * The Digest challenges in `WWW-Authenticate` values (several headers, or several challenges in
 * one), skipping other schemes, malformed ones and unsupported algorithms.
 */
export function parseDigestChallenges(values: string | readonly string[]): DigestChallenge[] {
  const out: DigestChallenge[] = [];
  for (const v of typeof values === 'string' ? [values] : values) {
    let list: AuthChallenge[];
    try {
      list = parseAuthHeader(v);
    } catch {
      continue; // one unreadable header must not hide a good one
    }
    for (const ch of list) {
      const d = challengeFrom(ch);
      if (d !== undefined) out.push(d);
    }
  }
  return out;
}

/** What a client should answer with, from {@link selectAuthChallenge}. */
export type SelectedAuthChallenge = { scheme: 'Digest'; challenge: DigestChallenge } | { scheme: 'Basic'; realm: string };

/**
 * Picks the strongest challenge a client supports from all `WWW-Authenticate` values: Digest
 * SHA-256 over Digest MD5 (the `-sess` forms after their plain ones), then Basic. Undefined if none.
 */
export function selectAuthChallenge(values: string | readonly string[]): SelectedAuthChallenge | undefined {
  const rank: Record<DigestAlgorithm, number> = { 'SHA-256': 4, 'SHA-256-sess': 3, MD5: 2, 'MD5-sess': 1 };
  const digests = parseDigestChallenges(values).sort((a, b) => rank[b.algorithm] - rank[a.algorithm]);
  if (digests[0] !== undefined) return { scheme: 'Digest', challenge: digests[0] };
  for (const v of typeof values === 'string' ? [values] : values) {
    try {
      for (const ch of parseAuthHeader(v)) {
        if (ch.scheme.toLowerCase() === 'basic') return { scheme: 'Basic', realm: ch.params.realm ?? '' };
      }
    } catch {
      // skip unreadable header
    }
  }
  return undefined;
}

/**
 * Formats a `WWW-Authenticate` value: `Digest realm="…", nonce="…", stale=true, algorithm=MD5,
 * qop="auth"`. `stale` comes right after the nonce: live555's RTSPClient reads a challenge as
 * `realm, nonce[, stale]` in that order and otherwise gives up instead of retrying a stale nonce.
 */
export function formatDigestChallenge(ch: DigestChallenge): string {
  return formatAuthHeader('Digest', {
    realm: ch.realm,
    nonce: ch.nonce,
    stale: ch.stale ? 'true' : undefined,
    algorithm: ch.algorithm,
    qop: ch.qop.length > 0 ? ch.qop.join(', ') : undefined,
    opaque: ch.opaque,
    domain: ch.domain,
    charset: ch.charset,
    userhash: ch.userhash === undefined ? undefined : String(ch.userhash),
  }, ['algorithm', 'stale', 'userhash']);
}

/**
 * Parses an `Authorization: Digest …` value. Throws `ERR_RTSP_AUTH_HEADER` (status 400) when it
 * is not Digest or lacks username, realm, nonce, uri or response.
 */
export function parseDigestAuthorization(value: string): DigestCredentials {
  const [ch] = parseAuthHeader(value);
  if (ch === undefined || ch.scheme.toLowerCase() !== 'digest') throw bad('Authorization is not Digest');
  const p = ch.params;
  for (const k of ['username', 'realm', 'nonce', 'uri', 'response']) {
    if (p[k] === undefined) throw bad(`Digest Authorization lacks ${k}`);
  }
  return {
    username: p.username!,
    realm: p.realm!,
    nonce: p.nonce!,
    uri: p.uri!,
    response: p.response!,
    algorithm: p.algorithm,
    qop: p.qop,
    nc: p.nc,
    cnonce: p.cnonce,
    opaque: p.opaque,
    userhash: p.userhash === undefined ? undefined : p.userhash.toLowerCase() === 'true',
  };
}

/** Formats an `Authorization: Digest …` value (qop, nc, algorithm unquoted as RFC 7616 writes them). */
export function formatDigestAuthorization(c: DigestCredentials): string {
  return formatAuthHeader(
    'Digest',
    {
      username: c.username,
      realm: c.realm,
      nonce: c.nonce,
      uri: c.uri,
      response: c.response,
      algorithm: c.algorithm,
      qop: c.qop,
      nc: c.nc,
      cnonce: c.cnonce,
      opaque: c.opaque,
      userhash: c.userhash === undefined ? undefined : String(c.userhash),
    },
    ['algorithm', 'qop', 'nc', 'userhash'],
  );
}

/**
 * Client side: answers a Digest challenge. Uses qop=auth when offered (else auth-int, else none,
 * as live555 servers expect). Returns the credentials and the header value to send.
 * Throws `ERR_RTSP_AUTH` when the challenge needs a cnonce and none was given.
 */
export function createDigestAuthorization(init: DigestAuthorizationInit): { credentials: DigestCredentials; header: string } {
  const ch = init.challenge;
  const qop = ch.qop.includes('auth') ? 'auth' : ch.qop.includes('auth-int') ? 'auth-int' : undefined;
  const needsCnonce = qop !== undefined || ch.algorithm.endsWith('-sess');
  if (needsCnonce && (init.cnonce === undefined || init.cnonce === '')) {
    throw new DorsvrError('ERR_RTSP_AUTH', 'a cnonce is required for this Digest challenge');
  }
  const nc = qop === undefined ? undefined : (init.nc ?? 1).toString(16).padStart(8, '0');
  const cnonce = needsCnonce ? init.cnonce : undefined;
  const username = ch.userhash === true ? digestHash(ch.algorithm, `${init.username}:${ch.realm}`) : init.username;
  const response = computeDigestResponse({
    algorithm: ch.algorithm,
    ha1: computeDigestHA1(ch.algorithm, init.username, ch.realm, init.password),
    method: init.method,
    uri: init.uri,
    nonce: ch.nonce,
    qop,
    nc,
    cnonce,
    body: init.body,
  });
  const credentials: DigestCredentials = {
    username,
    realm: ch.realm,
    nonce: ch.nonce,
    uri: init.uri,
    response,
    algorithm: ch.algorithm,
    qop,
    nc,
    cnonce,
    opaque: ch.opaque,
    userhash: ch.userhash === true ? true : undefined,
  };
  return { credentials, header: formatDigestAuthorization(credentials) };
}

/**
 * Server side: true when `credentials.response` is what the password (or stored HA1) gives for
 * this method and the credentials' own uri, nonce, qop, nc and cnonce. Compared in constant time.
 * Checking that the nonce is one the server issued and still fresh, and that realm and username
 * match, is the caller's job (it knows its nonces and users).
 */
export function verifyDigestAuthorization(init: DigestVerifyInit): boolean {
  const c = init.credentials;
  const algorithm = parseDigestAlgorithm(c.algorithm);
  if (algorithm === undefined) return false;
  if (c.qop !== undefined && c.qop !== 'auth' && c.qop !== 'auth-int') return false;
  if (c.qop !== undefined && (c.nc === undefined || c.cnonce === undefined)) return false;
  let ha1 = init.ha1;
  if (ha1 === undefined) {
    if (init.password === undefined) return false;
    ha1 = computeDigestHA1(algorithm, c.username, c.realm, init.password);
  }
  const expected = computeDigestResponse({
    algorithm,
    ha1,
    method: init.method,
    uri: c.uri,
    nonce: c.nonce,
    qop: c.qop,
    nc: c.nc,
    cnonce: c.cnonce,
    body: init.body,
  });
  const a = Buffer.from(expected, 'latin1');
  const b = Buffer.from(c.response.toLowerCase(), 'latin1');
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The resource a request URI or a Digest `uri=` names, for comparing the two: the path and query
 * of an absolute `rtsp://` / `rtsps://` URL or of a relative reference (`/stream/track1`,
 * `stream/track1`), trailing slashes and any fragment removed; `*` stays `*`. Undefined for a URL
 * of another scheme or an empty string.
 */
function resourceOf(uri: string): string | undefined {
  let rest = uri.trim();
  if (rest === '*') return '*';
  const abs = /^rtsps?:\/\/[^/?#]*/i.exec(rest);
  if (abs !== null) rest = rest.slice(abs[0].length);
  else if (rest === '' || /^[A-Za-z][A-Za-z0-9+.-]*:/.test(rest)) return undefined;
  const hash = rest.indexOf('#');
  if (hash >= 0) rest = rest.slice(0, hash);
  const q = rest.indexOf('?');
  const path = (q < 0 ? rest : rest.slice(0, q)).replace(/^\/*/, '/').replace(/\/+$/, '');
  const query = q < 0 ? '' : rest.slice(q).replace(/\/+$/, '');
  return path + query;
}

/**
 * Server side: true when the `uri=` of Digest credentials names the resource of the request they
 * came with (RFC 7616 3.4.6), so that a header computed for one stream cannot open another. The
 * two are compared by path and query: the absolute form (`rtsp://host:port/stream`, what ffmpeg
 * and GStreamer send) and the relative one (`/stream`) match each other, with or without a
 * trailing slash. Scheme, host and port are not compared (a server serves the same path under
 * each of its addresses). A server that also accepts another URI for the same resource, such as
 * the aggregate URL VLC hashes into the SETUP of a track, checks that itself.
 */
export function digestURIMatches(digestURI: string, requestURI: string): boolean {
  const a = resourceOf(digestURI);
  return a !== undefined && a === resourceOf(requestURI);
}

/** `Basic <base64(user:password)>` for an Authorization header. */
export function encodeBasicAuthorization(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

/** Decodes `Basic <base64>`; undefined when it is not Basic or not `user:password`. */
export function decodeBasicAuthorization(value: string): { username: string; password: string } | undefined {
  const m = /^\s*basic\s+([A-Za-z0-9+/]+={0,2})\s*$/i.exec(value);
  if (m === null) return undefined;
  const text = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon < 0) return undefined;
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}
