import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRequestURL } from '@dorsvr/rtspserver';

test('aggregate and per-track control URLs in every form clients send', () => {
  assert.deepEqual(parseRequestURL('rtsp://127.0.0.1:8554/cam/track1'), [
    { streamName: 'cam/track1', trackId: undefined },
    { streamName: 'cam', trackId: 'track1' },
  ]);
  // Trailing slash (Content-Base form) names the aggregate.
  assert.deepEqual(parseRequestURL('rtsp://h/cam/')[0], { streamName: 'cam', trackId: undefined });
  // A query is not part of the name.
  assert.deepEqual(parseRequestURL('rtsp://h/cam?x=1')[0], { streamName: 'cam', trackId: undefined });
  // ffmpeg puts the track after the query.
  assert.deepEqual(parseRequestURL('rtsp://h/cam?x=1/trackID=0'), [{ streamName: 'cam', trackId: 'trackID=0' }]);
  assert.deepEqual(parseRequestURL('rtsp://h/cam?x=1/track2'), [{ streamName: 'cam', trackId: 'track2' }]);
  // Relative forms.
  assert.deepEqual(parseRequestURL('/cam/track1')[1], { streamName: 'cam', trackId: 'track1' });
  assert.deepEqual(parseRequestURL('cam')[0], { streamName: 'cam', trackId: undefined });
  // IPv6 host, nested names, percent-encoding decoded.
  assert.deepEqual(parseRequestURL('rtsp://[::1]:8554/a/b%20c.264/track1')[1], { streamName: 'a/b c.264', trackId: 'track1' });
  assert.deepEqual(parseRequestURL('RTSP://H/%2e%2e/x.264')[0], { streamName: '../x.264', trackId: undefined });
});

test('undecodable URLs are a 400 DorsvrError', () => {
  assert.throws(() => parseRequestURL('rtsp://h/%E0%A4%A'), (e: unknown) => (e as { status?: number }).status === 400);
  assert.throws(() => parseRequestURL('rtsp://h/a%00b'), (e: unknown) => (e as { status?: number }).status === 400);
});
