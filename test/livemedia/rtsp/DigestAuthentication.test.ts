import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isDorsvrError } from '@dorsvr/scheduler';
import {
  computeDigestHA1,
  computeDigestResponse,
  createDigestAuthorization,
  decodeBasicAuthorization,
  encodeBasicAuthorization,
  formatDigestChallenge,
  parseDigestAuthorization,
  parseDigestChallenges,
  selectAuthChallenge,
  verifyDigestAuthorization,
  digestURIMatches,
  type DigestChallenge,
} from '@dorsvr/livemedia';

test('RFC 2617 section 3.5 example (Mufasa / Circle Of Life, MD5, qop=auth)', () => {
  const [ch] = parseDigestChallenges(
    'Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
  );
  assert.deepEqual(ch, {
    realm: 'testrealm@host.com',
    nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
    algorithm: 'MD5',
    qop: ['auth', 'auth-int'],
    opaque: '5ccc069c403ebaf9f0171e9517f40e41',
    stale: false,
    domain: undefined,
    charset: undefined,
    userhash: undefined,
  });
  const { credentials, header } = createDigestAuthorization({
    challenge: ch!,
    username: 'Mufasa',
    password: 'Circle Of Life',
    method: 'GET',
    uri: '/dir/index.html',
    cnonce: '0a4f113b',
    nc: 1,
  });
  assert.equal(credentials.response, '6629fae49393a05397450978507c4ef1');
  assert.equal(credentials.nc, '00000001');
  assert.equal(credentials.qop, 'auth');
  assert.equal(
    header,
    'Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="/dir/index.html", ' +
      'response="6629fae49393a05397450978507c4ef1", algorithm=MD5, qop=auth, nc=00000001, cnonce="0a4f113b", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
  );
  // The RFC's own Authorization header verifies on the server side.
  const parsed = parseDigestAuthorization(
    'Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="/dir/index.html", ' +
      'qop=auth, nc=00000001, cnonce="0a4f113b", response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
  );
  assert.equal(verifyDigestAuthorization({ credentials: parsed, method: 'GET', password: 'Circle Of Life' }), true);
  assert.equal(verifyDigestAuthorization({ credentials: parsed, method: 'GET', password: 'Circle of Life' }), false);
  assert.equal(verifyDigestAuthorization({ credentials: parsed, method: 'POST', password: 'Circle Of Life' }), false);
  // A server storing HA1 instead of the password.
  const ha1 = computeDigestHA1('MD5', 'Mufasa', 'testrealm@host.com', 'Circle Of Life');
  assert.equal(verifyDigestAuthorization({ credentials: parsed, method: 'GET', ha1 }), true);
});

// RFC 7616 section 3.9.1: the same request answered with SHA-256 and with MD5.
const RFC7616_NONCE = '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v';
const RFC7616_OPAQUE = 'FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS';
const RFC7616_CNONCE = 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ';
const RFC7616_HEADERS = [
  `Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, nonce="${RFC7616_NONCE}", opaque="${RFC7616_OPAQUE}"`,
  `Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=MD5, nonce="${RFC7616_NONCE}", opaque="${RFC7616_OPAQUE}"`,
];

test('RFC 7616 section 3.9.1 examples: SHA-256 and MD5 responses', () => {
  const challenges = parseDigestChallenges(RFC7616_HEADERS);
  assert.deepEqual(challenges.map((c) => c.algorithm), ['SHA-256', 'MD5']);
  const expected: Record<string, string> = {
    'SHA-256': '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1',
    MD5: '8ca523f5e9506fed4657c9700eebdbec',
  };
  for (const ch of challenges) {
    const { credentials } = createDigestAuthorization({
      challenge: ch,
      username: 'Mufasa',
      password: 'Circle of Life',
      method: 'GET',
      uri: '/dir/index.html',
      cnonce: RFC7616_CNONCE,
      nc: 1,
    });
    assert.equal(credentials.response, expected[ch.algorithm], ch.algorithm);
    assert.equal(verifyDigestAuthorization({ credentials: parseDigestAuthorization(createDigestAuthorization({ challenge: ch, username: 'Mufasa', password: 'Circle of Life', method: 'GET', uri: '/dir/index.html', cnonce: RFC7616_CNONCE }).header), method: 'GET', password: 'Circle of Life' }), true);
  }
});

