// Credentials go only to the origin they were given for: after a redirect to another host:port,
// no Authorization is sent unless the user opts in, and Basic never (as browsers and undici drop
// credentials across origins). Two scripted servers on different ports play the two origins.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeBasicAuthorization, parseDigestAuthorization, verifyDigestAuthorization, type RTSPRequest } from '@dorsvr/livemedia';
import { DorsvrError } from '@dorsvr/scheduler';
import { RTSPClient, RTSPClientError } from '@dorsvr/rtspclient';
import { FakeRTSPServer, pcmuSDP, type FakeAnswer } from './FakeRTSPServer.js';

const USER = 'carol';
const PASS = 's3cret!';

type Scheme = 'Digest' | 'Basic';

/**
 * Answers 401 until the request carries valid credentials for `scheme` (Digest: the nonce of this
 * server, response checked), then `then(req)`. Every Authorization header received is kept.
 */
function guarded(realm: string, scheme: Scheme, then: (req: RTSPRequest) => FakeAnswer, user = USER, pass = PASS) {
  const seen: string[] = [];
  const nonce = `nonce-of-${realm}`;
  const challenge: FakeAnswer = {
    status: 401,
    headers: [['WWW-Authenticate', scheme === 'Digest' ? `Digest realm="${realm}", nonce="${nonce}", algorithm=MD5` : `Basic realm="${realm}"`]],
  };
  const handler = (req: RTSPRequest): FakeAnswer => {
    const auth = req.headers.get('Authorization');
    if (auth === undefined) return challenge;
    seen.push(auth);
    if (scheme === 'Basic') {
      const b = decodeBasicAuthorization(auth);
      return b?.username === user && b.password === pass ? then(req) : challenge;
    }
    if (!/^digest/i.test(auth)) return challenge;
    const c = parseDigestAuthorization(auth);
    const ok = c.realm === realm && c.nonce === nonce && c.username === user && verifyDigestAuthorization({ credentials: c, method: req.method, password: pass });
    return ok ? then(req) : challenge;
  };
  return { handler, seen };
}

const describeOK = (): FakeAnswer => ({ status: 200, headers: { 'Content-Type': 'application/sdp' }, body: pcmuSDP() });

/** Origin A (asks for credentials, then redirects DESCRIBE) and origin B (asks for `bScheme`). */
async function twoOrigins(aScheme: Scheme, bScheme: Scheme, bUser = USER, bPass = PASS) {
  const b = guarded('B', bScheme, describeOK, bUser, bPass);
  const fakeB = await FakeRTSPServer.start(b.handler);
  const a = guarded('A', aScheme, () => ({ status: 302, headers: { Location: fakeB.url('moved') } }));
  const fakeA = await FakeRTSPServer.start(a.handler);
  return {
    a,
    b,
    fakeA,
    fakeB,
    async close() {
      await fakeA.close();
      await fakeB.close();
    },
  };
}

for (const scheme of ['Digest', 'Basic'] as const) {
  test(`${scheme}: after a redirect to another port, no Authorization reaches the new origin (credentials from URL userinfo)`, async () => {
    const o = await twoOrigins(scheme, scheme);
    const client = new RTSPClient(o.fakeA.url('cam').replace('rtsp://', `rtsp://${USER}:${encodeURIComponent(PASS)}@`));
    const redirects: string[] = [];
    client.on('redirect', (u) => redirects.push(u));
    try {
      await assert.rejects(
        client.describe(),
        (e: unknown) => e instanceof RTSPClientError && e.status === 401 && /not sent to rtsp:\/\/127\.0\.0\.1:\d+ after a redirect/.test(e.message),
      );
      assert.equal(o.a.seen.length, 1, 'origin A got the credentials it asked for');
      assert.deepEqual(redirects, [o.fakeB.url('moved')]);
      assert.ok(o.fakeB.requests.length >= 1, 'the client went to B');
      assert.deepEqual(
        o.fakeB.requests.map((r) => r.headers.get('Authorization')),
        o.fakeB.requests.map(() => undefined),
        'B never saw an Authorization header',
      );
    } finally {
      await client.close();
      await o.close();
    }
  });
}

