import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DorsvrError, isDorsvrError } from '@dorsvr/scheduler';
import {
  RTSPParser,
  formatFmtpLine,
  formatRtpmapLine,
  formatSDP,
  getSDPAttribute,
  parseFmtp,
  parseRtpmap,
  parseSDP,
  resolveControlURL,
  staticPayloadTypeRtpMap,
  type RTSPResponse,
  type SDPParseOptions,
} from '@dorsvr/livemedia';

const crlf = (lines: string[]): string => `${lines.join('\r\n')}\r\n`;

// RFC 4566 section 5 example, verbatim.
const RFC4566 = crlf([
  'v=0',
  'o=jdoe 2890844526 2890842807 IN IP4 10.47.16.5',
  's=SDP Seminar',
  'i=A Seminar on the session description protocol',
  'u=http://www.example.com/seminars/sdp.pdf',
  'e=j.doe@example.com (Jane Doe)',
  'c=IN IP4 224.2.17.12/127',
  't=2873397496 2873404696',
  'a=recvonly',
  'm=audio 49170 RTP/AVP 0',
  'm=video 51372 RTP/AVP 99',
  'a=rtpmap:99 h263-1998/90000',
]);

test('parses the RFC 4566 example', () => {
  const s = parseSDP(RFC4566);
  assert.equal(s.version, 0);
  assert.deepEqual(s.origin, { username: 'jdoe', sessionId: '2890844526', sessionVersion: '2890842807', netType: 'IN', addrType: 'IP4', address: '10.47.16.5' });
  assert.equal(s.name, 'SDP Seminar');
  assert.equal(s.info, 'A Seminar on the session description protocol');
  assert.equal(s.uri, 'http://www.example.com/seminars/sdp.pdf');
  assert.deepEqual(s.emails, ['j.doe@example.com (Jane Doe)']);
  assert.deepEqual(s.connection, { netType: 'IN', addrType: 'IP4', address: '224.2.17.12', ttl: 127 });
  assert.deepEqual(s.timings, [{ start: '2873397496', stop: '2873404696', repeats: [] }]);
  assert.equal(s.direction, 'recvonly');
  assert.equal(s.media.length, 2);
  const [audio, video] = s.media;
  assert.equal(audio!.type, 'audio');
  assert.equal(audio!.port, 49170);
  assert.equal(audio!.protocol, 'RTP/AVP');
  assert.deepEqual(audio!.payloadTypes, [0]);
  // Static payload type 0 gets its RFC 3551 rtpmap.
  assert.deepEqual(audio!.rtpmaps, [{ payloadType: 0, encodingName: 'PCMU', clockRate: 8000, channels: 1 }]);
  assert.equal(audio!.direction, 'recvonly'); // inherited from the session level
  assert.deepEqual(video!.rtpmaps, [{ payloadType: 99, encodingName: 'h263-1998', clockRate: 90000, channels: undefined }]);
  assert.deepEqual(s.unknownLines, []);
});

// Captured from GStreamer 1.22's RTSP server (gst-rtsp-server via python3-gi, H.264 + AAC), DESCRIBE reply.
const GSTREAMER_DESCRIBE = crlf([
  'RTSP/1.0 200 OK',
  'CSeq: 2',
  'Content-Type: application/sdp',
  'Content-Base: rtsp://127.0.0.1:43025/test/',
  'Server: GStreamer RTSP server',
  'Date: Tue, 24 Nov 2026 12:04:24 GMT',
  'Content-Length: 836',
  '',
  'v=0',
  'o=- 15237241017015414610 1 IN IP4 127.0.0.1',
  's=Session streamed with GStreamer',
  'i=rtsp-server',
  't=0 0',
  'a=tool:GStreamer',
  'a=type:broadcast',
  'a=control:*',
  'a=range:npt=now-',
  'm=video 0 RTP/AVP 96',
  'c=IN IP4 0.0.0.0',
  'b=AS:2097',
  'a=rtpmap:96 H264/90000',
  'a=framerate:30',
  'a=fmtp:96 packetization-mode=1;sprop-parameter-sets=Z0LAFdkBQfsBagwMDUoAAAMAAgAAAwB5HixckA==,aMuMsg==;profile-level-id=42c015;level-asymmetry-allowed=1',
  'a=control:stream=0',
  'a=ts-refclk:local',
  'a=mediaclk:sender',
  'a=ssrc:4283866946 cname:user789099447@host-2e4fa215',
  'm=audio 0 RTP/AVP 97',
  'c=IN IP4 0.0.0.0',
  'a=rtpmap:97 MPEG4-GENERIC/44100/1',
  'a=fmtp:97 streamtype=5;profile-level-id=2;mode=AAC-hbr;config=120856e500;sizelength=13;indexlength=3;indexdeltalength=3',
  'a=control:stream=1',
  'a=ts-refclk:local',
  'a=mediaclk:sender',
  'a=ssrc:3942715772 cname:user789099447@host-2e4fa215',
]);

