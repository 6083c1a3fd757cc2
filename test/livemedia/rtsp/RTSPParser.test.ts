import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DorsvrError } from '@dorsvr/scheduler';
import {
  RTSPParser,
  RTSPHeaders,
  serializeRTSPRequest,
  serializeRTSPResponse,
  writeInterleavedHeader,
  type RTSPParsedItem,
  type RTSPParseFailure,
  type RTSPParserOptions,
  type RTSPRequest,
  type RTSPResponse,
} from '@dorsvr/livemedia';

const enc = (s: string): Buffer => Buffer.from(s, 'latin1');

function parseAll(chunks: Uint8Array[], parser = new RTSPParser()): RTSPParsedItem[] {
  const out: RTSPParsedItem[] = [];
  for (const c of chunks) out.push(...parser.push(c));
  return out;
}

/** A comparable plain form of an item (headers as pairs, bytes as hex). */
function plain(item: RTSPParsedItem): unknown {
  switch (item.type) {
    case 'request':
      return { t: 'req', m: item.method, u: item.uri, v: item.version, h: [...item.headers], b: Buffer.from(item.body).toString('hex') };
    case 'response':
      return { t: 'res', v: item.version, s: item.status, r: item.reason, h: [...item.headers], b: Buffer.from(item.body).toString('hex') };
    case 'interleaved':
      return { t: 'il', c: item.channel, p: Buffer.from(item.payload).toString('hex') };
    case 'error':
      return { t: 'err', code: item.error.code, status: item.error.status, cseq: item.cseq, req: item.isRequest };
  }
}

test('parses a request with headers in original case, looked up case-insensitively', () => {
  const items = parseAll([enc('OPTIONS rtsp://127.0.0.1:8554/stream RTSP/1.0\r\nCSeq: 1\r\nUser-Agent: Lavf59.27.100\r\n\r\n')]);
  assert.equal(items.length, 1);
  const r = items[0] as RTSPRequest;
  assert.equal(r.type, 'request');
  assert.equal(r.method, 'OPTIONS');
  assert.equal(r.uri, 'rtsp://127.0.0.1:8554/stream');
  assert.equal(r.version, 'RTSP/1.0');
  assert.equal(r.headers.get('cseq'), '1');
  assert.equal(r.headers.get('USER-AGENT'), 'Lavf59.27.100');
  assert.deepEqual([...r.headers], [['CSeq', '1'], ['User-Agent', 'Lavf59.27.100']]);
  assert.equal(r.body.length, 0);
});

test('parses a response with a body by Content-Length and keeps repeated headers apart', () => {
  const sdp = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=x\r\n';
  const wire = enc(
    'RTSP/1.0 401 Unauthorized\r\nCSeq: 2\r\nWWW-Authenticate: Digest realm="r", nonce="n", algorithm=SHA-256\r\n' +
      `WWW-Authenticate: Digest realm="r", nonce="n"\r\nWWW-Authenticate: Basic realm="r"\r\nContent-Length: ${sdp.length}\r\n\r\n${sdp}`,
  );
  const [r] = parseAll([wire]) as RTSPResponse[];
  assert.equal(r!.type, 'response');
  assert.equal(r!.status, 401);
  assert.equal(r!.reason, 'Unauthorized');
  assert.deepEqual(r!.headers.getAll('www-authenticate'), [
    'Digest realm="r", nonce="n", algorithm=SHA-256',
    'Digest realm="r", nonce="n"',
    'Basic realm="r"',
  ]);
  assert.equal(Buffer.from(r!.body).toString(), sdp);
});

test('a body that fits in the chunk is a view of it (zero-copy); one spanning chunks is whole', () => {
  const wire = enc('RTSP/1.0 200 OK\r\nCSeq: 3\r\nContent-Length: 5\r\n\r\nhello');
  const [r] = new RTSPParser().push(wire) as RTSPResponse[];
  assert.equal(r!.body.buffer, wire.buffer);
  const p = new RTSPParser();
  assert.deepEqual(p.push(wire.subarray(0, wire.length - 3)), []);
  assert.equal(p.bufferedBytes, 2);
  const [r2] = p.push(wire.subarray(wire.length - 3)) as RTSPResponse[];
  assert.equal(Buffer.from(r2!.body).toString(), 'hello');
});

