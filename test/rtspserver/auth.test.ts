// Authentication on the server: which database applies (the stream's replaces the server's), what
// a wrong database does (refused loudly), the Digest uri= check (a header for one stream opens no
// other), stateless nonces (unknown or expired nonce with a right digest: stale=true; no table to
// fill or clear), and the server's unheard errors becoming warnings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { setImmediate as tick } from 'node:timers/promises';
import { VirtualTaskScheduler, isDorsvrError } from '@dorsvr/scheduler';
import {
  ServerMediaSession,
  computeDigestHA1,
  computeDigestResponse,
  formatDigestAuthorization,
  type AuthenticationDatabase,
  type ServerDigestAlgorithm,
} from '@dorsvr/livemedia';
import { RTSPAuthenticator, RTSPServer, UserAuthenticationDatabase, type AuthResult } from '@dorsvr/rtspserver';
import { RawRTSPClient } from './helpers/RawRTSPClient.js';
import { RecordingSubsession } from './helpers/RecordingSubsession.js';
import { virtualScheduler } from './helpers/schedulers.js';

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

/** An RFC 2069 (no qop) MD5 Digest header, as ffmpeg and live555 clients send it. */
function digest(o: { realm: string; nonce: string; user: string; pass: string; method: string; uri: string; hashedURI?: string }): string {
  const response = md5(`${md5(`${o.user}:${o.realm}:${o.pass}`)}:${o.nonce}:${md5(`${o.method}:${o.hashedURI ?? o.uri}`)}`);
  return `Digest username="${o.user}", realm="${o.realm}", nonce="${o.nonce}", uri="${o.uri}", response="${response}"`;
}

function nonceOf(challenges: readonly string[]): string {
  return /nonce="([^"]*)"/.exec(challenges[1]!)![1]!;
}

function realmOf(challenges: readonly string[]): string {
  return /realm="([^"]*)"/.exec(challenges[1]!)![1]!;
}

// ------------------------------------------------------------------------------------------------
// RTSPAuthenticator on a virtual clock

function authenticator(options: ConstructorParameters<typeof RTSPAuthenticator>[1] = {}) {
  const scheduler = new VirtualTaskScheduler();
  const auth = new RTSPAuthenticator(scheduler, options);
  const db = new UserAuthenticationDatabase({ realm: 'r' }).addUser('alice', 'pw');
  const nonce = (): string => nonceOf(auth.challenges(db));
  const check = (n: string, uri = 'rtsp://h/test.264', extra: { pass?: string; streamName?: string; method?: string; requestURI?: string } = {}): AuthResult =>
    auth.verify(db, { method: extra.method ?? 'DESCRIBE', uri: extra.requestURI ?? 'rtsp://h/test.264', streamName: extra.streamName }, digest({ realm: 'r', nonce: n, user: 'alice', pass: extra.pass ?? 'pw', method: extra.method ?? 'DESCRIBE', uri }));
  return { scheduler, auth, db, nonce, check };
}

test('Digest uri=: the request URI (absolute, relative, trailing slash) is accepted; another stream, "x" or a track of it is 400', () => {
  const { nonce, check, scheduler } = authenticator();
  const n = nonce();
  for (const uri of ['rtsp://h/test.264', 'rtsp://127.0.0.1:8554/test.264/', '/test.264']) assert.deepEqual(check(n, uri), { ok: true, username: 'alice' }, uri);
  for (const uri of ['rtsp://h/test.265', '/test.265', 'x', 'rtsp://h/test.264/track1', 'rtsp://h/']) {
    assert.deepEqual(check(n, uri), { ok: false, status: 400, stale: false }, uri);
  }
  scheduler.close();
});

test('Digest uri=: a track request also accepts the aggregate URL of the stream being authorized (VLC), not another stream\'s', () => {
  const { nonce, check, scheduler } = authenticator();
  const n = nonce();
  const setup = { method: 'SETUP', requestURI: 'rtsp://h/cam/one/track1', streamName: 'cam/one' };
  assert.equal(check(n, 'rtsp://h/cam/one/track1', setup).ok, true);
  assert.equal(check(n, 'rtsp://h/cam/one', setup).ok, true, 'the base URL');
  assert.equal(check(n, 'rtsp://h/cam/one/', setup).ok, true, 'the Content-Base form');
  assert.equal(check(n, '/cam/one', setup).ok, true, 'relative base');
  for (const uri of ['rtsp://h/cam/two', 'rtsp://h/cam', 'rtsp://h/cam/one/track2', 'cam/one']) {
    assert.deepEqual(check(n, uri, setup), { ok: false, status: 400, stale: false }, uri);
  }
  assert.equal(check(n, 'rtsp://h/cam/one', { ...setup, streamName: undefined }).ok, false, 'no stream: only the request URI');
  scheduler.close();
});

