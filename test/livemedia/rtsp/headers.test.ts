import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DorsvrError, isDorsvrError } from '@dorsvr/scheduler';
import {
  RTSPHeaders,
  RTSPParser,
  clockTimeToEpochMs,
  epochMsToClockTime,
  formatAuthHeader,
  formatCommaList,
  formatRTPInfoHeader,
  formatRTSPDate,
  formatRangeHeader,
  formatScale,
  formatSessionHeader,
  formatTransportHeader,
  formatTextParameters,
  parseAuthHeader,
  parseCSeq,
  parseCommaList,
  parseRTPInfoHeader,
  parseRTSPDate,
  parseRangeHeader,
  parseScale,
  parseSessionHeader,
  parseTransportHeader,
  parseTextParameters,
  resolveControlURL,
  rtspReasonPhrase,
  serializeRTSPResponse,
  serializeRTSPRequest,
  type RangeHeader,
  type RTPInfoEntry,
  type RTSPResponse,
  type TransportSpec,
} from '@dorsvr/livemedia';

function throwsCode(fn: () => unknown, code: string, status?: number): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isDorsvrError(e, code), `expected ${code}, got ${String(e)}`);
    if (status !== undefined) assert.equal((e as DorsvrError).status, status);
    return true;
  });
}

// ---- Transport ------------------------------------------------------------------------------

test('Transport: what ffmpeg, GStreamer, VLC and live555 send', () => {
  assert.deepEqual(parseTransportHeader('RTP/AVP/UDP;unicast;client_port=53412-53413'), [
    { profile: 'RTP/AVP', lowerTransport: 'UDP', delivery: 'unicast', clientPort: { rtp: 53412, rtcp: 53413 } },
  ]);
  assert.deepEqual(parseTransportHeader('RTP/AVP/TCP;unicast;interleaved=0-1'), [
    { profile: 'RTP/AVP', lowerTransport: 'TCP', delivery: 'unicast', interleaved: { rtp: 0, rtcp: 1 } },
  ]);
  // GStreamer offers several specs in preference order.
  const g = parseTransportHeader(
    'RTP/AVP;unicast;client_port=5000-5001;mode="PLAY", RTP/AVP/TCP;unicast;interleaved=2-3;mode="PLAY"',
  );
  assert.equal(g.length, 2);
  assert.equal(g[0]!.lowerTransport, 'UDP');
  assert.equal(g[0]!.mode, 'PLAY');
  assert.deepEqual(g[1]!.interleaved, { rtp: 2, rtcp: 3 });
  // live555's answer.
  assert.deepEqual(parseTransportHeader('RTP/AVP;unicast;destination=127.0.0.1;source=127.0.0.1;client_port=5000-5001;server_port=6970-6971'), [
    {
      profile: 'RTP/AVP',
      lowerTransport: 'UDP',
      delivery: 'unicast',
      destination: '127.0.0.1',
      source: '127.0.0.1',
      clientPort: { rtp: 5000, rtcp: 5001 },
      serverPort: { rtp: 6970, rtcp: 6971 },
    },
  ]);
  const mc = parseTransportHeader('RTP/AVP;multicast;destination=232.0.1.2;port=6000-6001;ttl=16;layers=1;ssrc=1A2B3C4D');
  assert.equal(mc[0]!.delivery, 'multicast');
  assert.deepEqual(mc[0]!.port, { rtp: 6000, rtcp: 6001 });
  assert.equal(mc[0]!.ttl, 16);
  assert.equal(mc[0]!.layers, 1);
  assert.equal(mc[0]!.ssrc, 0x1a2b3c4d);
});

test('Transport oddities: mode=receive / record, append, single interleaved channel, client_port=0-0, short ssrc, unknown params kept', () => {
  const [r] = parseTransportHeader('RTP/AVP/TCP;unicast;interleaved=5;mode=receive;append');
  assert.equal(r!.mode, 'RECORD');
  assert.equal(r!.append, true);
  assert.deepEqual(r!.interleaved, { rtp: 5 });
  const [z] = parseTransportHeader('rtp/avp;unicast;client_port=0-0;ssrc=ABC;x-dynamic-rate=1;x-flag');
  assert.equal(z!.profile, 'RTP/AVP');
  assert.deepEqual(z!.clientPort, { rtp: 0, rtcp: 0 });
  assert.equal(z!.ssrc, 0xabc);
  assert.deepEqual(z!.extra, [['x-dynamic-rate', '1'], ['x-flag', undefined]]);
  // An unreadable ssrc (decimal, too long) is kept aside instead of failing the header.
  const [odd] = parseTransportHeader('RTP/AVP;unicast;server_port=6970-6971;ssrc=3942715772');
  assert.equal(odd!.ssrc, undefined);
  assert.deepEqual(odd!.extra, [['ssrc', '3942715772']]);
  assert.deepEqual(odd!.serverPort, { rtp: 6970, rtcp: 6971 });
  const [bare] = parseTransportHeader('RTP/AVP;multicast;destination');
  assert.equal(bare!.destination, '');
  assert.equal(formatTransportHeader(bare!), 'RTP/AVP;multicast;destination');
});