test('an interleaved payload inside one chunk is a view of it; the parser is idle between items', () => {
  const wire = Buffer.concat([Buffer.from(writeInterleavedHeader(2, 3)), Buffer.from([7, 8, 9]), Buffer.from([0x24, 3, 0, 2, 1])]);
  const p = new RTSPParser();
  const items = p.push(wire);
  assert.equal(items.length, 1);
  const f = items[0]!;
  assert.ok(f.type === 'interleaved' && f.payload.buffer === wire.buffer && f.payload.byteOffset === wire.byteOffset + 4);
  assert.equal(p.idle, false); // the second frame is half received
  const more = p.push(Buffer.from([2]));
  assert.deepEqual(more.map(plain), [{ t: 'il', c: 3, p: '0102' }]);
  assert.equal(p.idle, true);
});

test('interleaved frames between and inside messages, with LF-only endings and blank lines', () => {
  const rtp = Buffer.from([0x80, 0x60, 0x00, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0xaa]);
  const wire = Buffer.concat([
    Buffer.from(writeInterleavedHeader(0, rtp.length)),
    rtp,
    enc('\r\n\nGET_PARAMETER rtsp://h/s RTSP/1.0\nCSeq: 9\nSession: 12345678\n\n'),
    Buffer.from([0x24, 1, 0, 0]),
    Buffer.from([0x24, 255, 0, 2, 0xde, 0xad]),
  ]);
  const items = parseAll([wire]).map(plain);
  assert.deepEqual(items, [
    { t: 'il', c: 0, p: rtp.toString('hex') },
    { t: 'req', m: 'GET_PARAMETER', u: 'rtsp://h/s', v: 'RTSP/1.0', h: [['CSeq', '9'], ['Session', '12345678']], b: '' },
    { t: 'il', c: 1, p: '' },
    { t: 'il', c: 255, p: 'dead' },
  ]);
});

test('a malformed request yields a 400 failure with its CSeq and the next request still parses', () => {
  const p = new RTSPParser();
  const items = parseAll(
    [enc('DESCRIBE rtsp://h/s RTSP/1.0\r\nCSeq: 4\r\nthis line has no colon\r\nAccept: application/sdp\r\n\r\nOPTIONS * RTSP/1.0\r\nCSeq: 5\r\n\r\n')],
    p,
  );
  assert.equal(items.length, 2);
  const e = items[0]!;
  assert.equal(e.type, 'error');
  assert.ok(e.type === 'error' && e.error instanceof DorsvrError);
  assert.equal(e.type === 'error' && e.error.code, 'ERR_RTSP_PARSE');
  assert.equal(e.type === 'error' && e.error.status, 400);
  assert.equal(e.type === 'error' && e.cseq, 4);
  assert.equal(e.type === 'error' && e.isRequest, true);
  assert.equal(items[1]!.type === 'request' && items[1]!.headers.get('CSeq'), '5');
});

test('garbage start lines and bad versions are 400', () => {
  for (const line of ['HELLO\r\n\r\n', 'OPTIONS rtsp://h RTSP\r\n\r\n', 'OPTIONS  RTSP/1.0\r\n\r\n', 'RTSP/1.0 2000 OK\r\n\r\n', 'RTSP/1.0 OK\r\n\r\n']) {
    const items = parseAll([enc(line)]);
    assert.equal(items.length, 1, line);
    assert.equal(items[0]!.type, 'error', line);
    assert.equal(items[0]!.type === 'error' && items[0]!.error.status, 400, line);
  }
});

test('a response status line without a reason phrase is accepted', () => {
  const [r] = parseAll([enc('RTSP/1.0 200\r\nCSeq: 1\r\n\r\n')]) as RTSPResponse[];
  assert.equal(r!.status, 200);
  assert.equal(r!.reason, '');
});

