// The media server follows its directory without hurting the sessions it serves: dotfiles are
// neither served nor listed, a transient file-system error (EACCES, EIO) unpublishes nothing, and
// a replaced file gets a fresh description while sessions on the old one play on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BasicTaskScheduler, DorsvrError } from '@dorsvr/scheduler';
import { DynamicRTSPServer, type DynamicFileLookup, type SessionCloseReason } from '@dorsvr/rtspserver';
import { RawRTSPClient } from './helpers/RawRTSPClient.js';
import { fixture, repoRoot } from '../helpers/paths.js';
import { withTempDir } from '../helpers/tempDir.js';

/** A root with a plain file, a dotfile, a file in a dot-directory, and a symlink to the dotfile. */
function makeRoot(dir: string): string {
  const root = join(dir, 'media');
  mkdirSync(join(root, '.hidden'), { recursive: true });
  mkdirSync(join(root, 'sub'), { recursive: true });
  copyFileSync(fixture('test.264'), join(root, 'ok.264'));
  copyFileSync(fixture('test.264'), join(root, 'sub', 'also.264'));
  copyFileSync(fixture('test.264'), join(root, '.secret.264'));
  copyFileSync(fixture('test.264'), join(root, '.hidden', 'test.264'));
  symlinkSync(join(root, '.secret.264'), join(root, 'link.264'));
  return root;
}

test('dotfiles and dot-directories are not served (404), nor reached through a symlink', async () => {
  await withTempDir(async (dir) => {
    const root = makeRoot(dir);
    const scheduler = new BasicTaskScheduler();
    const server = new DynamicRTSPServer({ scheduler, root, port: 0, host: '127.0.0.1' });
    await server.listen();
    const c = await RawRTSPClient.connect(server.port);
    try {
      const base = `rtsp://127.0.0.1:${server.port}`;
      assert.equal((await c.request('DESCRIBE', `${base}/ok.264`)).status, 200);
      assert.equal((await c.request('DESCRIBE', `${base}/sub/also.264`)).status, 200);
      for (const path of ['/.secret.264', '/.hidden/test.264', '/%2Esecret.264', '/%2ehidden/test.264', '/link.264', '/sub/../.secret.264']) {
        assert.equal((await c.request('DESCRIBE', `${base}${path}`)).status, 404, path);
      }
    } finally {
      c.close();
      await server.close();
      scheduler.close();
    }
  });
});