test('a captured GStreamer DESCRIBE reply: RTSP parser + SDP parser + control URL resolution', () => {
  const [res] = new RTSPParser().push(Buffer.from(GSTREAMER_DESCRIBE)) as RTSPResponse[];
  assert.equal(res!.status, 200);
  assert.equal(res!.body.length, 836);
  const s = parseSDP(res!.body);
  assert.equal(s.control, '*');
  assert.deepEqual(s.range, { unit: 'npt', start: 'now', end: undefined, time: undefined });
  assert.equal(s.media.length, 2);
  const [v, a] = s.media;
  assert.deepEqual(v!.bandwidths, [{ type: 'AS', value: 2097 }]);
  assert.equal(getSDPAttribute(v!, 'framerate'), '30');
  assert.equal(v!.fmtps[0]!.parameters['sprop-parameter-sets'], 'Z0LAFdkBQfsBagwMDUoAAAMAAgAAAwB5HixckA==,aMuMsg==');
  assert.equal(v!.fmtps[0]!.parameters['profile-level-id'], '42c015');
  assert.deepEqual(a!.rtpmaps, [{ payloadType: 97, encodingName: 'MPEG4-GENERIC', clockRate: 44100, channels: 1 }]);
  assert.equal(a!.fmtps[0]!.parameters.config, '120856e500');
  assert.equal(a!.fmtps[0]!.parameters.sizelength, '13');
  const base = res!.headers.get('content-base')!;
  assert.equal(resolveControlURL(base, v!.control!), 'rtsp://127.0.0.1:43025/test/stream=0');
  assert.equal(resolveControlURL(base, a!.control!), 'rtsp://127.0.0.1:43025/test/stream=1');
});

// Written by ffmpeg 5.1: `ffmpeg -f lavfi -i testsrc … -c:v libx264 -f rtp rtp://127.0.0.1:50000 -c:a aac -f rtp … -sdp_file`
// (note the H.264 fmtp without sprop-parameter-sets and the space after a ';' in the AAC fmtp).
const FFMPEG_SDP = crlf([
  'v=0',
  'o=- 0 0 IN IP4 127.0.0.1',
  's=No Name',
  't=0 0',
  'a=tool:libavformat LIBAVFORMAT_VERSION',
  'm=video 50000 RTP/AVP 96',
  'c=IN IP4 127.0.0.1',
  'a=rtpmap:96 H264/90000',
  'a=fmtp:96 packetization-mode=1',
  'm=audio 50002 RTP/AVP 97',
  'c=IN IP4 127.0.0.1',
  'b=AS:128',
  'a=rtpmap:97 MPEG4-GENERIC/44100/2',
  'a=fmtp:97 profile-level-id=1;mode=AAC-hbr;sizelength=13;indexlength=3;indexdeltalength=3; config=121056E500',
]);