test('nonces: a right digest with an unknown, forged or expired nonce is stale=true; a wrong one is not stale', () => {
  const { nonce, check, scheduler } = authenticator({ nonceLifetimeSeconds: 30 });
  const other = new RTSPAuthenticator(scheduler);
  const foreign = nonceOf(other.challenges(new UserAuthenticationDatabase({ realm: 'r' })));
  assert.deepEqual(check(foreign), { ok: false, status: 401, stale: true }, 'another server\'s nonce (or ours before a restart)');
  assert.deepEqual(check('0123456789abcdef'), { ok: false, status: 401, stale: true }, 'a nonce of another shape');
  const n = nonce();
  const forged = `${n.slice(0, 63)}${n[63] === '0' ? '1' : '0'}`;
  assert.deepEqual(check(forged), { ok: false, status: 401, stale: true }, 'a tampered nonce');
  assert.deepEqual(check(foreign, undefined, { pass: 'guess' }), { ok: false, status: 401, stale: false }, 'wrong password: not stale');
  assert.equal(check(n).ok, true);
  scheduler.advance(31e6);
  assert.deepEqual(check(n), { ok: false, status: 401, stale: true }, 'expired');
  scheduler.close();
});

test('nonces: each use renews the lifetime; renewals are remembered for the most recently used nonces only (bounded), the others live from issue', () => {
  const { nonce, check, scheduler, auth } = authenticator({ nonceLifetimeSeconds: 30, maxRenewedNonces: 2 });
  const [a, b, c] = [nonce(), nonce(), nonce()];
  scheduler.advance(20e6);
  for (const n of [a, b, c]) assert.equal(check(n).ok, true); // a is now the least recently used
  assert.equal(auth.renewedNonceCount, 2);
  scheduler.advance(20e6); // 40 s after issue, 20 s after last use
  // (Another request than the first: without qop a nonce authorizes each method and uri once.)
  const again = { method: 'GET_PARAMETER' };
  assert.equal(check(b, undefined, again).ok, true, 'renewed by its use');
  assert.equal(check(c, undefined, again).ok, true, 'renewed by its use');
  assert.deepEqual(check(a, undefined, again), { ok: false, status: 401, stale: true }, 'forgotten renewal: 40 s after issue is stale');
  assert.equal(auth.renewedNonceCount, 2);
  scheduler.close();
});

test('nonces: a flood of 401s stores nothing, and a nonce issued before it still works (no wholesale clearing)', () => {
  const { nonce, check, scheduler, auth, db } = authenticator();
  const first = nonce();
  for (let i = 0; i < 5000; i++) auth.challenges(db);
  assert.equal(auth.renewedNonceCount, 0);
  assert.equal(check(first).ok, true);
  assert.equal(auth.renewedNonceCount, 1);
  scheduler.close();
});

test('a nonce lifetime or renewal cap that is not a number is refused (NaN would make nonces never expire)', () => {
  const scheduler = new VirtualTaskScheduler();
  for (const nonceLifetimeSeconds of [NaN, 0, -5, Infinity]) {
    assert.throws(() => new RTSPAuthenticator(scheduler, { nonceLifetimeSeconds }), (e: unknown) => isDorsvrError(e, 'ERR_SERVER_OPTION'), String(nonceLifetimeSeconds));
    assert.throws(() => new RTSPServer({ scheduler, port: 0, nonceLifetimeSeconds }), (e: unknown) => isDorsvrError(e, 'ERR_SERVER_OPTION'), String(nonceLifetimeSeconds));
  }
  for (const maxRenewedNonces of [NaN, -1, 1.5]) {
    assert.throws(() => new RTSPAuthenticator(scheduler, { maxRenewedNonces }), (e: unknown) => isDorsvrError(e, 'ERR_SERVER_OPTION'), String(maxRenewedNonces));
  }
  assert.equal(new RTSPAuthenticator(scheduler, { maxRenewedNonces: 0 }).renewedNonceCount, 0);
  scheduler.close();
});

