// --accept-media-from-any-address of dorsvr-client and dorsvr-proxy: off by default (RTP/RTCP over
// UDP only from the server's address), listed in --help with its default. End to end with the
// compiled dorsvr-client against our server reached at 127.0.0.2, whose UDP leaves from 127.0.0.1
// (as a multi-homed server's may): without the flag the client falls back to TCP after its 5 s
// wait; with it, the recording comes over UDP and no fallback happens.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { BasicTaskScheduler } from '@dorsvr/scheduler';
import { DynamicRTSPServer } from '@dorsvr/rtspserver';
import { CLIENT_OPTIONS, PROXY_OPTIONS, parseClientArgs, parseProxyArgs, type ClientArgs, type ProxyArgs } from '@dorsvr/rtspclient';
import { repoRoot } from '../helpers/paths.js';
import { withTempDir } from '../helpers/tempDir.js';
import { checkRecording, startCLI } from './clientCLI.js';

test('parseClientArgs / parseProxyArgs: --accept-media-from-any-address is off unless given; both --help lists show it with its default', () => {
  assert.equal((parseClientArgs(['rtsp://h/x']) as ClientArgs).acceptMediaFromAnyAddress, false);
  assert.equal((parseClientArgs(['rtsp://h/x', '--accept-media-from-any-address']) as ClientArgs).acceptMediaFromAnyAddress, true);
  assert.equal((parseProxyArgs(['rtsp://h/x']) as ProxyArgs).acceptMediaFromAnyAddress, false);
  assert.equal((parseProxyArgs(['--accept-media-from-any-address', 'rtsp://h/x']) as ProxyArgs).acceptMediaFromAnyAddress, true);
  assert.match(String(parseClientArgs(['rtsp://h/x', '--accept-media-from-any-address=yes'])), /accept-media-from-any-address/);
  for (const list of [CLIENT_OPTIONS, PROXY_OPTIONS]) {
    const o = list.find((x) => x.name === 'accept-media-from-any-address');
    assert.ok(o !== undefined && o.values === undefined, 'a flag');
    assert.match(o.default ?? '', /^off/);
  }
});

test('dorsvr-client --accept-media-from-any-address: a server whose UDP comes from another address is recorded over UDP; without it, over TCP after the fallback wait', async () => {
  const scheduler = new BasicTaskScheduler();
  const server = new DynamicRTSPServer({ scheduler, root: join(repoRoot, 'test', 'fixtures'), port: 0, host: '127.0.0.2' });
  await server.listen();
  const url = `rtsp://127.0.0.2:${server.port}/test.264`;
  try {
    await withTempDir(async (dir) => {
      const open = await startCLI([url, '--accept-media-from-any-address', '-o', dir, '-F', 'open-']);
      assert.equal(open.code, 0, open.stderr);
      assert.doesNotMatch(open.stderr, /streaming over TCP instead/, 'no fallback: UDP from 127.0.0.1 was taken');
      await checkRecording('test.264', join(dir, 'open-video-H264-1.264'));
      const strict = await startCLI([url, '-o', dir, '-F', 'strict-']);
      assert.equal(strict.code, 0, strict.stderr);
      assert.match(strict.stderr, /no RTP over UDP .*streaming over TCP instead/, 'by default UDP from another address is not the server\'s');
      await checkRecording('test.264', join(dir, 'strict-video-H264-1.264'));
    });
  } finally {
    await server.close();
    scheduler.close();
  }
});