test('an ffmpeg-written SDP: no sprop, spaced fmtp params, per-media c= lines', () => {
  const s = parseSDP(FFMPEG_SDP);
  assert.equal(s.control, undefined);
  assert.equal(s.media.length, 2);
  assert.deepEqual(s.media[0]!.fmtps[0]!.parameters, { 'packetization-mode': '1' });
  assert.deepEqual(s.media[0]!.connections, [{ netType: 'IN', addrType: 'IP4', address: '127.0.0.1' }]);
  assert.equal(s.media[0]!.port, 50000);
  assert.equal(s.media[1]!.fmtps[0]!.parameters.config, '121056E500');
  assert.equal(s.media[1]!.rtpmaps[0]!.channels, 2);
  assert.equal(s.media[0]!.direction, 'sendrecv');
});

test('tolerance: LF endings, o= without address, several payload types, sendonly, blank and unknown lines', () => {
  const text = [
    'v=0',
    'o=- 1 1 IN IP4',
    's=',
    '',
    'garbage without equals',
    'x=unknown type',
    't=0 0',
    'm=audio 0 RTP/AVP 0 8 101',
    'a=rtpmap:101 telephone-event/8000',
    'a=fmtp:101 0-15',
    'a=sendonly',
    'a=control:trackID=1',
    'm=video 0 RTP/AVP/TCP 96',
    'a=rtpmap: 96  H265 / 90000',
    'a=fmtp:96 sprop-vps=QAEMAf//AWAAAAMAkAAAAwAAAwBdlZgJ;sprop-sps=;Sprop-PPS=RAHBcrRiQA==',
    'a=recvonly',
    'a=control:rtsp://cam/stream/trackID=2',
    'y=media-level unknown',
  ].join('\n');
  const s = parseSDP(text);
  assert.equal(s.origin?.address, undefined);
  assert.equal(s.origin?.addrType, 'IP4');
  assert.equal(s.name, '');
  assert.deepEqual(s.unknownLines, ['garbage without equals', 'x=unknown type']);
  const [a, v] = s.media;
  assert.deepEqual(a!.payloadTypes, [0, 8, 101]);
  assert.deepEqual(
    a!.rtpmaps.map((r) => `${r.payloadType} ${r.encodingName}/${r.clockRate}`),
    ['101 telephone-event/8000', '0 PCMU/8000', '8 PCMA/8000'],
  );
  assert.deepEqual(a!.fmtps[0]!.parameters, { '0-15': '' });
  assert.equal(a!.direction, 'sendonly');
  assert.equal(a!.control, 'trackID=1');
  assert.equal(v!.protocol, 'RTP/AVP/TCP');
  assert.deepEqual(v!.rtpmaps, [{ payloadType: 96, encodingName: 'H265', clockRate: 90000, channels: undefined }]);
  assert.deepEqual(v!.fmtps[0]!.parameters, { 'sprop-vps': 'QAEMAf//AWAAAAMAkAAAAwAAAwBdlZgJ', 'sprop-sps': '', 'sprop-pps': 'RAHBcrRiQA==' });
  assert.equal(v!.direction, 'recvonly');
  assert.deepEqual(v!.unknownLines, ['y=media-level unknown']);
});

test('non-SDP input and oversized input are refused with ERR_SDP_PARSE', () => {
  assert.throws(() => parseSDP('hello world'), (e: unknown) => isDorsvrError(e, 'ERR_SDP_PARSE'));
  assert.throws(() => parseSDP(''), (e: unknown) => isDorsvrError(e, 'ERR_SDP_PARSE'));
  assert.throws(() => parseSDP(`v=0\r\n${'a=x\r\n'.repeat(20000)}`), (e: unknown) => isDorsvrError(e, 'ERR_SDP_PARSE'));
  assert.throws(() => parseSDP(`v=0\r\n${'m=audio 0 RTP/AVP 0\r\n'.repeat(5)}`, { maxMedia: 4 }), (e: unknown) => isDorsvrError(e, 'ERR_SDP_PARSE'));
});