test('a database answering anything but a string HA1 or `true` refuses (an async database cannot let everyone in)', () => {
  const scheduler = new VirtualTaskScheduler();
  const auth = new RTSPAuthenticator(scheduler, { allowBasic: true });
  const asyncDb = {
    realm: 'r',
    ha1: async () => computeDigestHA1('MD5', 'alice', 'r', 'pw'),
    checkPassword: async () => false,
  } as unknown as AuthenticationDatabase;
  const req = { method: 'DESCRIBE', uri: 'rtsp://h/s' };
  const n = nonceOf(auth.challenges(asyncDb));
  assert.equal(auth.verify(asyncDb, req, `Basic ${Buffer.from('alice:nope').toString('base64')}`).ok, false, 'a Promise from checkPassword is not true');
  assert.equal(auth.verify(asyncDb, req, digest({ realm: 'r', nonce: n, user: 'alice', pass: 'pw', method: 'DESCRIBE', uri: 'rtsp://h/s' })).ok, false);
  scheduler.close();
});

// ------------------------------------------------------------------------------------------------
// The server: which database applies

const server1 = new UserAuthenticationDatabase({ realm: 'site' }).addUser('admin', 'apw');
const stream1 = new UserAuthenticationDatabase({ realm: 'cam' }).addUser('viewer', 'vpw');
/** A database that is no UserAuthenticationDatabase (the user's own, or another copy of the package's). */
const ducktyped: AuthenticationDatabase = {
  realm: 'own',
  ha1: (u: string, a: ServerDigestAlgorithm) => (u === 'eve' ? computeDigestHA1(a, u, 'own', 'epw') : undefined),
  checkPassword: (u: string, p: string) => u === 'eve' && p === 'epw',
};

async function serve(serverDb: AuthenticationDatabase | undefined, streams: Record<string, AuthenticationDatabase | undefined>) {
  const scheduler = virtualScheduler();
  const server = new RTSPServer({ scheduler, port: 0, host: '127.0.0.1', authDatabase: serverDb });
  for (const [name, db] of Object.entries(streams)) server.addServerMediaSession(new ServerMediaSession(name, { authDatabase: db }).addSubsession(new RecordingSubsession()));
  const port = await server.listen();
  const c = await RawRTSPClient.connect(port);
  const base = `rtsp://127.0.0.1:${port}`;
  /** DESCRIBE `name` as `user` (none: no credentials): the final status. */
  const describe = async (name: string, user?: [string, string]): Promise<number> => {
    const uri = `${base}/${name}`;
    const r = await c.request('DESCRIBE', uri);
    if (r.status !== 401 || user === undefined) return r.status;
    const ch = r.all['www-authenticate']!;
    return (await c.request('DESCRIBE', uri, { Authorization: digest({ realm: realmOf(ch), nonce: nonceOf(ch), user: user[0], pass: user[1], method: 'DESCRIBE', uri }) })).status;
  };
  return {
    server,
    c,
    base,
    describe,
    async done() {
      c.close();
      await server.close();
      scheduler.close();
    },
  };
}

const ADMIN: [string, string] = ['admin', 'apw'];
const VIEWER: [string, string] = ['viewer', 'vpw'];
const EVE: [string, string] = ['eve', 'epw'];

test('server database only: every stream needs one of its users', async () => {
  const f = await serve(server1, { a: undefined, b: undefined });
  try {
    assert.equal(await f.describe('a'), 401);
    assert.equal(await f.describe('a', ADMIN), 200);
    assert.equal(await f.describe('b', ADMIN), 200);
    assert.equal(await f.describe('b', VIEWER), 401);
    assert.equal(await f.describe('nothing-here'), 401, 'unknown names are not revealed without credentials');
    assert.equal(await f.describe('nothing-here', ADMIN), 404);
  } finally {
    await f.done();
  }
});

test('stream database only: that stream needs its users, the others stay open', async () => {
  const f = await serve(undefined, { open: undefined, locked: stream1, own: ducktyped });
  try {
    assert.equal(await f.describe('open'), 200);
    assert.equal(await f.describe('locked'), 401);
    assert.equal(await f.describe('locked', VIEWER), 200);
    assert.equal(await f.describe('locked', ADMIN), 401);
    assert.equal(await f.describe('own'), 401, 'a duck-typed database is honoured, not skipped');
    assert.equal(await f.describe('own', EVE), 200);
    assert.equal(await f.describe('nothing-here'), 404);
  } finally {
    await f.done();
  }
});