test('Transport errors are DorsvrErrors with status 400', () => {
  for (const bad of ['', 'RTP', 'RTP/AVP/SCTP', 'RTP/AVP;client_port=abc', 'RTP/AVP;client_port=70000', 'RTP/AVP/TCP;interleaved=256-257', 'RTP/AVP;ttl=300', 'RTP/AVP;client_port']) {
    throwsCode(() => parseTransportHeader(bad), 'ERR_RTSP_TRANSPORT', 400);
  }
});

test('Transport formatting: what a server answers', () => {
  const t: TransportSpec = {
    profile: 'RTP/AVP',
    lowerTransport: 'TCP',
    delivery: 'unicast',
    interleaved: { rtp: 0, rtcp: 1 },
    ssrc: 0xdeadbeef,
    mode: 'PLAY',
  };
  assert.equal(formatTransportHeader(t), 'RTP/AVP/TCP;unicast;interleaved=0-1;ssrc=DEADBEEF;mode=PLAY');
  assert.equal(
    formatTransportHeader({ profile: 'RTP/AVP', lowerTransport: 'UDP', delivery: 'unicast', clientPort: { rtp: 5000, rtcp: 5001 }, serverPort: { rtp: 6970, rtcp: 6971 }, ssrc: 1 }),
    'RTP/AVP;unicast;client_port=5000-5001;server_port=6970-6971;ssrc=00000001',
  );
});

const pairArb = (max: number) => fc.record({ rtp: fc.integer({ min: 0, max }), rtcp: fc.option(fc.integer({ min: 0, max }), { nil: undefined }) });
const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
const transportArb: fc.Arbitrary<TransportSpec> = fc.record(
  {
    profile: fc.constantFrom('RTP/AVP', 'RTP/SAVP', 'RTP/AVPF'),
    lowerTransport: fc.constantFrom('UDP' as const, 'TCP' as const),
    delivery: opt(fc.constantFrom('unicast' as const, 'multicast' as const)),
    destination: opt(fc.oneof(fc.ipV4(), fc.constant(''))),
    source: opt(fc.ipV4()),
    clientPort: opt(pairArb(65535)),
    serverPort: opt(pairArb(65535)),
    port: opt(pairArb(65535)),
    interleaved: opt(pairArb(255)),
    ttl: opt(fc.integer({ min: 0, max: 255 })),
    layers: opt(fc.integer({ min: 1, max: 10 })),
    ssrc: opt(fc.integer({ min: 0, max: 0xffffffff })),
    mode: opt(fc.constantFrom('PLAY', 'RECORD')),
    append: opt(fc.constant(true)),
  },
  { requiredKeys: ['profile', 'lowerTransport'] },
);

function dropUndefined<T extends object>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined) continue;
    out[k] = v !== null && typeof v === 'object' && !Array.isArray(v) ? dropUndefined(v as object) : v;
  }
  return out as T;
}

test('property: Transport round-trips through format and parse (one spec or several)', () => {
  fc.assert(
    fc.property(fc.array(transportArb, { minLength: 1, maxLength: 3 }), (specs) => {
      const parsed = parseTransportHeader(formatTransportHeader(specs));
      assert.deepEqual(parsed.map(dropUndefined), specs.map(dropUndefined));
    }),
    { numRuns: 300 },
  );
});

// ---- Session, CSeq, lists, Scale, Date ------------------------------------------------------