test('rtpmap/fmtp helpers and the static payload table', () => {
  assert.deepEqual(parseRtpmap('97 MPEG4-GENERIC/48000/2'), { payloadType: 97, encodingName: 'MPEG4-GENERIC', clockRate: 48000, channels: 2 });
  assert.equal(parseRtpmap('300 X/1'), undefined);
  assert.equal(parseRtpmap('96 H264'), undefined);
  assert.equal(parseFmtp('abc'), undefined);
  assert.deepEqual(parseFmtp('96')?.parameters, {});
  // Names from a peer stay plain data, even ones that look like Object internals.
  const odd = parseFmtp('96 __proto__=x;constructor=y;toString=z')!.parameters;
  assert.deepEqual(Object.keys(odd), ['__proto__', 'constructor', 'tostring']);
  assert.equal(odd.constructor as unknown, 'y');
  assert.equal(Object.getPrototypeOf(odd), Object.prototype);
  assert.deepEqual(staticPayloadTypeRtpMap(33), { payloadType: 33, encodingName: 'MP2T', clockRate: 90000, channels: undefined });
  assert.deepEqual(staticPayloadTypeRtpMap(14), { payloadType: 14, encodingName: 'MPA', clockRate: 90000, channels: undefined });
  assert.deepEqual(staticPayloadTypeRtpMap(11), { payloadType: 11, encodingName: 'L16', clockRate: 44100, channels: 1 });
  assert.equal(staticPayloadTypeRtpMap(96), undefined);
  assert.equal(formatRtpmapLine(96, 'L16', 48000, 2), 'a=rtpmap:96 L16/48000/2');
  assert.equal(formatFmtpLine(96, { 'packetization-mode': 1, 'profile-level-id': '42C01E', skip: undefined }), 'a=fmtp:96 packetization-mode=1;profile-level-id=42C01E');
});

// Sent by the LIVE555 Media Server v2020.04.12 for a Matroska file (H.264 + AAC), as logged by
// Azure Live Video Analytics' RTSP source (its MediaSessionEstablished event, in Microsoft's docs).
const LIVE555_MKV = crlf([
  'v=0',
  'o=- 1599412849822466 1 IN IP4 172.18.0.3',
  's=Matroska video+audio+(optional)subtitles, streamed by the LIVE555 Media Server',
  'i=media/t2.mkv',
  't=0 0',
  'a=tool:LIVE555 Streaming Media v2020.04.12',
  'a=type:broadcast',
  'a=control:*',
  'a=range:npt=0-78.357',
  'a=x-qt-text-nam:Matroska video+audio+(optional)subtitles, streamed by the LIVE555 Media Server',
  'a=x-qt-text-inf:media/t2.mkv',
  'm=video 0 RTP/AVP 96',
  'c=IN IP4 0.0.0.0',
  'b=AS:500',
  'a=rtpmap:96 H264/90000',
  'a=fmtp:96 packetization-mode=1;profile-level-id=42C01F;sprop-parameter-sets=Z0LAH9kAUAW6EAAAAwAQAAADAwDxgySA,aMuBcsg=',
  'a=control:track1',
  'm=audio 0 RTP/AVP 97',
  'c=IN IP4 0.0.0.0',
  'b=AS:96',
  'a=rtpmap:97 MPEG4-GENERIC/44100/2',
  'a=fmtp:97 streamtype=5;profile-level-id=1;mode=AAC-hbr;sizelength=13;indexlength=3;indexdeltalength=3;config=121056E500',
  'a=control:track2',
]);

test('a live555 Media Server SDP parses into typed tracks', () => {
  const s = parseSDP(LIVE555_MKV);
  assert.equal(s.origin?.sessionId, '1599412849822466');
  assert.equal(s.info, 'media/t2.mkv');
  assert.equal(getSDPAttribute(s, 'tool'), 'LIVE555 Streaming Media v2020.04.12');
  assert.deepEqual(s.range, { unit: 'npt', start: 0, end: 78.357, time: undefined });
  assert.deepEqual(s.media.map((m) => [m.type, m.control, m.rtpmaps[0]!.encodingName, m.rtpmaps[0]!.clockRate]), [
    ['video', 'track1', 'H264', 90000],
    ['audio', 'track2', 'MPEG4-GENERIC', 44100],
  ]);
  assert.equal(s.media[0]!.fmtps[0]!.parameters['sprop-parameter-sets'], 'Z0LAH9kAUAW6EAAAAwAQAAADAwDxgySA,aMuBcsg=');
  assert.equal(s.media[1]!.fmtps[0]!.parameters.mode, 'AAC-hbr');
});