test('both: the stream\'s database replaces the server\'s for that stream (server users are refused there), the server\'s guards the rest', async () => {
  const f = await serve(server1, { open: undefined, locked: stream1 });
  try {
    assert.equal(await f.describe('locked', VIEWER), 200);
    assert.equal(await f.describe('locked', ADMIN), 401);
    assert.equal(await f.describe('open', ADMIN), 200);
    assert.equal(await f.describe('open', VIEWER), 401);
    // Replacing a stream's database at run time takes effect at once; a wrong one is refused and changes nothing.
    const locked = f.server.serverMediaSessions.get('locked')!;
    assert.throws(() => (locked.authDatabase = new Map([['admin', 'apw']]) as never), (e: unknown) => isDorsvrError(e, 'ERR_AUTH_DATABASE'));
    assert.equal(await f.describe('locked', ADMIN), 401);
    locked.authDatabase = undefined;
    assert.equal(await f.describe('locked', ADMIN), 200, 'back to the server\'s database');
    assert.equal(await f.describe('locked', VIEWER), 401);
  } finally {
    await f.done();
  }
});

test('a stream whose authDatabase slips past the setter (another copy of livemedia, an override) fails closed: 500, not served', async () => {
  class Sneaky extends ServerMediaSession {
    override get authDatabase(): AuthenticationDatabase | undefined {
      return new Map([['alice', 'pw']]) as never;
    }
    override set authDatabase(_db: AuthenticationDatabase | undefined) {}
  }
  const f = await serve(undefined, { open: undefined });
  f.server.addServerMediaSession(new Sneaky('sneaky').addSubsession(new RecordingSubsession()));
  const errors: unknown[] = [];
  f.server.on('error', (e) => errors.push(e));
  try {
    assert.equal(await f.describe('sneaky'), 500);
    assert.ok(isDorsvrError(errors[0], 'ERR_AUTH_DATABASE'), String(errors[0]));
    assert.equal(await f.describe('open'), 200, 'the others are served');
  } finally {
    await f.done();
  }
});

test('an RTSPServer authDatabase of the wrong type is refused, as option and on assignment', async () => {
  const scheduler = virtualScheduler();
  for (const wrong of [new Map([['a', 'b']]), { admin: 'apw' }, null, 'admin:apw', { realm: 'x', ha1: () => undefined }]) {
    assert.throws(() => new RTSPServer({ scheduler, port: 0, authDatabase: wrong as never }), (e: unknown) => isDorsvrError(e, 'ERR_AUTH_DATABASE'));
  }
  const server = new RTSPServer({ scheduler, port: 0, authDatabase: server1 });
  assert.throws(() => (server.authDatabase = {} as never), (e: unknown) => isDorsvrError(e, 'ERR_AUTH_DATABASE'));
  assert.equal(server.authDatabase, server1, 'still protected');
  server.authDatabase = ducktyped;
  assert.equal(server.authDatabase, ducktyped);
  await server.close();
  scheduler.close();
});

test('over the wire: a Digest header computed for test.265 is refused (400) on DESCRIBE of test.264, as is uri="x"; its own URI in relative form works', async () => {
  const f = await serve(server1, { 'test.264': undefined, 'test.265': undefined });
  try {
    const u264 = `${f.base}/test.264`;
    const u265 = `${f.base}/test.265`;
    const ch = (await f.c.request('DESCRIBE', u265)).all['www-authenticate']!;
    const for265 = digest({ realm: 'site', nonce: nonceOf(ch), user: 'admin', pass: 'apw', method: 'DESCRIBE', uri: u265 });
    assert.equal((await f.c.request('DESCRIBE', u265, { Authorization: for265 })).status, 200, 'fine for test.265 itself');
    assert.equal((await f.c.request('DESCRIBE', u264, { Authorization: for265 })).status, 400, 'captured for test.265, replayed on test.264');
    const forX = digest({ realm: 'site', nonce: nonceOf(ch), user: 'admin', pass: 'apw', method: 'DESCRIBE', uri: 'x' });
    assert.equal((await f.c.request('DESCRIBE', u264, { Authorization: forX })).status, 400);
    const relative = digest({ realm: 'site', nonce: nonceOf(ch), user: 'admin', pass: 'apw', method: 'DESCRIBE', uri: '/test.264' });
    assert.equal((await f.c.request('DESCRIBE', u264, { Authorization: relative })).status, 200);
  } finally {
    await f.done();
  }
});

