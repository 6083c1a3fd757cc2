// The parsers of header values a peer sends (RTSP request and response headers, SDP attributes
// read from them) answer any text with a value or a DorsvrError: never a TypeError or a RangeError
// that would escape a handler as a 500 or an 'error'. Random text, random Unicode, and text made
// of the tokens these headers are built from (so it reaches deep into each grammar).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DorsvrError } from '@dorsvr/scheduler';
import {
  parseAuthHeader,
  parseDigestAuthorization,
  parseDigestChallenges,
  selectAuthChallenge,
  decodeBasicAuthorization,
  parseDigestAlgorithm,
  digestURIMatches,
  parseRTPInfoHeader,
  parseRangeHeader,
  parseNptTime,
  clockTimeToEpochMs,
  parseSessionHeader,
  parseTextParameters,
  parseTransportHeader,
  parseCSeq,
  parseCommaList,
  parseRTSPDate,
  parseScale,
  resolveControlURL,
  parseSpropParameterSets,
  parseRtpmap,
  parseFmtp,
} from '@dorsvr/livemedia';

const PARSERS: Record<string, (s: string) => unknown> = {
  parseAuthHeader,
  parseDigestAuthorization,
  parseDigestChallenges,
  selectAuthChallenge,
  decodeBasicAuthorization,
  parseDigestAlgorithm,
  'digestURIMatches (digest uri)': (s) => digestURIMatches(s, 'rtsp://h:554/x'),
  'digestURIMatches (request uri)': (s) => digestURIMatches('rtsp://h:554/x', s),
  parseRTPInfoHeader,
  parseRangeHeader,
  parseNptTime,
  clockTimeToEpochMs,
  parseSessionHeader,
  parseTextParameters,
  parseTransportHeader,
  parseCSeq,
  parseCommaList,
  parseRTSPDate,
  parseScale,
  'resolveControlURL (control)': (s) => resolveControlURL('rtsp://h/a/', s),
  'resolveControlURL (base)': (s) => resolveControlURL(s, 'track1'),
  parseSpropParameterSets,
  parseRtpmap,
  parseFmtp,
};

const TOKENS = [
  'Digest ', 'Basic ', 'realm=', 'nonce=', 'uri=', 'response=', 'qop=auth', 'nc=', 'algorithm=SHA-256', 'npt=', 'clock=', 'smpte=',
  '-', ';', ',', '=', '"', '\\', ':', ' ', '\t', '.', '%', '%zz', 'now', 'url=', 'seq=', 'rtptime=', 'RTP/AVP', '/TCP', 'unicast',
  'client_port=', 'server_port=', 'interleaved=', 'ttl=', 'ssrc=', 'mode=record', 'timeout=', 'rtsp://', '[::1]', 'h:554',
  '0', '1', '65535', '65536', '-1', '1e309', '99999999999999999999', 'NaN', 'T', 'Z', '20261207T010203Z', 'Mon, 07 Dec 2026 ',
  'Z0LAH9kAUAW6EAAAAwAQAAADAwDxgySA', '==', '96 ', 'H264/90000', '/2', 'sizelength=13',
];

const text = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.string({ unit: 'grapheme', maxLength: 100 }),
  fc.array(fc.constantFrom(...TOKENS), { maxLength: 40 }).map((a) => a.join('')),
);

test('property: every header value parser answers any text with a value or a DorsvrError', () => {
  for (const [name, parse] of Object.entries(PARSERS)) {
    fc.assert(
      fc.property(text, (s) => {
        try {
          parse(s);
        } catch (err) {
          assert.ok(err instanceof DorsvrError, `${name}(${JSON.stringify(s)}) threw ${String(err)}`);
        }
      }),
      { numRuns: 2000 },
    );
  }
});
