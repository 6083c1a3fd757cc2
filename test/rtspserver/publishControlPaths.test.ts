// How a publisher's SETUP URL finds its track, for the a=control forms real publishers send, and
// the publish options' defaults and refusals (pure functions, no sockets).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchTrack, requestPath, resolvePublishOptions, trackControlPath, UserAuthenticationDatabase } from '@dorsvr/rtspserver';

test('requestPath: absolute, relative, trailing slash, and ffmpeg\'s track after the query', () => {
  assert.equal(requestPath('rtsp://127.0.0.1:8554/live/x'), 'live/x');
  assert.equal(requestPath('rtsp://h/live/x/'), 'live/x');
  assert.equal(requestPath('/live/x/streamid=0'), 'live/x/streamid=0');
  assert.equal(requestPath('rtsp://h/live/x?key=1/streamid=0'), 'live/x/streamid=0');
  assert.equal(requestPath('rtsp://h/live%20cam/x'), 'live cam/x');
  assert.throws(() => requestPath('rtsp://h/%E0%A4%A'), { status: 400 });
});

test('trackControlPath: ffmpeg (streamid=N), GStreamer (stream=N), absolute and rooted controls, none or * is the aggregate', () => {
  assert.equal(trackControlPath('live/x', 'streamid=0'), 'live/x/streamid=0');
  assert.equal(trackControlPath('live/x', 'stream=1'), 'live/x/stream=1');
  assert.equal(trackControlPath('live/x', 'rtsp://cam.local:554/live/x/trackID=2'), 'live/x/trackID=2');
  assert.equal(trackControlPath('live/x', '/live/x/track1'), 'live/x/track1');
  assert.equal(trackControlPath('live/x', undefined), undefined);
  assert.equal(trackControlPath('live/x', '*'), undefined);
  assert.equal(trackControlPath('live/x', 'rtsp://cam/live/x'), undefined, 'the base URL itself');
});

test('matchTrack: exact control, the base URL for a single track or the next track without control, a camera naming another host', () => {
  const set = new Set<number>();
  const isSetUp = (i: number): boolean => set.has(i);
  const ff = ['live/x/streamid=0', 'live/x/streamid=1'];
  assert.equal(matchTrack('live/x', ff, 'live/x/streamid=1', isSetUp), 1);
  assert.equal(matchTrack('live/x', ff, 'live/x/streamid=7', isSetUp), undefined);
  assert.equal(matchTrack('live/x', ff, 'other/streamid=0', isSetUp), undefined, 'another path');
  // One track: SETUP of the base URL is that track (cameras, ffmpeg with a single stream).
  assert.equal(matchTrack('live/x', ['live/x/streamid=0'], 'live/x', isSetUp), 0);
  // No controls at all: each SETUP of the base URL takes the next track.
  const none = [undefined, undefined];
  assert.equal(matchTrack('live/x', none, 'live/x', isSetUp), 0);
  set.add(0);
  assert.equal(matchTrack('live/x', none, 'live/x', isSetUp), 1);
  set.add(1);
  assert.equal(matchTrack('live/x', none, 'live/x', isSetUp), undefined, 'every track set up');
  // Absolute controls naming the camera's own path: the last segment decides.
  assert.equal(matchTrack('live/x', ['cam/main/trackID=1', 'cam/main/trackID=2'], 'live/x/trackID=2', isSetUp), 1);
});

test('resolvePublishOptions: documented defaults; out-of-range limits, non-function hooks and non-databases are refused (fail closed)', () => {
  const d = resolvePublishOptions({});
  assert.deepEqual(
    { ...d, authorizePublish: undefined, authorizeRead: undefined, onBusyPath: undefined },
    {
      authorizePublish: undefined,
      authorizeRead: undefined,
      onBusyPath: undefined,
      authDatabase: undefined,
      maxTracks: 8,
      maxSDPBytes: 16384,
      maxPacketSize: 4096,
      maxPublishers: 64,
      maxPublishersPerAddress: 8,
      announceTimeoutSeconds: 10,
      waitForPublisherSeconds: 0,
      portBase: 6970,
    },
  );
  for (const bad of [{ maxTracks: 0 }, { maxPacketSize: 10 }, { maxPublishers: Number.NaN }, { waitForPublisherSeconds: 61 }, { portBase: 80 }]) {
    assert.throws(() => resolvePublishOptions(bad), { code: 'ERR_SERVER_OPTION' }, JSON.stringify(bad));
  }
  assert.throws(() => resolvePublishOptions({ authorizePublish: 'yes' as never }), { code: 'ERR_SERVER_OPTION' });
  assert.throws(() => resolvePublishOptions({ authDatabase: { users: ['a'] } as never }), { code: 'ERR_AUTH_DATABASE' });
  const db = new UserAuthenticationDatabase();
  assert.equal(resolvePublishOptions({ authDatabase: db }).authDatabase, db);
});