test('over the wire: SETUP of a track authorized with the base URL (VLC), then PLAY; a correct digest with an unknown nonce gets stale=true and a new nonce', async () => {
  const f = await serve(server1, { cam: undefined });
  try {
    const base = `${f.base}/cam`;
    const ch = (await f.c.request('DESCRIBE', base)).all['www-authenticate']!;
    const n = nonceOf(ch);
    const setup = await f.c.request('SETUP', `${base}/track1`, {
      Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1',
      Authorization: digest({ realm: 'site', nonce: n, user: 'admin', pass: 'apw', method: 'SETUP', uri: base }),
    });
    assert.equal(setup.status, 200);
    const session = setup.headers['session']!.split(';')[0]!;
    const play = await f.c.request('PLAY', `${base}/`, { Session: session, Authorization: digest({ realm: 'site', nonce: n, user: 'admin', pass: 'apw', method: 'PLAY', uri: `${base}/` }) });
    assert.equal(play.status, 200);
    const unknown = 'f'.repeat(64);
    const stale = await f.c.request('DESCRIBE', base, { Authorization: digest({ realm: 'site', nonce: unknown, user: 'admin', pass: 'apw', method: 'DESCRIBE', uri: base }) });
    assert.equal(stale.status, 401);
    assert.ok(stale.all['www-authenticate']!.slice(0, 2).every((v) => /stale=true/.test(v)), stale.all['www-authenticate']!.join(' | '));
    assert.notEqual(nonceOf(stale.all['www-authenticate']!), unknown);
  } finally {
    await f.done();
  }
});

// ------------------------------------------------------------------------------------------------
// Unheard errors

test('the server\'s error events with no listener become process warnings (a 500 is not silent)', async () => {
  class Broken extends ServerMediaSession {
    override async generateSDPDescription(): Promise<string> {
      throw new Error('the camera fell off the wall');
    }
  }
  const scheduler = virtualScheduler();
  const server = new RTSPServer({ scheduler, port: 0, host: '127.0.0.1' });
  server.addServerMediaSession(new Broken('broken').addSubsession(new RecordingSubsession()));
  const port = await server.listen();
  const c = await RawRTSPClient.connect(port);
  const warnings: Error[] = [];
  const onWarning = (w: Error): void => void warnings.push(w);
  process.on('warning', onWarning);
  try {
    const r = await c.request('DESCRIBE', `rtsp://127.0.0.1:${port}/broken`);
    assert.ok(r.status >= 400);
    await tick();
    await tick();
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]!.name, 'DorsvrWarning');
    assert.match(warnings[0]!.message, /RTSPServer error .*no 'error' listener.*camera fell off the wall/);
    // With a listener, the listener gets it and there is no warning.
    const heard: unknown[] = [];
    server.on('error', (e) => heard.push(e));
    await c.request('DESCRIBE', `rtsp://127.0.0.1:${port}/broken`);
    await tick();
    await tick();
    assert.equal(heard.length, 1);
    assert.equal(warnings.length, 1);
  } finally {
    process.off('warning', onWarning);
    c.close();
    await server.close();
    scheduler.close();
  }
});

// Keep computeDigestResponse/formatDigestAuthorization in use for a SHA-256 case: the same uri rule.
test('SHA-256 Digest follows the same uri rule', () => {
  const { auth, db, nonce, scheduler } = authenticator();
  const n = nonce();
  const header = (uri: string): string =>
    formatDigestAuthorization({
      username: 'alice',
      realm: 'r',
      nonce: n,
      uri,
      algorithm: 'SHA-256',
      response: computeDigestResponse({ algorithm: 'SHA-256', ha1: computeDigestHA1('SHA-256', 'alice', 'r', 'pw'), method: 'PLAY', uri, nonce: n }),
    });
  assert.equal(auth.verify(db, { method: 'PLAY', uri: 'rtsp://h/a' }, header('rtsp://h/a')).ok, true);
  assert.deepEqual(auth.verify(db, { method: 'PLAY', uri: 'rtsp://h/a' }, header('rtsp://h/b')), { ok: false, status: 400, stale: false });
  scheduler.close();
});