test('limits: request line too long → 414, header line → 400, too many headers, body too large → 413 and skipped', () => {
  const p = new RTSPParser({ maxLineLength: 100, maxHeaderCount: 3, maxBodySize: 10 });
  // Long request line, fed in small pieces: rejected before the whole line is buffered.
  const long = enc(`DESCRIBE rtsp://h/${'a'.repeat(500)} RTSP/1.0\r\nCSeq: 1\r\n\r\n`);
  const items: RTSPParsedItem[] = [];
  for (let i = 0; i < long.length; i += 7) items.push(...p.push(long.subarray(i, i + 7)));
  assert.ok(p.bufferedBytes <= 101);
  assert.deepEqual(items.map(plain), [{ t: 'err', code: 'ERR_RTSP_LINE_TOO_LONG', status: 414, cseq: undefined, req: true }]);

  const longHeader = parseAll([enc(`OPTIONS * RTSP/1.0\r\nCSeq: 2\r\nX: ${'b'.repeat(200)}\r\n\r\n`)], p);
  assert.deepEqual(longHeader.map(plain), [{ t: 'err', code: 'ERR_RTSP_LINE_TOO_LONG', status: 400, cseq: 2, req: true }]);

  const many = parseAll([enc('OPTIONS * RTSP/1.0\r\nCSeq: 3\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n')], p);
  assert.deepEqual(many.map(plain), [{ t: 'err', code: 'ERR_RTSP_HEADERS_TOO_LARGE', status: 400, cseq: 3, req: true }]);

  const big = parseAll([enc('ANNOUNCE rtsp://h/s RTSP/1.0\r\nCSeq: 4\r\nContent-Length: 20\r\n\r\n01234567890123456789OPTIONS * RTSP/1.0\r\nCSeq: 5\r\n\r\n')], p);
  assert.deepEqual(big.map(plain), [
    { t: 'err', code: 'ERR_RTSP_BODY_TOO_LARGE', status: 413, cseq: 4, req: true },
    { t: 'req', m: 'OPTIONS', u: '*', v: 'RTSP/1.0', h: [['CSeq', '5']], b: '' },
  ]);
});

test('total header size limit and invalid Content-Length', () => {
  const p = new RTSPParser({ maxHeaderBytes: 64 });
  const items = parseAll([enc(`OPTIONS * RTSP/1.0\r\nCSeq: 1\r\nX-A: ${'x'.repeat(30)}\r\nX-B: ${'y'.repeat(30)}\r\n\r\n`)], p);
  assert.deepEqual(items.map(plain), [{ t: 'err', code: 'ERR_RTSP_HEADERS_TOO_LARGE', status: 400, cseq: 1, req: true }]);
  for (const cl of ['-1', 'abc', '1e3', '99999999999999999999', '5, 6']) {
    const r = parseAll([enc(`OPTIONS * RTSP/1.0\r\nCSeq: 7\r\nContent-Length: ${cl}\r\n\r\n`)]);
    assert.equal(r.length, 1, cl);
    assert.equal(r[0]!.type === 'error' && r[0]!.error.code, 'ERR_RTSP_PARSE', cl);
  }
  const dup = parseAll([enc('OPTIONS * RTSP/1.0\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n')]);
  assert.equal(dup[0]!.type, 'error');
});

test('header continuation lines are folded into the previous value', () => {
  const [r] = parseAll([enc('OPTIONS * RTSP/1.0\r\nCSeq: 1\r\nX-Long: a,\r\n  b\r\n\r\n')]) as RTSPRequest[];
  assert.equal(r!.headers.get('x-long'), 'a, b');
});