test('Session: id and timeout, round-trip, junk rejected', () => {
  assert.deepEqual(parseSessionHeader('47112344;timeout=65'), { id: '47112344', timeout: 65 });
  assert.deepEqual(parseSessionHeader(' ABCDEF0123 '), { id: 'ABCDEF0123' });
  assert.deepEqual(parseSessionHeader('abc; timeout = 60 ;foo=bar'), { id: 'abc', timeout: 60 });
  assert.equal(formatSessionHeader({ id: 'A1B2C3D4', timeout: 60 }), 'A1B2C3D4;timeout=60');
  throwsCode(() => parseSessionHeader(';timeout=5'), 'ERR_RTSP_SESSION', 400);
  throwsCode(() => parseSessionHeader('a b'), 'ERR_RTSP_SESSION', 400);
  fc.assert(
    fc.property(fc.stringMatching(/^[A-Za-z0-9]{1,32}$/), opt(fc.integer({ min: 0, max: 1e6 })), (id, timeout) => {
      assert.deepEqual(dropUndefined(parseSessionHeader(formatSessionHeader({ id, timeout }))), dropUndefined({ id, timeout }));
    }),
  );
});

test('CSeq, Public/Allow/Require lists, Scale/Speed', () => {
  assert.equal(parseCSeq(' 42 '), 42);
  throwsCode(() => parseCSeq('-1'), 'ERR_RTSP_CSEQ', 400);
  throwsCode(() => parseCSeq(''), 'ERR_RTSP_CSEQ', 400);
  assert.deepEqual(parseCommaList('OPTIONS, DESCRIBE,SETUP ,, TEARDOWN'), ['OPTIONS', 'DESCRIBE', 'SETUP', 'TEARDOWN']);
  assert.equal(formatCommaList(['OPTIONS', 'DESCRIBE', 'SETUP']), 'OPTIONS, DESCRIBE, SETUP');
  assert.deepEqual(parseCommaList('play.basic, com.foo.bar'), ['play.basic', 'com.foo.bar']);
  assert.equal(parseScale('1.0'), 1);
  assert.equal(parseScale('-2.5'), -2.5);
  assert.equal(formatScale(1), '1.0');
  assert.equal(formatScale(-0.5), '-0.5');
  throwsCode(() => parseScale('fast'), 'ERR_RTSP_SCALE', 400);
});

test('Date: RFC 1123 from an epoch time, and back', () => {
  const ms = Date.UTC(2026, 10, 24, 10, 0, 0);
  assert.equal(formatRTSPDate(ms), 'Tue, 24 Nov 2026 10:00:00 GMT');
  assert.equal(formatRTSPDate(0), 'Thu, 01 Jan 1970 00:00:00 GMT');
  assert.equal(parseRTSPDate('Tue, 24 Nov 2026 10:00:00 GMT'), ms);
  assert.equal(parseRTSPDate('not a date'), undefined);
});

test('reason phrases cover the RTSP-specific statuses', () => {
  assert.equal(rtspReasonPhrase(451), 'Parameter Not Understood');
  assert.equal(rtspReasonPhrase(454), 'Session Not Found');
  assert.equal(rtspReasonPhrase(455), 'Method Not Valid in This State');
  assert.equal(rtspReasonPhrase(457), 'Invalid Range');
  assert.equal(rtspReasonPhrase(459), 'Aggregate Operation Not Allowed');
  assert.equal(rtspReasonPhrase(461), 'Unsupported Transport');
  assert.equal(rtspReasonPhrase(551), 'Option not supported');
  assert.equal(rtspReasonPhrase(499), 'Client Error');
  assert.equal(serializeRTSPResponse({ status: 454, headers: { CSeq: 3 } }).toString(), 'RTSP/1.0 454 Session Not Found\r\nCSeq: 3\r\n\r\n');
});

// ---- Range ----------------------------------------------------------------------------------