// ------------------------------------------------------------------------------------------------
// Replay (issue #11 follow-up): nonces bound to the client's address, qop=auth nonce counts.

/** An MD5 Digest header with qop=auth and nonce count `nc` (as ffmpeg and our client send it). */
function digestQop(o: { nonce: string; nc: number; cnonce?: string; method?: string; uri?: string; qop?: string }): string {
  const uri = o.uri ?? 'rtsp://h/test.264';
  const nc = o.nc.toString(16).padStart(8, '0');
  const cnonce = o.cnonce ?? `c${o.nc}`;
  const qop = o.qop ?? 'auth';
  const response = md5(`${md5('alice:r:pw')}:${o.nonce}:${nc}:${cnonce}:${qop}:${md5(`${o.method ?? 'DESCRIBE'}:${uri}`)}`);
  return `Digest username="alice", realm="r", nonce="${o.nonce}", uri="${uri}", response="${response}", qop=${qop}, nc=${nc}, cnonce="${cnonce}"`;
}

test('replay: a nonce is bound to the address it was challenged to (an IPv6 client: its /64); from elsewhere a right digest is stale', () => {
  const { auth, db, scheduler } = authenticator();
  const req = (clientAddress: string | undefined) => ({ method: 'DESCRIBE', uri: 'rtsp://h/test.264', clientAddress });
  const n = nonceOf(auth.challenges(db, false, '192.0.2.7'));
  const header = digest({ realm: 'r', nonce: n, user: 'alice', pass: 'pw', method: 'DESCRIBE', uri: 'rtsp://h/test.264' });
  assert.deepEqual(auth.verify(db, req('192.0.2.7'), header), { ok: true, username: 'alice' });
  const keepAlive = digest({ realm: 'r', nonce: n, user: 'alice', pass: 'pw', method: 'GET_PARAMETER', uri: 'rtsp://h/test.264' });
  assert.deepEqual(auth.verify(db, { ...req('::ffff:192.0.2.7'), method: 'GET_PARAMETER' }, keepAlive), { ok: true, username: 'alice' }, 'the same address, dual-stack');
  assert.deepEqual(auth.verify(db, req('192.0.2.8'), header), { ok: false, status: 401, stale: true });
  assert.deepEqual(auth.verify(db, req(undefined), header), { ok: false, status: 401, stale: true });
  const n6 = nonceOf(auth.challenges(db, false, '2001:db8:0:1::5'));
  const h6 = digest({ realm: 'r', nonce: n6, user: 'alice', pass: 'pw', method: 'DESCRIBE', uri: 'rtsp://h/test.264' });
  assert.deepEqual(auth.verify(db, req('2001:db8:0:1:aaaa::9'), h6), { ok: true, username: 'alice' }, 'another address of the /64');
  assert.deepEqual(auth.verify(db, req('2001:db8:0:2::5'), h6), { ok: false, status: 401, stale: true });
  scheduler.close();
});