test('formatSDP reproduces that live555 SDP byte for byte, accepting sink lines with or without a= and CRLF', () => {
  const text = formatSDP({
    sessionId: 1599412849822466n,
    originAddress: '172.18.0.3',
    name: 'Matroska video+audio+(optional)subtitles, streamed by the LIVE555 Media Server',
    info: 'media/t2.mkv',
    tool: 'LIVE555 Streaming Media v2020.04.12',
    durationSeconds: 78.357,
    media: [
      {
        mediaType: 'video',
        payloadType: 96,
        bandwidthKbps: 500,
        rtpmapLine: 'a=rtpmap:96 H264/90000\r\n',
        fmtpLine: 'a=fmtp:96 packetization-mode=1;profile-level-id=42C01F;sprop-parameter-sets=Z0LAH9kAUAW6EAAAAwAQAAADAwDxgySA,aMuBcsg=\r\n',
        control: 'track1',
      },
      {
        mediaType: 'audio',
        payloadType: 97,
        bandwidthKbps: 96,
        rtpmapLine: 'rtpmap:97 MPEG4-GENERIC/44100/2',
        fmtpLine: 'fmtp:97 streamtype=5;profile-level-id=1;mode=AAC-hbr;sizelength=13;indexlength=3;indexdeltalength=3;config=121056E500',
        control: 'track2',
      },
    ],
  });
  assert.equal(text, LIVE555_MKV);
});

test('formatSDP: live range, per-track ranges, static payload types, IPv6, multicast TTL, no broadcast', () => {
  const live = formatSDP({ sessionId: 1, name: 'live', durationSeconds: 0, media: [{ mediaType: 'audio', payloadType: 0, control: 'track1', rtpmapLine: '' }] });
  assert.match(live, /\r\na=range:npt=now-\r\n/);
  assert.match(live, /\r\nm=audio 0 RTP\/AVP 0\r\nc=IN IP4 0.0.0.0\r\na=control:track1\r\n$/);
  const perTrack = formatSDP({
    sessionId: 2,
    name: 'x',
    originAddress: '::1',
    broadcast: false,
    media: [
      { mediaType: 'video', payloadType: [96, 97], control: 'track1', durationSeconds: 5.5 },
      { mediaType: 'audio', payloadType: 14, control: 'track2', connectionAddress: '232.1.2.3', ttl: 16, port: 6000 },
    ],
  });
  assert.ok(!perTrack.includes('a=type:broadcast'));
  assert.ok(perTrack.includes('o=- 2 1 IN IP6 ::1\r\n'));
  assert.ok(perTrack.includes('m=video 0 RTP/AVP 96 97\r\nc=IN IP6 ::\r\na=range:npt=0-5.500\r\na=control:track1\r\n'));
  assert.ok(perTrack.includes('m=audio 6000 RTP/AVP 14\r\nc=IN IP4 232.1.2.3/16\r\na=control:track2\r\n'));
  const parsed = parseSDP(perTrack);
  assert.deepEqual(parsed.media[1]!.connections[0], { netType: 'IN', addrType: 'IP4', address: '232.1.2.3', ttl: 16 });
  assert.throws(() => formatSDP({ sessionId: 1, name: 'a\r\nb', media: [] }), (e: unknown) => isDorsvrError(e, 'ERR_SDP_INVALID'));
  assert.throws(() => formatSDP({ sessionId: 1, name: 'a', media: [{ mediaType: 'video', payloadType: 128, control: 't' }] }), (e: unknown) => isDorsvrError(e, 'ERR_SDP_INVALID'));
});

