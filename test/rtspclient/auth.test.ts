// Authentication against scripted servers: the strongest of several challenges is answered,
// qop=auth with counting nonces, stale=true renewal, refused credentials, Basic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeBasicAuthorization, parseDigestAuthorization, verifyDigestAuthorization, type RTSPRequest } from '@dorsvr/livemedia';
import { DorsvrError } from '@dorsvr/scheduler';
import { RTSPClient, RTSPClientAuthenticator, RTSPClientError } from '@dorsvr/rtspclient';
import { FakeRTSPServer, pcmuSDP, type FakeAnswer } from './FakeRTSPServer.js';

const USER = 'bob';
const PASS = 'pa:ss w0rd';
const REALM = 'cam';

interface AuthServerOptions {
  challenges: (nonce: string, stale: boolean) => string[];
  /** Nonces become stale after this many uses (Infinity: never). */
  nonceUses?: number;
  password?: string;
}

/** A server that wants credentials for every request and checks them like a real one would. */
async function authServer(o: AuthServerOptions) {
  let nonceN = 0;
  let nonce = `n${nonceN}`;
  let uses = 0;
  const accepted: Array<{ method: string; scheme: string; algorithm?: string | undefined; nc?: string | undefined; qop?: string | undefined; nonce?: string }> = [];
  const challenge = (stale: boolean): FakeAnswer => ({ status: 401, headers: o.challenges(nonce, stale).map((c) => ['WWW-Authenticate', c] as [string, string]) });
  const fake = await FakeRTSPServer.start((req: RTSPRequest) => {
    const auth = req.headers.get('Authorization');
    if (auth === undefined) return challenge(false);
    if (/^basic/i.test(auth)) {
      const b = decodeBasicAuthorization(auth);
      if (b?.username !== USER || b.password !== (o.password ?? PASS)) return challenge(false);
      accepted.push({ method: req.method, scheme: 'Basic' });
    } else {
      const c = parseDigestAuthorization(auth);
      if (c.uri !== req.uri || c.realm !== REALM) return { status: 400 };
      const ok = verifyDigestAuthorization({ credentials: c, method: req.method, password: o.password ?? PASS });
      if (!ok) return challenge(false);
      if (c.nonce !== nonce) return challenge(true);
      if (++uses > (o.nonceUses ?? Infinity)) {
        nonce = `n${++nonceN}`;
        uses = 0;
        return challenge(true);
      }
      accepted.push({ method: req.method, scheme: 'Digest', algorithm: c.algorithm, nc: c.nc, qop: c.qop, nonce: c.nonce });
    }
    if (req.method === 'DESCRIBE') return { status: 200, headers: { 'Content-Type': 'application/sdp' }, body: pcmuSDP() };
    return { status: 200, headers: { Public: 'OPTIONS, DESCRIBE, GET_PARAMETER' } };
  });
  return { fake, accepted };
}

const basic = `Basic realm="${REALM}"`;
const md5 = (nonce: string, stale: boolean) => `Digest realm="${REALM}", nonce="${nonce}", algorithm=MD5, qop="auth"${stale ? ', stale=true' : ''}`;
const sha256 = (nonce: string, stale: boolean) => `Digest realm="${REALM}", nonce="${nonce}", algorithm=SHA-256, qop="auth"${stale ? ', stale=true' : ''}`;

test('several WWW-Authenticate headers: Digest SHA-256 is preferred over MD5 over Basic, whatever their order; qop=auth counts nc', async () => {
  const cases: Array<[AuthServerOptions['challenges'], string, string | undefined]> = [
    [(n, s) => [basic, md5(n, s), sha256(n, s)], 'Digest', 'SHA-256'],
    [(n, s) => [sha256(n, s), basic, md5(n, s)], 'Digest', 'SHA-256'],
    [(n, s) => [basic, md5(n, s)], 'Digest', 'MD5'],
    // Two challenges in one header line (comma-separated), as some cameras send.
    [(n, s) => [`${md5(n, s)}, ${basic}`], 'Digest', 'MD5'],
    [() => [basic], 'Basic', undefined],
  ];
  for (const [challenges, scheme, algorithm] of cases) {
    const { fake, accepted } = await authServer({ challenges });
    const client = new RTSPClient(fake.url('s').replace('rtsp://', `rtsp://${USER}:${encodeURIComponent(PASS)}@`));
    try {
      await client.options();
      await client.describe();
      await client.getParameter();
      assert.equal(client.authScheme, scheme);
      assert.deepEqual(accepted.map((a) => [a.method, a.scheme, a.algorithm]), [['OPTIONS', scheme, algorithm], ['DESCRIBE', scheme, algorithm], ['GET_PARAMETER', scheme, algorithm]]);
      if (scheme === 'Digest') {
        assert.deepEqual(accepted.map((a) => a.nc), ['00000001', '00000002', '00000003']);
        assert.ok(accepted.every((a) => a.qop === 'auth'));
      }
      // One 401 only: the first request, then credentials on every request.
      assert.equal(fake.requests.length, 4);
      assert.equal(fake.requests[0]!.headers.get('Authorization'), undefined);
    } finally {
      await client.close();
      await fake.close();
    }
  }
});

test('stale=true: a new nonce is taken and the request retried without failing; a wrong password rejects with 401 after one try', async () => {
  const { fake, accepted } = await authServer({ challenges: (n, s) => [md5(n, s)], nonceUses: 2 });
  const client = new RTSPClient(fake.url('s'), { username: USER, password: PASS });
  try {
    for (let i = 0; i < 5; i++) await client.options();
    assert.deepEqual(accepted.map((a) => a.nonce), ['n0', 'n0', 'n1', 'n1', 'n2']);
    assert.deepEqual(accepted.map((a) => a.nc), ['00000001', '00000002', '00000001', '00000002', '00000001']);
  } finally {
    await client.close();
    await fake.close();
  }

  const bad = await authServer({ challenges: (n, s) => [sha256(n, s)], password: 'other' });
  const c2 = new RTSPClient(bad.fake.url('s'), { username: USER, password: PASS });
  try {
    await assert.rejects(c2.describe(), (e: unknown) => e instanceof RTSPClientError && e.code === 'ERR_RTSP_STATUS' && e.status === 401 && /refused/.test(e.message));
    assert.equal(bad.fake.requests.length, 2, 'one try with credentials, no loop');
  } finally {
    await c2.close();
    await bad.fake.close();
  }
});

test('fail closed: RTSPClientAuthenticator allowBasic takes only a boolean (the string "false" allowed Basic: the password in the clear)', () => {
  for (const bad of ['false', 0, 1]) {
    assert.throws(
      () => new RTSPClientAuthenticator('u', 'p', { allowBasic: bad as unknown as boolean }),
      (e: unknown) => e instanceof DorsvrError && e.code === 'ERR_RTSP_CLIENT_OPTION',
      String(bad),
    );
  }
  const off = new RTSPClientAuthenticator('u', 'p', { allowBasic: false });
  assert.equal(off.onChallenge(['Basic realm="x"'], false), false, 'no Basic answer when it is off');
  assert.equal(off.refusedBasic, true);
  assert.equal(new RTSPClientAuthenticator('u', 'p').allowBasic, true);
});