test('hostile: a head of 99 headers then 16000 continuation lines adds each header once (it used to rebuild the block per line: ~190 ms of CPU per 64 KiB request)', () => {
  let head = 'OPTIONS * RTSP/1.0\r\nCSeq: 7\r\n';
  for (let i = 0; i < 98; i++) head += `X-${i}: v\r\n`;
  head += 'X-Folded: a\r\n' + ' b\r\n'.repeat(16000) + '\r\n';
  const original = RTSPHeaders.prototype.append;
  let appends = 0;
  RTSPHeaders.prototype.append = function (this: RTSPHeaders, name: string, value: string | number) {
    appends++;
    return original.call(this, name, value);
  };
  let items: RTSPParsedItem[];
  try {
    items = new RTSPParser().push(enc(head));
  } finally {
    RTSPHeaders.prototype.append = original;
  }
  assert.equal(items.length, 1);
  const r = items[0] as RTSPRequest;
  assert.equal(r.type, 'request');
  assert.equal(r.headers.size, 100);
  assert.equal(r.headers.get('x-folded'), `a${' b'.repeat(16000)}`);
  assert.equal(appends, 100, 'one append per header line, whatever its continuations');
  // A continuation after a CSeq still leaves the CSeq in a failure of that head.
  const [f] = new RTSPParser({ maxHeaderCount: 1 }).push(enc('OPTIONS * RTSP/1.0\r\nCSeq: 9\r\n x\r\nA: b\r\n\r\n'));
  assert.equal(f!.type, 'error');
  assert.equal((f as RTSPParseFailure).cseq, undefined, 'a folded CSeq value is no longer a number');
  const [g] = new RTSPParser({ maxHeaderCount: 1 }).push(enc('OPTIONS * RTSP/1.0\r\nCSeq: 9\r\nA: b\r\n\r\n'));
  assert.equal((g as RTSPParseFailure).cseq, 9);
});

test('hostile: failures caused by a peer\'s bytes carry no stack trace (capturing one cost ~10 µs a failure: 64 KiB of "a\\n\\n" was 250 ms of CPU)', () => {
  const items = new RTSPParser().push(enc('a\n\n'.repeat(1000)));
  assert.equal(items.length, 1000);
  for (const item of items) {
    assert.equal(item.type, 'error');
    const err = (item as RTSPParseFailure).error;
    assert.ok(err instanceof DorsvrError);
    assert.equal(err.status, 400);
    assert.doesNotMatch(err.stack ?? '', /\n\s+at /, 'no stack frames');
  }
  // The process's own limit is left as it was.
  assert.equal(Error.stackTraceLimit > 0, true);
  assert.match(new Error('x').stack ?? '', /\n\s+at /);
});

test('end() reports a message cut off mid-way, and nothing when idle', () => {
  const p = new RTSPParser();
  p.push(enc('RTSP/1.0 200 OK\r\nCSeq: 8\r\nContent-Length: 10\r\n\r\nabc'));
  const f = p.end();
  assert.equal(f?.error.code, 'ERR_RTSP_TRUNCATED');
  assert.equal(f?.cseq, 8);
  assert.equal(f?.isRequest, false);
  assert.equal(p.end(), null);
  p.push(Buffer.from([0x24, 0, 0]));
  assert.equal(p.end()?.error.code, 'ERR_RTSP_TRUNCATED');
});

// ---- property tests -------------------------------------------------------------------------

const tokenArb = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,11}$/);
const valueArb = fc.stringMatching(/^[!-~]([ -~]{0,40}[!-~])?$/);
const headersArb = fc.array(fc.tuple(tokenArb.filter((n) => n.toLowerCase() !== 'content-length'), valueArb), { maxLength: 8 });
const bodyArb = fc.uint8Array({ maxLength: 300 });

const requestArb = fc
  .record({ method: tokenArb, uri: fc.stringMatching(/^rtsp:\/\/[a-z0-9.]{1,20}(\/[!-~]{0,30})?$/), headers: headersArb, body: bodyArb })
  .map((r) => ({ kind: 'request' as const, ...r, bytes: serializeRTSPRequest(r) }));
const responseArb = fc
  .record({ status: fc.integer({ min: 100, max: 599 }), headers: headersArb, body: bodyArb })
  .map((r) => ({ kind: 'response' as const, ...r, bytes: serializeRTSPResponse(r) }));
const frameArb = fc
  .record({ channel: fc.integer({ min: 0, max: 255 }), payload: fc.uint8Array({ maxLength: 1500 }) })
  .map((f) => ({ kind: 'interleaved' as const, ...f, bytes: Buffer.concat([writeInterleavedHeader(f.channel, f.payload.length), f.payload]) }));
const streamArb = fc.array(fc.oneof(requestArb, responseArb, frameArb), { minLength: 1, maxLength: 12 });

function splitAt(buf: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(buf.subarray(prev, p));
    prev = p;
  }
  out.push(buf.subarray(prev));
  return out;
}

