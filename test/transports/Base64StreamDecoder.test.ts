// The tunnel's base64 decoder on its own: RFC 4648 vectors, any split of separately padded blocks
// (as clients encode each request on its own), whitespace, and garbage refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isDorsvrError } from '@dorsvr/scheduler';
import { Base64StreamDecoder, findHeadEnd, parseHTTPRequestHead } from '@dorsvr/rtspserver';

function decodeAll(chunks: readonly string[]): Buffer {
  const d = new Base64StreamDecoder();
  return Buffer.concat(chunks.map((c) => d.push(Buffer.from(c, 'latin1'))));
}

test('RFC 4648 section 10 vectors, whole and one character at a time', () => {
  const vectors: Array<[string, string]> = [['', ''], ['f', 'Zg=='], ['fo', 'Zm8='], ['foo', 'Zm9v'], ['foob', 'Zm9vYg=='], ['fooba', 'Zm9vYmE='], ['foobar', 'Zm9vYmFy']];
  for (const [plain, b64] of vectors) {
    assert.equal(decodeAll([b64]).toString(), plain, b64);
    assert.equal(decodeAll([...b64]).toString(), plain, `${b64} char by char`);
  }
});

test('separately padded blocks, with CR/LF between them, split anywhere (across quanta too): the concatenation of the blocks', () => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ minLength: 0, maxLength: 40 }), { minLength: 1, maxLength: 8 }),
      fc.array(fc.nat(), { maxLength: 12 }),
      fc.boolean(),
      (blocks, cuts, crlf) => {
        const text = blocks.map((b) => Buffer.from(b).toString('base64')).join(crlf ? '\r\n' : '');
        const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
        const chunks: string[] = [];
        let at = 0;
        for (const p of points) {
          chunks.push(text.slice(at, p));
          at = p;
        }
        chunks.push(text.slice(at));
        assert.deepEqual(decodeAll(chunks), Buffer.concat(blocks.map((b) => Buffer.from(b))));
      },
    ),
    { numRuns: 300 },
  );
});

test('a character outside the alphabet, "=" at the start of a quantum, or data after "=" in one: ERR_BASE64 (400); the decoder then refuses more', () => {
  for (const bad of ['Zm9v!', 'Zm9v\u0000', '=Zm9', 'Z=m9', 'Zm=v', 'GET / HTTP/1.0']) {
    const d = new Base64StreamDecoder();
    assert.throws(() => d.push(Buffer.from(bad, 'latin1')), (e: unknown) => isDorsvrError(e, 'ERR_BASE64') && e.status === 400, JSON.stringify(bad));
    assert.throws(() => d.push(Buffer.from('Zm9v')), (e: unknown) => isDorsvrError(e, 'ERR_BASE64'));
  }
  // Split: "Zm=" now, "v" later is still data after "=" within the quantum.
  const d = new Base64StreamDecoder();
  d.push(Buffer.from('Zm'));
  assert.equal(d.pendingCharacters, 2);
  d.push(Buffer.from('='));
  assert.throws(() => d.push(Buffer.from('v')), (e: unknown) => isDorsvrError(e, 'ERR_BASE64'));
  // "Zm9=" is a whole padded quantum: a new one may follow.
  assert.equal(decodeAll(['Zm9', '=', 'Zm9v']).toString(), 'fofoo');
});

test('parseHTTPRequestHead / findHeadEnd: a tunnel GET read; bad heads are 400s', () => {
  const raw = 'GET /test.264 HTTP/1.0\r\nx-sessioncookie: abc\r\nAccept: application/x-rtsp-tunnelled\r\n\r\nrest';
  const end = findHeadEnd(Buffer.from(raw));
  assert.equal(raw.slice(end), 'rest');
  assert.equal(findHeadEnd(Buffer.from('GET / HTTP/1.0\r\nA: b\r\n')), -1);
  assert.equal(findHeadEnd(Buffer.from('GET / HTTP/1.0\nA: b\n\nx')), 'GET / HTTP/1.0\nA: b\n\n'.length);
  const h = parseHTTPRequestHead(raw.slice(0, end));
  assert.equal(h.method, 'GET');
  assert.equal(h.target, '/test.264');
  assert.equal(h.headers.get('x-sessioncookie'), 'abc');
  for (const bad of ['GET /\r\n\r\n', 'OPTIONS rtsp://h/x RTSP/1.0\r\nCSeq: 1\r\n\r\n', 'GET / HTTP/1.0\r\nno colon\r\n\r\n', `GET / HTTP/1.0\r\n${'A: b\r\n'.repeat(65)}\r\n`]) {
    assert.throws(() => parseHTTPRequestHead(bad), (e: unknown) => isDorsvrError(e, 'ERR_HTTP_REQUEST') && e.status === 400, JSON.stringify(bad.slice(0, 40)));
  }
});