test('the strongest challenge wins: SHA-256 over MD5 over Basic, whatever the header order', () => {
  const basic = 'Basic realm="cam"';
  assert.equal(selectAuthChallenge([basic, RFC7616_HEADERS[1]!, RFC7616_HEADERS[0]!])?.scheme, 'Digest');
  const s = selectAuthChallenge([basic, RFC7616_HEADERS[1]!, RFC7616_HEADERS[0]!]);
  assert.equal(s?.scheme === 'Digest' && s.challenge.algorithm, 'SHA-256');
  assert.deepEqual(selectAuthChallenge([basic]), { scheme: 'Basic', realm: 'cam' });
  // Unsupported algorithm and broken headers are skipped, not fatal.
  const t = selectAuthChallenge(['Digest realm="r", nonce="n", algorithm=SHA-512-256', 'Digest realm="unterminated', 'Digest realm="r", nonce="n2"']);
  assert.equal(t?.scheme === 'Digest' && t.challenge.nonce, 'n2');
  assert.equal(selectAuthChallenge(['Bearer realm="x"']), undefined);
});

test('live555-style challenge (no qop, no algorithm): RFC 2069 response, no nc/cnonce', () => {
  const [ch] = parseDigestChallenges('Digest realm="LIVE555 Streaming Media", nonce="a6e5f6d1e9c2b0a1f3c4d5e6f7a8b9c0"');
  const { credentials, header } = createDigestAuthorization({
    challenge: ch!,
    username: 'user',
    password: 'pass',
    method: 'DESCRIBE',
    uri: 'rtsp://127.0.0.1:8554/test',
  });
  assert.equal(credentials.qop, undefined);
  assert.ok(!header.includes('nc='));
  // H(HA1:nonce:HA2), computed step by step here.
  const ha1 = computeDigestHA1('MD5', 'user', 'LIVE555 Streaming Media', 'pass');
  assert.equal(ha1.length, 32);
  assert.equal(
    credentials.response,
    computeDigestResponse({ algorithm: 'MD5', ha1, method: 'DESCRIBE', uri: 'rtsp://127.0.0.1:8554/test', nonce: 'a6e5f6d1e9c2b0a1f3c4d5e6f7a8b9c0' }),
  );
  assert.equal(verifyDigestAuthorization({ credentials: parseDigestAuthorization(header), method: 'DESCRIBE', password: 'pass' }), true);
  assert.equal(verifyDigestAuthorization({ credentials: parseDigestAuthorization(header), method: 'DESCRIBE', password: 'wrong' }), false);
});

test('qop needs a cnonce; stale=true is read; challenges format and re-parse', () => {
  const ch: DigestChallenge = { realm: 'dorsvr', nonce: 'abc"def', algorithm: 'SHA-256', qop: ['auth'], stale: true, opaque: 'o' };
  assert.throws(
    () => createDigestAuthorization({ challenge: ch, username: 'u', password: 'p', method: 'PLAY', uri: '*' }),
    (e: unknown) => isDorsvrError(e, 'ERR_RTSP_AUTH'),
  );
  const text = formatDigestChallenge(ch);
  // stale right after the nonce: live555's RTSPClient reads `realm, nonce, stale` in that order.
  assert.equal(text, 'Digest realm="dorsvr", nonce="abc\\"def", stale=true, algorithm=SHA-256, qop="auth", opaque="o"');
  const [back] = parseDigestChallenges(text);
  assert.deepEqual(back, { ...ch, domain: undefined, charset: undefined, userhash: undefined });
  assert.throws(() => parseDigestAuthorization('Basic dTpw'), (e: unknown) => isDorsvrError(e, 'ERR_RTSP_AUTH_HEADER'));
  assert.throws(() => parseDigestAuthorization('Digest username="u", realm="r", nonce="n", uri="/"'), (e: unknown) => isDorsvrError(e, 'ERR_RTSP_AUTH_HEADER'));
});