test('property: formatSDP output parses back to the same media, payload types, rtpmaps and controls', () => {
  const mediaArb = fc.record({
    mediaType: fc.constantFrom('video', 'audio', 'application'),
    payloadType: fc.integer({ min: 96, max: 127 }),
    encoding: fc.constantFrom('H264', 'H265', 'MPEG4-GENERIC', 'L16', 'MP2T'),
    clockRate: fc.constantFrom(90000, 44100, 48000, 8000),
    channels: fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined }),
    fmtp: fc.dictionary(fc.stringMatching(/^[a-z][a-z-]{0,15}$/), fc.stringMatching(/^[A-Za-z0-9+/=,]{0,30}$/), { maxKeys: 4 }),
    control: fc.stringMatching(/^track[0-9]{1,3}$/),
  });
  fc.assert(
    fc.property(fc.array(mediaArb, { maxLength: 4 }), fc.option(fc.integer({ min: 0, max: 100000 }), { nil: undefined }), (media, durMs) => {
      const text = formatSDP({
        sessionId: 7,
        name: 'prop',
        durationSeconds: durMs === undefined ? undefined : durMs / 1000,
        media: media.map((m) => ({
          mediaType: m.mediaType,
          payloadType: m.payloadType,
          rtpmapLine: formatRtpmapLine(m.payloadType, m.encoding, m.clockRate, m.channels),
          fmtpLine: Object.keys(m.fmtp).length > 0 ? formatFmtpLine(m.payloadType, m.fmtp) : '',
          control: m.control,
        })),
      });
      const s = parseSDP(text);
      assert.equal(s.control, '*');
      assert.equal(s.media.length, media.length);
      s.media.forEach((pm, i) => {
        const m = media[i]!;
        assert.equal(pm.type, m.mediaType);
        assert.deepEqual(pm.payloadTypes, [m.payloadType]);
        assert.deepEqual(pm.rtpmaps, [{ payloadType: m.payloadType, encodingName: m.encoding, clockRate: m.clockRate, channels: m.channels }]);
        assert.deepEqual(pm.fmtps[0]?.parameters ?? {}, { ...m.fmtp });
        assert.equal(pm.control, m.control);
      });
      if (durMs === undefined) assert.equal(s.range, undefined);
      else if (durMs === 0) assert.equal(s.range?.start, 'now');
      else assert.equal(s.range?.unit === 'npt' && s.range.end, durMs / 1000);
    }),
    { numRuns: 200 },
  );
});

test('property: arbitrary text never throws anything but DorsvrError', () => {
  const lineArb = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.tuple(fc.constantFrom('v=', 'o=', 'm=', 'c=', 'b=', 'a=rtpmap:', 'a=fmtp:', 'a=range:', 't=', 'r=', 'a='), fc.string({ maxLength: 30 })).map(([a, b]) => a + b),
  );
  fc.assert(
    fc.property(fc.array(lineArb, { maxLength: 30 }), fc.constantFrom('\n', '\r\n'), (lines, eol) => {
      try {
        parseSDP(lines.join(eol));
      } catch (e) {
        assert.ok(e instanceof DorsvrError, String(e));
      }
    }),
    { numRuns: 1000 },
  );
});

test('parseSDP limits: a string, NaN, 0, -1 or Infinity throws ERR_SDP_INVALID instead of turning the limit off', () => {
  const sdp = `v=0\r\n${'m=audio 0 RTP/AVP 0\r\n'.repeat(3)}`;
  for (const name of ['maxLength', 'maxMedia'] as const) {
    for (const bad of ['abc', Number.NaN, 0, -1, Number.POSITIVE_INFINITY, 2.5]) {
      assert.throws(
        () => parseSDP(sdp, { [name]: bad } as unknown as SDPParseOptions),
        (e: unknown) => isDorsvrError(e, 'ERR_SDP_INVALID') && e.message.includes(name),
        `${name}: ${String(bad)}`,
      );
    }
  }
  // Good values are accepted and enforced.
  assert.equal(parseSDP(sdp, { maxMedia: 3, maxLength: 1000 }).media.length, 3);
  assert.throws(() => parseSDP(sdp, { maxMedia: 2 }), (e: unknown) => isDorsvrError(e, 'ERR_SDP_PARSE'));
});