test('property: any split of a valid stream of requests, responses and frames parses the same as the whole', () => {
  fc.assert(
    fc.property(streamArb, fc.array(fc.nat(), { maxLength: 40 }), (msgs, cuts) => {
      const wire = Buffer.concat(msgs.map((m) => m.bytes));
      const whole = parseAll([wire]).map(plain);
      // The whole-stream parse matches what was serialized.
      assert.equal(whole.length, msgs.length);
      msgs.forEach((m, i) => {
        const got = whole[i] as { t: string; c?: number; p?: string; b?: string; m?: string; s?: number; h?: [string, string][] };
        if (m.kind === 'interleaved') {
          assert.deepEqual(got, { t: 'il', c: m.channel, p: Buffer.from(m.payload).toString('hex') });
        } else {
          assert.equal(got.t, m.kind === 'request' ? 'req' : 'res');
          assert.equal(got.b, Buffer.from(m.body).toString('hex'));
          if (m.kind === 'request') assert.equal(got.m, m.method);
          else assert.equal(got.s, m.status);
          const expected = m.headers.map(([n, v]) => [n, v]);
          if (m.body.length > 0) expected.push(['Content-Length', String(m.body.length)]);
          assert.deepEqual(got.h, expected);
        }
      });
      const split = parseAll(splitAt(wire, cuts)).map(plain);
      assert.deepEqual(split, whole);
      // Byte-at-a-time is the extreme split.
      const p = new RTSPParser();
      const bytewise: unknown[] = [];
      for (let i = 0; i < wire.length; i++) for (const it of p.push(wire.subarray(i, i + 1))) bytewise.push(plain(it));
      assert.deepEqual(bytewise, whole);
      assert.equal(p.end(), null);
    }),
    { numRuns: 150 },
  );
});

test('property: random bytes never throw, yield only DorsvrError failures, and keep buffering bounded', () => {
  const interesting = fc.oneof(
    fc.uint8Array({ maxLength: 400 }),
    fc.array(fc.constantFrom('RTSP/1.0 ', 'OPTIONS ', ' * ', 'RTSP/1.0', '\r\n', '\n', ':', 'Content-Length: ', '99', '$', '\x00\x05', 'CSeq: 1', 'x'), { maxLength: 60 })
      .map((parts) => enc(parts.join(''))),
  );
  fc.assert(
    fc.property(fc.array(interesting, { maxLength: 8 }), (chunks) => {
      const p = new RTSPParser({ maxLineLength: 64, maxHeaderBytes: 256, maxBodySize: 128 });
      for (const c of chunks) {
        for (const item of p.push(c)) {
          if (item.type === 'error') {
            assert.ok(item.error instanceof DorsvrError);
            assert.match(item.error.code, /^ERR_RTSP_/);
            assert.ok([400, 413, 414].includes(item.error.status!));
          }
        }
        assert.ok(p.bufferedBytes <= 65535 + 256);
      }
      const end = p.end();
      if (end !== null) assert.ok(end.error instanceof DorsvrError);
    }),
    { numRuns: 500 },
  );
});

test('RTSPParser limits: a string, NaN, 0, -1 or Infinity throws ERR_RTSP_PARSER_OPTIONS instead of turning the limit off', () => {
  for (const name of ['maxLineLength', 'maxHeaderCount', 'maxHeaderBytes', 'maxBodySize'] as const) {
    for (const bad of ['abc', Number.NaN, 0, -1, Number.POSITIVE_INFINITY, 1.5]) {
      assert.throws(
        () => new RTSPParser({ [name]: bad } as unknown as RTSPParserOptions),
        (e: unknown) => e instanceof DorsvrError && e.code === 'ERR_RTSP_PARSER_OPTIONS' && e.message.includes(name),
        `${name}: ${String(bad)}`,
      );
    }
  }
  // A good value is accepted and enforced: a 10-byte body over maxBodySize 4 is refused with 413.
  const parser = new RTSPParser({ maxBodySize: 4 });
  const items = parseAll([enc('ANNOUNCE rtsp://h/s RTSP/1.0\r\nCSeq: 1\r\nContent-Length: 10\r\n\r\n0123456789')], parser);
  assert.ok(items.some((i) => i.type === 'error' && i.error.code === 'ERR_RTSP_BODY_TOO_LARGE'), JSON.stringify(items.map((i) => i.type)));
});