test('-sess algorithms and auth-int round-trip between client and server helpers', () => {
  for (const algorithm of ['MD5-sess', 'SHA-256-sess'] as const) {
    const ch: DigestChallenge = { realm: 'r', nonce: 'n', algorithm, qop: ['auth-int'], stale: false };
    const { header } = createDigestAuthorization({ challenge: ch, username: 'u', password: 'p', method: 'SET_PARAMETER', uri: 'rtsp://h/s', cnonce: 'c', body: 'x: 1\r\n' });
    const creds = parseDigestAuthorization(header);
    assert.equal(creds.qop, 'auth-int');
    assert.equal(verifyDigestAuthorization({ credentials: creds, method: 'SET_PARAMETER', password: 'p', body: 'x: 1\r\n' }), true);
    assert.equal(verifyDigestAuthorization({ credentials: creds, method: 'SET_PARAMETER', password: 'p', body: 'x: 2\r\n' }), false);
  }
});

test('property: any credentials created for a challenge verify with the same password and fail with another', () => {
  const s = fc.string({ minLength: 1, maxLength: 20 }).filter((x) => !/[\r\n]/.test(x));
  fc.assert(
    fc.property(
      fc.constantFrom('MD5' as const, 'SHA-256' as const, 'MD5-sess' as const, 'SHA-256-sess' as const),
      fc.constantFrom<string[]>([], ['auth'], ['auth', 'auth-int']),
      s,
      s,
      s,
      s,
      fc.stringMatching(/^[0-9a-f]{8,32}$/),
      fc.integer({ min: 1, max: 1000 }),
      (algorithm, qop, realm, nonce, user, pass, cnonce, nc) => {
        const ch: DigestChallenge = { realm, nonce, algorithm, qop, stale: false };
        const { header } = createDigestAuthorization({ challenge: ch, username: user, password: pass, method: 'DESCRIBE', uri: 'rtsp://h/s', cnonce, nc });
        const creds = parseDigestAuthorization(header);
        assert.equal(creds.username, user);
        assert.equal(creds.realm, realm);
        assert.equal(verifyDigestAuthorization({ credentials: creds, method: 'DESCRIBE', password: pass }), true);
        assert.equal(verifyDigestAuthorization({ credentials: creds, method: 'DESCRIBE', password: `${pass}x` }), false);
      },
    ),
    { numRuns: 200 },
  );
});

test('Basic encode/decode (RFC 7617 example), colon in the password, not-Basic refused', () => {
  assert.equal(encodeBasicAuthorization('Aladdin', 'open sesame'), 'Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==');
  assert.deepEqual(decodeBasicAuthorization('Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=='), { username: 'Aladdin', password: 'open sesame' });
  assert.deepEqual(decodeBasicAuthorization(encodeBasicAuthorization('u', 'a:b:ç')), { username: 'u', password: 'a:b:ç' });
  assert.equal(decodeBasicAuthorization('Digest username="x"'), undefined);
  assert.equal(decodeBasicAuthorization(`Basic ${Buffer.from('nocolon').toString('base64')}`), undefined);
});

test('digestURIMatches: absolute and relative forms of the request URI match, other resources do not (RFC 7616 3.4.6)', () => {
  const req = 'rtsp://127.0.0.1:8554/test.264';
  for (const uri of [req, `${req}/`, '/test.264', '/test.264/', 'test.264', 'rtsp://localhost:8554/test.264', 'RTSP://127.0.0.1/test.264']) {
    assert.equal(digestURIMatches(uri, req), true, uri);
  }
  // The request may itself be relative, or carry ffmpeg's track-after-query form.
  assert.equal(digestURIMatches('rtsp://h:1/test.264', '/test.264'), true);
  assert.equal(digestURIMatches('rtsp://h/s?q=1/trackID=0', 'rtsp://h/s?q=1/trackID=0'), true);
  for (const uri of ['rtsp://127.0.0.1:8554/test.265', '/test.265', 'x', '', 'rtsp://127.0.0.1:8554/', 'rtsp://127.0.0.1:8554/test.264/track1', 'http://127.0.0.1:8554/test.264', '*']) {
    assert.equal(digestURIMatches(uri, req), false, uri);
  }
  assert.equal(digestURIMatches('rtsp://h/s?q=2', 'rtsp://h/s?q=1'), false, 'the query is part of the resource');
  assert.equal(digestURIMatches('*', '*'), true);
});