test('replay: challenges offer qop="auth"; with it a nonce count must grow per nonce (a replayed header is stale); without qop (RFC 2069) a nonce authorizes each method and uri once, at most 16', () => {
  const { auth, db, scheduler } = authenticator();
  const ch = auth.challenges(db, false, '192.0.2.7');
  assert.ok(ch.slice(0, 2).every((c) => /qop="auth"/.test(c)), ch.join(' | '));
  const n = nonceOf(ch);
  const req = { method: 'DESCRIBE', uri: 'rtsp://h/test.264', clientAddress: '192.0.2.7' };
  const ok = { ok: true, username: 'alice' };
  const stale = { ok: false, status: 401, stale: true };
  assert.deepEqual(auth.verify(db, req, digestQop({ nonce: n, nc: 1 })), ok);
  assert.deepEqual(auth.verify(db, req, digestQop({ nonce: n, nc: 1 })), stale, 'the same header again');
  assert.deepEqual(auth.verify(db, req, digestQop({ nonce: n, nc: 1, cnonce: 'other' })), stale, 'the same count, another cnonce');
  assert.deepEqual(auth.verify(db, req, digestQop({ nonce: n, nc: 2 })), ok);
  assert.deepEqual(auth.verify(db, req, digestQop({ nonce: n, nc: 7 })), ok, 'a gap is fine (requests that failed)');
  assert.deepEqual(auth.verify(db, req, digestQop({ nonce: n, nc: 3 })), stale, 'a lower count');
  // A nonce never used starts at 1: a header with a higher count for it is not believed.
  const fresh = nonceOf(auth.challenges(db, false, '192.0.2.7'));
  assert.deepEqual(auth.verify(db, req, digestQop({ nonce: fresh, nc: 5 })), stale);
  // qop=auth-int is not offered: refused, not half-checked.
  assert.deepEqual(auth.verify(db, req, digestQop({ nonce: fresh, nc: 1, qop: 'auth-int' })), { ok: false, status: 401, stale: false });
  // RFC 2069 clients (GStreamer, live555) answer without qop: the same request again with the same
  // nonce (a replay, or the client's own keep-alive) is stale, another method or uri is fine.
  const plainHeader = (nonce: string, method: string, uri: string): string => digest({ realm: 'r', nonce, user: 'alice', pass: 'pw', method, uri });
  const plain = plainHeader(fresh, 'DESCRIBE', 'rtsp://h/test.264');
  assert.deepEqual(auth.verify(db, req, plain), ok);
  assert.deepEqual(auth.verify(db, req, plain), stale, 'the same header again');
  const setup = { method: 'SETUP', uri: 'rtsp://h/test.264/track1', clientAddress: '192.0.2.7' };
  assert.deepEqual(auth.verify(db, setup, plainHeader(fresh, 'SETUP', setup.uri)), ok, 'another method and uri');
  assert.deepEqual(auth.verify(db, setup, plainHeader(fresh, 'SETUP', setup.uri)), stale);
  const many = nonceOf(auth.challenges(db, false, '192.0.2.7'));
  for (let i = 1; i <= 16; i++) {
    const r = { method: 'SETUP', uri: `rtsp://h/test.264/track${i}`, clientAddress: '192.0.2.7' };
    assert.deepEqual(auth.verify(db, r, plainHeader(many, 'SETUP', r.uri)), ok, `track ${i}`);
  }
  const seventeenth = { method: 'SETUP', uri: 'rtsp://h/test.264/track17', clientAddress: '192.0.2.7' };
  assert.deepEqual(auth.verify(db, seventeenth, plainHeader(many, 'SETUP', seventeenth.uri)), stale, 'a 17th request: a new nonce');
  // With nothing remembered (maxRenewedNonces: 0) a qop nonce serves one request, a plain one one per method and uri.
  const once = authenticator({ maxRenewedNonces: 0 });
  const m = nonceOf(once.auth.challenges(once.db, false, '192.0.2.7'));
  assert.deepEqual(once.auth.verify(once.db, req, digestQop({ nonce: m, nc: 1 })), ok);
  assert.deepEqual(once.auth.verify(once.db, req, digestQop({ nonce: m, nc: 2 })), stale);
  const p = nonceOf(once.auth.challenges(once.db, false, '192.0.2.7'));
  assert.deepEqual(once.auth.verify(once.db, req, plainHeader(p, 'DESCRIBE', req.uri)), ok);
  assert.deepEqual(once.auth.verify(once.db, req, plainHeader(p, 'DESCRIBE', req.uri)), stale);
  assert.deepEqual(once.auth.verify(once.db, setup, plainHeader(p, 'SETUP', setup.uri)), ok);
  once.scheduler.close();
  scheduler.close();
});