test('opted in (sendCredentialsAfterRedirect): Digest answers the new origin\'s own challenge; Basic is still never sent', async () => {
  const digest = await twoOrigins('Digest', 'Digest');
  const c1 = new RTSPClient(digest.fakeA.url('cam'), { username: USER, password: PASS, sendCredentialsAfterRedirect: true });
  try {
    const session = await c1.describe();
    assert.equal(session.subsessions.length, 1);
    assert.equal(digest.b.seen.length, 1, 'one Authorization to B, after its challenge');
    const creds = parseDigestAuthorization(digest.b.seen[0]!);
    assert.equal(creds.realm, 'B');
    assert.equal(creds.nonce, 'nonce-of-B', 'computed for B\'s nonce, not A\'s');
    assert.equal(digest.fakeB.requests[0]!.headers.get('Authorization'), undefined, 'nothing sent to B before its challenge');
  } finally {
    await c1.close();
    await digest.close();
  }

  const basic = await twoOrigins('Digest', 'Basic');
  const c2 = new RTSPClient(basic.fakeA.url('cam'), { username: USER, password: PASS, sendCredentialsAfterRedirect: true });
  try {
    await assert.rejects(c2.describe(), (e: unknown) => e instanceof RTSPClientError && e.status === 401 && /only Basic, which is never sent after a redirect/.test(e.message));
    assert.equal(basic.b.seen.length, 0, 'no Basic credentials to another origin');
  } finally {
    await c2.close();
    await basic.close();
  }
});

test('a redirect within the same origin keeps the credentials (Basic included); a Location with its own userinfo gets those, not the user\'s', async () => {
  const same = guarded('A', 'Basic', (req) => (req.uri.endsWith('/cam') ? { status: 301, headers: { Location: '/elsewhere' } } : describeOK()));
  const fake = await FakeRTSPServer.start(same.handler);
  const c1 = new RTSPClient(fake.url('cam'), { username: USER, password: PASS });
  try {
    await c1.describe();
    assert.ok(fake.requests.some((r) => r.uri.endsWith('/elsewhere') && r.headers.get('Authorization') !== undefined));
    assert.equal(c1.url, fake.url('elsewhere'));
  } finally {
    await c1.close();
    await fake.close();
  }

  const b = guarded('B', 'Digest', describeOK, 'given', 'by-location');
  const fakeB = await FakeRTSPServer.start(b.handler);
  const a = guarded('A', 'Digest', () => ({ status: 302, headers: { Location: fakeB.url('moved').replace('rtsp://', 'rtsp://given:by-location@') } }));
  const fakeA = await FakeRTSPServer.start(a.handler);
  const c2 = new RTSPClient(fakeA.url('cam'), { username: USER, password: PASS });
  try {
    await c2.describe();
    assert.equal(b.seen.length, 1);
    assert.equal(parseDigestAuthorization(b.seen[0]!).username, 'given');
  } finally {
    await c2.close();
    await fakeA.close();
    await fakeB.close();
  }
});

test('fail closed: sendCredentialsAfterRedirect takes only a boolean (the string "false" used to mean true and sent credentials to the origin a redirect led to)', async () => {
  for (const bad of ['false', 'true', 0, 1, null]) {
    assert.throws(
      () => new RTSPClient('rtsp://127.0.0.1/x', { username: USER, password: PASS, sendCredentialsAfterRedirect: bad as unknown as boolean }),
      (e: unknown) => e instanceof DorsvrError && e.code === 'ERR_RTSP_CLIENT_OPTION',
      String(bad),
    );
  }
  for (const ok of [true, false, undefined]) await new RTSPClient('rtsp://127.0.0.1/x', { sendCredentialsAfterRedirect: ok }).close();
});