test('Range: npt forms, clock, smpte, time parameter', () => {
  assert.deepEqual(dropUndefined(parseRangeHeader('npt=0-')), { unit: 'npt', start: 0 });
  assert.deepEqual(dropUndefined(parseRangeHeader('npt=1.5-10')), { unit: 'npt', start: 1.5, end: 10 });
  assert.deepEqual(dropUndefined(parseRangeHeader('npt=now-')), { unit: 'npt', start: 'now' });
  assert.deepEqual(dropUndefined(parseRangeHeader('npt = 0:01:02.5 - 1:00:00')), { unit: 'npt', start: 62.5, end: 3600 });
  assert.deepEqual(dropUndefined(parseRangeHeader('npt=-20')), { unit: 'npt', end: 20 });
  assert.deepEqual(dropUndefined(parseRangeHeader('npt=5.-')), { unit: 'npt', start: 5 });
  // h:m:s with one-digit minutes and seconds (RFC 2326 section 3.6): 1 h 2 min 3 s, not 1 s.
  assert.deepEqual(dropUndefined(parseRangeHeader('npt=1:2:3-')), { unit: 'npt', start: 3723 });
  assert.deepEqual(dropUndefined(parseRangeHeader('clock=19961108T142300Z-19961108T143520Z;time=19970123T143720Z')), {
    unit: 'clock',
    start: '19961108T142300Z',
    end: '19961108T143520Z',
    time: '19970123T143720Z',
  });
  assert.deepEqual(dropUndefined(parseRangeHeader('smpte=10:07:33-')), { unit: 'smpte', start: '10:07:33' });
  assert.deepEqual(dropUndefined(parseRangeHeader('smpte-25=10:07:00-10:07:33:05.01')), { unit: 'smpte-25', start: '10:07:00', end: '10:07:33:05.01' });
  assert.equal(formatRangeHeader({ unit: 'npt', start: 0 }), 'npt=0.000-');
  assert.equal(formatRangeHeader({ unit: 'npt', start: 2.5, end: 30 }), 'npt=2.500-30.000');
  assert.equal(formatRangeHeader({ unit: 'npt', start: 'now' }), 'npt=now-');
  assert.equal(clockTimeToEpochMs('19961108T142300.25Z'), Date.UTC(1996, 10, 8, 14, 23, 0) + 250);
  assert.equal(epochMsToClockTime(Date.UTC(1996, 10, 8, 14, 23, 0)), '19961108T142300Z');
});

test('Range errors are 457 Invalid Range', () => {
  for (const bad of ['', 'npt=', 'npt=-', 'npt=abc-', 'npt=10-5', 'npt=0-now', 'bytes=0-100', 'clock=yesterday-', 'npt=1:99:00-', 'smpte=1-2',
    'npt=1:2-', 'npt=1:2:3:4-', 'npt=1.2.3-', 'npt=1e3-', 'npt=0x10-', 'npt=+1-', 'npt=1 2-', 'npt=1:2:60-', 'npt=0.1234567890-', 'npt=1234567890123-']) {
    throwsCode(() => parseRangeHeader(bad), 'ERR_RTSP_RANGE', 457);
  }
});

test('property: npt Range round-trips at millisecond precision', () => {
  const ms = fc.integer({ min: 0, max: 1e9 }).map((n) => n / 1000);
  const rangeArb: fc.Arbitrary<RangeHeader> = fc.oneof(
    fc.record({ unit: fc.constant('npt' as const), start: fc.oneof(ms, fc.constant('now' as const)) }),
    fc.tuple(ms, ms).map(([a, b]) => ({ unit: 'npt' as const, start: Math.min(a, b), end: Math.max(a, b) })),
  );
  fc.assert(
    fc.property(rangeArb, (r) => {
      assert.deepEqual(dropUndefined(parseRangeHeader(formatRangeHeader(r))), dropUndefined(r));
    }),
    { numRuns: 300 },
  );
});

// ---- RTP-Info -------------------------------------------------------------------------------

test('RTP-Info: live555 form, unsigned 32-bit rtptime, missing fields, URLs with ; and ,', () => {
  const v = 'url=rtsp://127.0.0.1:8554/s/track1;seq=17923;rtptime=3735928559,url=rtsp://127.0.0.1:8554/s/track2;seq=1;rtptime=0';
  assert.deepEqual(parseRTPInfoHeader(v), [
    { url: 'rtsp://127.0.0.1:8554/s/track1', seq: 17923, rtptime: 3735928559 },
    { url: 'rtsp://127.0.0.1:8554/s/track2', seq: 1, rtptime: 0 },
  ]);
  assert.equal(formatRTPInfoHeader(parseRTPInfoHeader(v)), v);
  assert.deepEqual(parseRTPInfoHeader('url=trackID=0;seq=5, url=rtsp://h/a;b,c/trackID=1'), [
    { url: 'trackID=0', seq: 5 },
    { url: 'rtsp://h/a;b,c/trackID=1' },
  ]);
  assert.equal(formatRTPInfoHeader([{ url: 'u', seq: 70000, rtptime: -1 }]), 'url=u;seq=4464;rtptime=4294967295');
  throwsCode(() => parseRTPInfoHeader('url=u;rtptime=4294967296'), 'ERR_RTSP_RTP_INFO', 400);
  throwsCode(() => parseRTPInfoHeader('seq=1'), 'ERR_RTSP_RTP_INFO', 400);
  fc.assert(
    fc.property(
      fc.array(
        fc.record(
          { url: fc.webUrl().map((u) => u.replace(/^https?/, 'rtsp')), seq: opt(fc.integer({ min: 0, max: 65535 })), rtptime: opt(fc.integer({ min: 0, max: 0xffffffff })) },
          { requiredKeys: ['url'] },
        ),
        { minLength: 1, maxLength: 4 },
      ),
      (entries: RTPInfoEntry[]) => {
        fc.pre(entries.every((e) => !/[,;]\s*(url|seq|rtptime|ssrc)\s*=/i.test(e.url)));
        assert.deepEqual(parseRTPInfoHeader(formatRTPInfoHeader(entries)).map(dropUndefined), entries.map(dropUndefined));
      },
    ),
    { numRuns: 200 },
  );
});