test('replay: a qop nonce forgotten by the bounded memory cannot start its count again at 1 (stale; a nonce issued after the forgotten one still starts at 1)', () => {
  const { auth, db, scheduler } = authenticator({ maxRenewedNonces: 2 });
  const req = { method: 'DESCRIBE', uri: 'rtsp://h/test.264', clientAddress: '192.0.2.7' };
  const ok = { ok: true, username: 'alice' };
  const stale = { ok: false, status: 401, stale: true };
  const issue = () => {
    scheduler.advance(1000);
    return nonceOf(auth.challenges(db, false, '192.0.2.7'));
  };
  const [unused, a, b, c] = [issue(), issue(), issue(), issue()];
  const first = digestQop({ nonce: a, nc: 1 });
  assert.deepEqual(auth.verify(db, req, first), ok);
  assert.deepEqual(auth.verify(db, req, digestQop({ nonce: b, nc: 1 })), ok);
  assert.deepEqual(auth.verify(db, req, digestQop({ nonce: c, nc: 1 })), ok); // a is forgotten now
  assert.equal(auth.renewedNonceCount, 2);
  assert.deepEqual(auth.verify(db, req, first), stale, 'the captured first request of a forgotten nonce, replayed');
  assert.deepEqual(auth.verify(db, req, digestQop({ nonce: unused, nc: 1 })), stale, 'issued before a forgotten nonce: it may have been used');
  const plainSetup = { method: 'SETUP', uri: 'rtsp://h/test.264/track1', clientAddress: '192.0.2.7' };
  const plainFor = (nonce: string): string => digest({ realm: 'r', nonce, user: 'alice', pass: 'pw', method: 'SETUP', uri: plainSetup.uri });
  assert.deepEqual(auth.verify(db, plainSetup, plainFor(a)), stale, 'without qop, a forgotten nonce cannot authorize again either');
  assert.deepEqual(auth.verify(db, req, digestQop({ nonce: c, nc: 2 })), ok, 'a remembered nonce goes on counting');
  assert.deepEqual(auth.verify(db, req, digestQop({ nonce: issue(), nc: 1 })), ok, 'a nonce issued after it starts at 1');
  scheduler.close();
});

test('requireQop: a right Digest answer without qop (RFC 2069) is refused like a wrong password (401, not stale), so no header can be replayed; qop=auth answers and Basic (when allowed) are unaffected', () => {
  const { auth, db, scheduler } = authenticator({ requireQop: true, allowBasic: true });
  const req = { method: 'DESCRIBE', uri: 'rtsp://h/test.264', clientAddress: '192.0.2.7' };
  const n = nonceOf(auth.challenges(db, false, '192.0.2.7'));
  const plain = digest({ realm: 'r', nonce: n, user: 'alice', pass: 'pw', method: 'DESCRIBE', uri: 'rtsp://h/test.264' });
  assert.deepEqual(auth.verify(db, req, plain), { ok: false, status: 401, stale: false });
  assert.deepEqual(auth.verify(db, req, digestQop({ nonce: n, nc: 1 })), { ok: true, username: 'alice' });
  assert.deepEqual(auth.verify(db, req, digestQop({ nonce: n, nc: 1 })), { ok: false, status: 401, stale: true }, 'its replay');
  assert.deepEqual(auth.verify(db, req, `Basic ${Buffer.from('alice:pw').toString('base64')}`), { ok: true, username: 'alice' });
  scheduler.close();
  // Off by default: the same RFC 2069 answer is accepted.
  const lax = authenticator();
  const m = nonceOf(lax.auth.challenges(lax.db, false, '192.0.2.7'));
  assert.equal(lax.auth.verify(lax.db, req, digest({ realm: 'r', nonce: m, user: 'alice', pass: 'pw', method: 'DESCRIBE', uri: 'rtsp://h/test.264' })).ok, true);
  lax.scheduler.close();
});

test('over the wire: requireDigestQop refuses a DESCRIBE answered without qop (401 with fresh challenges), serves one with qop=auth', async () => {
  const scheduler = virtualScheduler();
  const db = new UserAuthenticationDatabase({ realm: 'r' }).addUser('alice', 'pw');
  const server = new RTSPServer({ scheduler, port: 0, host: '127.0.0.1', authDatabase: db, requireDigestQop: true });
  server.addServerMediaSession(new ServerMediaSession('test.264').addSubsession(new RecordingSubsession({ duration: 10 })));
  const port = await server.listen();
  const c = await RawRTSPClient.connect(port);
  try {
    const url = `rtsp://127.0.0.1:${port}/test.264`;
    const first = await c.request('DESCRIBE', url);
    assert.equal(first.status, 401);
    const n = nonceOf(first.all['www-authenticate']!);
    const plain = await c.request('DESCRIBE', url, { Authorization: digest({ realm: 'r', nonce: n, user: 'alice', pass: 'pw', method: 'DESCRIBE', uri: url }) });
    assert.equal(plain.status, 401);
    assert.doesNotMatch(plain.all['www-authenticate']!.join('\n'), /stale=true/);
    const withQop = await c.request('DESCRIBE', url, { Authorization: digestQop({ nonce: n, nc: 1, uri: url }) });
    assert.equal(withQop.status, 200);
  } finally {
    c.close();
    await server.close();
    scheduler.close();
  }
});