test('dorsvr-server lists what it serves at startup, and no dotfile', async () => {
  await withTempDir(async (dir) => {
    const root = makeRoot(dir);
    const child = spawn(process.execPath, [join(repoRoot, 'packages/rtspserver/dist/cli.js'), root, '--port', '0', '--host', '127.0.0.1'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      const deadline = Date.now() + 10_000;
      while (!/sub\/also\.264/.test(out) && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 20));
      const urls = out.split('\n').filter((l) => l.includes('rtsp://')).map((l) => l.trim().replace(/^rtsp:\/\/[^/]+\//, ''));
      // The symlink is not listed either (the listing takes regular files only).
      assert.deepEqual(urls.sort(), ['ok.264', 'sub/also.264'], out);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('close', r));
    }
  });
});

/** A media server whose file lookups fail (as EIO would) while `failing` is set. */
class FlakyDiskServer extends DynamicRTSPServer {
  failing = false;
  override async lookupFile(streamName: string): Promise<DynamicFileLookup> {
    if (this.failing) return { kind: 'unknown', error: new DorsvrError('EIO', 'i/o error (simulated)') };
    return super.lookupFile(streamName);
  }
}

test('a transient lookup error (EIO, EACCES) neither ends the sessions of a stream nor publishes a new one', async () => {
  await withTempDir(async (dir) => {
    const root = makeRoot(dir);
    const scheduler = new BasicTaskScheduler();
    const server = new FlakyDiskServer({ scheduler, root, port: 0, host: '127.0.0.1' });
    const closed: SessionCloseReason[] = [];
    server.on('sessionClosed', (_s, reason) => closed.push(reason));
    await server.listen();
    const c = await RawRTSPClient.connect(server.port);
    try {
      const url = `rtsp://127.0.0.1:${server.port}/ok.264`;
      const s = await c.request('SETUP', `${url}/track1`, { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1' });
      assert.equal(s.status, 200);
      const session = s.headers['session']!.split(';')[0]!;
      server.failing = true;
      // The session's requests go on, and DESCRIBE is answered from what is published.
      assert.equal((await c.request('PLAY', `${url}/`, { Session: session })).status, 200);
      assert.equal((await c.request('DESCRIBE', url)).status, 200);
      // Nothing new is published while the disk cannot say.
      assert.equal((await c.request('DESCRIBE', `rtsp://127.0.0.1:${server.port}/sub/also.264`)).status, 404);
      assert.deepEqual(closed, [], 'no session ended');
      assert.equal(server.clientSessions.size, 1);
      await c.waitFor(() => c.frameCount(0) > 5, 5000, 'RTP while the disk fails');
      server.failing = false;
      assert.equal((await c.request('DESCRIBE', `rtsp://127.0.0.1:${server.port}/sub/also.264`)).status, 200);
      assert.equal((await c.request('TEARDOWN', `${url}/`, { Session: session })).status, 200);
      assert.deepEqual(closed, ['teardown']);
    } finally {
      c.close();
      await server.close();
      scheduler.close();
    }
  });
});

test('a replaced file gets a fresh description; a session on the old one plays on, its URLs still work, and the old stream closes with it', async () => {
  await withTempDir(async (dir) => {
    const root = makeRoot(dir);
    const scheduler = new BasicTaskScheduler();
    const server = new DynamicRTSPServer({ scheduler, root, port: 0, host: '127.0.0.1' });
    const closed: SessionCloseReason[] = [];
    server.on('sessionClosed', (_s, reason) => closed.push(reason));
    await server.listen();
    const c = await RawRTSPClient.connect(server.port);
    const d = await RawRTSPClient.connect(server.port);
    try {
      const url = `rtsp://127.0.0.1:${server.port}/ok.264`;
      const before = await c.request('DESCRIBE', url);
      assert.equal(before.status, 200);
      const oldStream = server.serverMediaSessions.get('ok.264')!;
      const s = await c.request('SETUP', `${url}/track1`, { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1' });
      const session = s.headers['session']!.split(';')[0]!;
      assert.equal((await c.request('PLAY', `${url}/`, { Session: session })).status, 200);
      // Replace the file (as a copy-then-rename would) with another H.264 clip.
      copyFileSync(fixture('test-slices-30fps.264'), join(root, 'new.tmp'));
      renameSync(join(root, 'new.tmp'), join(root, 'ok.264'));
      const after = await d.request('DESCRIBE', url);
      assert.equal(after.status, 200);
      const fmtp = (sdp: string): string => /a=fmtp:.*/.exec(sdp)![0];
      assert.notEqual(fmtp(after.body), fmtp(before.body), 'the description is the new file\'s');
      assert.notEqual(server.serverMediaSessions.get('ok.264'), oldStream);
      // The old session is untouched and still addressed by its URLs.
      assert.deepEqual(closed, []);
      assert.equal(oldStream.closed, false);
      assert.equal((await c.request('PAUSE', `${url}/`, { Session: session })).status, 200);
      assert.equal((await c.request('PLAY', `${url}/`, { Session: session })).status, 200);
      assert.equal((await c.request('TEARDOWN', `${url}/`, { Session: session })).status, 200);
      assert.deepEqual(closed, ['teardown']);
      assert.equal(oldStream.closed, true, 'the old stream is closed with its last session');
      // A new client plays the new file.
      const s2 = await d.request('SETUP', `${url}/track1`, { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1' });
      assert.equal(s2.status, 200);
    } finally {
      c.close();
      d.close();
      await server.close();
      scheduler.close();
    }
  });
});

test('hostile: SETUP of a file that is not what its name says answers 415 as its DESCRIBE does (it was a 500), the operator is told, and the connection serves on', async () => {
  await withTempDir(async (dir) => {
    const root = makeRoot(dir);
    writeFileSync(join(root, 'junk.264'), Buffer.alloc(3000, 0xab));
    writeFileSync(join(root, 'junk.wav'), Buffer.from('RIFF....WAVEjunk'));
    const scheduler = new BasicTaskScheduler();
    const server = new DynamicRTSPServer({ scheduler, root, port: 0, host: '127.0.0.1' });
    const errors: unknown[] = [];
    server.on('error', (e) => errors.push(e));
    await server.listen();
    const c = await RawRTSPClient.connect(server.port);
    try {
      const base = `rtsp://127.0.0.1:${server.port}`;
      for (const name of ['junk.264', 'junk.wav']) {
        for (const transport of ['RTP/AVP;unicast;client_port=5000-5001', 'RTP/AVP/TCP;interleaved=0-1']) {
          const r = await c.request('SETUP', `${base}/${name}/track1`, { Transport: transport });
          assert.equal(r.status, 415, `${name} over ${transport}`);
          assert.equal(r.headers['session'], undefined, 'no session is left');
        }
        assert.equal((await c.request('DESCRIBE', `${base}/${name}`)).status, 415);
      }
      assert.equal(server.clientSessions.size, 0);
      assert.ok(errors.length >= 4 && errors.every((e) => e instanceof DorsvrError), 'each failure reported to the operator');
      assert.equal((await c.request('DESCRIBE', `${base}/ok.264`)).status, 200, 'the connection serves on');
    } finally {
      c.close();
      await server.close();
      scheduler.close();
    }
  });
});