// ---- control URLs ---------------------------------------------------------------------------

test('resolveControlURL: *, absolute, relative with and without trailing slash, query, root-relative', () => {
  assert.equal(resolveControlURL('rtsp://h:8554/s/', '*'), 'rtsp://h:8554/s/');
  assert.equal(resolveControlURL('rtsp://h:8554/s/', 'track1'), 'rtsp://h:8554/s/track1');
  assert.equal(resolveControlURL('rtsp://h:8554/s', 'track1'), 'rtsp://h:8554/s/track1');
  assert.equal(resolveControlURL('rtsp://h/s?q=1', 'trackID=0'), 'rtsp://h/s?q=1/trackID=0');
  assert.equal(resolveControlURL('rtsp://h/s/', 'rtsp://other/x/track2'), 'rtsp://other/x/track2');
  assert.equal(resolveControlURL('rtsp://h:554/s/', '/live/track3'), 'rtsp://h:554/live/track3');
  assert.equal(resolveControlURL('rtsp://h/s/', ''), 'rtsp://h/s/');
});

// ---- WWW-Authenticate / Authorization parameter lists ---------------------------------------

test('auth headers: several challenges in one value, quoted commas and escaped quotes, token68', () => {
  const list = parseAuthHeader('Digest realm="a, \\"quoted\\" realm", nonce="abc", algorithm=SHA-256, qop="auth,auth-int", Basic realm="b"');
  assert.deepEqual(list, [
    { scheme: 'Digest', params: { realm: 'a, "quoted" realm', nonce: 'abc', algorithm: 'SHA-256', qop: 'auth,auth-int' } },
    { scheme: 'Basic', params: { realm: 'b' } },
  ]);
  assert.deepEqual(parseAuthHeader('Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=='), [{ scheme: 'Basic', params: {}, token68: 'QWxhZGRpbjpvcGVuIHNlc2FtZQ==' }]);
  assert.deepEqual(parseAuthHeader('Digest Username="u", NC=00000001'), [{ scheme: 'Digest', params: { username: 'u', nc: '00000001' } }]);
  throwsCode(() => parseAuthHeader('Digest realm="unterminated'), 'ERR_RTSP_AUTH_HEADER', 400);
  throwsCode(() => parseAuthHeader('Digest realm="a" nonce="b"'), 'ERR_RTSP_AUTH_HEADER', 400);
  assert.equal(
    formatAuthHeader('Digest', { realm: 'r"x', nonce: 'n', algorithm: 'MD5', stale: 'TRUE' }),
    'Digest realm="r\\"x", nonce="n", algorithm=MD5, stale=TRUE',
  );
});

test('property: auth parameter lists round-trip, whatever the values contain', () => {
  const name = fc.stringMatching(/^[a-z][a-z0-9_-]{0,10}$/);
  fc.assert(
    fc.property(
      fc.constantFrom('Digest', 'Basic', 'Bearer'),
      fc.uniqueArray(fc.tuple(name, fc.string({ maxLength: 30 }).filter((s) => !/[\r\n]/.test(s))), { selector: (t) => t[0], minLength: 1, maxLength: 6 }),
      (scheme, params) => {
        const rec = Object.fromEntries(params);
        const [ch, ...rest] = parseAuthHeader(formatAuthHeader(scheme, rec, []));
        assert.equal(rest.length, 0);
        assert.equal(ch!.scheme, scheme);
        assert.deepEqual(ch!.params, rec);
      },
    ),
    { numRuns: 300 },
  );
});

test('property: header parsers throw nothing but DorsvrError on arbitrary strings', () => {
  const parsers: Array<(s: string) => unknown> = [
    parseTransportHeader,
    parseSessionHeader,
    parseRangeHeader,
    parseRTPInfoHeader,
    parseCSeq,
    parseScale,
    parseAuthHeader,
    parseCommaList,
    parseRTSPDate,
  ];
  const str = fc.oneof(fc.string({ maxLength: 80 }), fc.array(fc.constantFrom('npt=', 'url=', ';', ',', '-', '"', '\\', '=', 'RTP/AVP', 'client_port', '1', 'now', ':', ' '), { maxLength: 20 }).map((a) => a.join('')));
  fc.assert(
    fc.property(str, (s) => {
      for (const p of parsers) {
        try {
          p(s);
        } catch (e) {
          assert.ok(e instanceof DorsvrError, `${p.name} threw ${String(e)}`);
        }
      }
    }),
    { numRuns: 1000 },
  );
});

// ---- serializer -----------------------------------------------------------------------------

test('serializers: header order kept, Content-Length from the body, injection refused', () => {
  const req = serializeRTSPRequest({
    method: 'SETUP',
    uri: 'rtsp://h/s/track1',
    headers: [
      ['CSeq', 3],
      ['Transport', 'RTP/AVP;unicast;client_port=5000-5001'],
      ['Content-Length', 99],
    ],
  });
  assert.equal(req.toString(), 'SETUP rtsp://h/s/track1 RTSP/1.0\r\nCSeq: 3\r\nTransport: RTP/AVP;unicast;client_port=5000-5001\r\n\r\n');
  const h = new RTSPHeaders({ CSeq: 2, 'Content-Type': 'application/sdp', 'WWW-Authenticate': ['Digest a="1"', 'Basic realm="r"'] });
  const res = serializeRTSPResponse({ status: 200, headers: h, body: 'v=0\r\n' });
  assert.equal(res.toString(), 'RTSP/1.0 200 OK\r\nCSeq: 2\r\nContent-Type: application/sdp\r\nWWW-Authenticate: Digest a="1"\r\nWWW-Authenticate: Basic realm="r"\r\nContent-Length: 5\r\n\r\nv=0\r\n');
  const [back] = new RTSPParser().push(res) as RTSPResponse[];
  assert.deepEqual(back!.headers.getAll('www-authenticate'), ['Digest a="1"', 'Basic realm="r"']);
  throwsCode(() => serializeRTSPResponse({ status: 200, headers: { X: 'a\r\nInjected: 1' } }), 'ERR_RTSP_HEADER_INVALID');
  throwsCode(() => serializeRTSPRequest({ method: 'OPTIONS', uri: 'a b' }), 'ERR_RTSP_HEADER_INVALID');
  throwsCode(() => serializeRTSPRequest({ method: 'BAD METHOD', uri: '*' }), 'ERR_RTSP_HEADER_INVALID');
});

test('RTSPHeaders: set replaces all lines of a name in place, delete, case-insensitive has', () => {
  const h = new RTSPHeaders([
    ['CSeq', '1'],
    ['x-a', '1'],
    ['X-A', '2'],
    ['Session', 's'],
  ]);
  h.set('X-a', '3');
  assert.deepEqual([...h], [['CSeq', '1'], ['X-a', '3'], ['Session', 's']]);
  assert.equal(h.delete('session'), 1);
  assert.equal(h.has('SESSION'), false);
  assert.deepEqual(h.toJSON(), { cseq: '1', 'x-a': '3' });
});

test('text/parameters bodies of GET_PARAMETER / SET_PARAMETER', () => {
  assert.deepEqual(parseTextParameters(Buffer.from('packets_received\r\njitter\r\n')), [
    ['packets_received', undefined],
    ['jitter', undefined],
  ]);
  assert.deepEqual(parseTextParameters('barparam: barstuff\nScale : 2.0\n\n'), [
    ['barparam', 'barstuff'],
    ['Scale', '2.0'],
  ]);
  assert.equal(formatTextParameters([['packets_received', 10], ['jitter', '0.3'], ['name', undefined]]), 'packets_received: 10\r\njitter: 0.3\r\nname\r\n');
  assert.equal(formatTextParameters([['a\r\nb', 'x\ny']]), 'a  b: x y\r\n');
  assert.deepEqual(parseTextParameters(''), []);
});
