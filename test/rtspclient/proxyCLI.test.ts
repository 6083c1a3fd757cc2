// dorsvr-proxy (packages/proxyserver): argument parsing, live555ProxyServer's stream names, the
// printed URLs playable by ffprobe, back-end state changes printed as they happen, exit codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { BasicTaskScheduler } from '@dorsvr/scheduler';
import { DynamicRTSPServer, UserAuthenticationDatabase } from '@dorsvr/rtspserver';
import { parseProxyArgs, type ProxyArgs } from '@dorsvr/rtspclient';
import { fixture, repoRoot } from '../helpers/paths.js';
import { findPeer } from '../helpers/peers.js';
import { runPeer } from '../rtspserver/helpers/ffmpeg.js';
import { useFixtureServer } from '../rtspserver/helpers/fixtureServer.js';
import { freePort, waitFor } from './proxyHelpers.js';

const CLI = join(repoRoot, 'packages/proxyserver/bin/dorsvr-proxy.js');
const fixtures = useFixtureServer();

test('parseProxyArgs: live555ProxyServer names (proxyStream for one URL, proxyStream-N for several), --name, -t, -u, --user, --port; errors say what is wrong', () => {
  const one = parseProxyArgs(['rtsp://cam/a']) as ProxyArgs;
  assert.deepEqual(one.names, ['proxyStream']);
  assert.equal(one.port, 8554);
  assert.equal(one.tcp, false);
  const many = parseProxyArgs(['rtsp://cam/a', '-t', 'rtsp://cam/b', '--port', '9000', '-u', 'bob', 's e', '--user', 'viewer:pw:x', 'rtsp://cam/c', '--name', 'door']) as ProxyArgs;
  assert.deepEqual(many.names, ['door', 'proxyStream-2', 'proxyStream-3']);
  assert.deepEqual(many.urls, ['rtsp://cam/a', 'rtsp://cam/b', 'rtsp://cam/c']);
  assert.equal(many.port, 9000);
  assert.equal(many.tcp, true);
  assert.deepEqual([many.username, many.password], ['bob', 's e']);
  assert.deepEqual(many.users, [['viewer', 'pw:x']]);
  assert.equal(parseProxyArgs(['--help']), 'help');
  assert.equal(parseProxyArgs([]), 'no back-end URL given');
  assert.match(parseProxyArgs(['http://x/']) as string, /not an rtsp:\/\/ URL/);
  assert.match(parseProxyArgs(['rtsp://x/', '--port', '70000']) as string, /bad port/);
  assert.match(parseProxyArgs(['rtsp://x/', '--port']) as string, /needs a port/);
  assert.match(parseProxyArgs(['rtsp://x/', '-u', 'bob']) as string, /needs a password/);
  assert.match(parseProxyArgs(['rtsp://x/', '--user', 'nopassword']) as string, /name:password/);
  assert.match(parseProxyArgs(['rtsp://x/', '--name', 'a', '--name', 'b']) as string, /2 names for 1 URL/);
  assert.match(parseProxyArgs(['rtsp://x/', 'rtsp://y/', '--name', 'proxyStream-2']) as string, /used twice/);
  assert.match(parseProxyArgs(['rtsp://x/', '--name', '../etc']) as string, /stream name/);
  assert.match(parseProxyArgs(['rtsp://x/', '--frobnicate']) as string, /unknown option --frobnicate/);
});

test('dorsvr-proxy --help: usage on stdout, exit 0; bad arguments: the reason and usage on stderr, exit 2', async () => {
  const help = await runPeer(process.execPath, [CLI, '--help'], 10_000);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^usage: dorsvr-proxy <rtsp-url>\.\.\./);
  assert.equal(help.stderr, '');
  const bad = await runPeer(process.execPath, [CLI, 'rtsp://x/', '--port', 'abc'], 10_000);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /dorsvr-proxy: bad port "abc"\nusage:/);
  assert.equal(bad.stdout, '');
});

test('dorsvr-proxy proxies two URLs of our server: prints proxyStream-1/-2 URLs that ffprobe plays, shows the back-end states, exits 0 on SIGINT', async () => {
  const port = await freePort();
  const child = spawn(process.execPath, [CLI, `${fixtures.base}/test.264`, `${fixtures.base}/test.aac`, '--port', String(port), '--host', '127.0.0.1', '-t'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    await waitFor(() => out.includes('proxyStream-2: rtsp://'), 10_000, `the printed URLs (stdout: ${out} stderr: ${err})`);
    assert.match(out, new RegExp(`^proxyStream-1: rtsp://127\\.0\\.0\\.1:${port}/proxyStream-1 \\(proxies ${fixtures.base}/test\\.264\\)$`, 'm'));
    assert.match(out, new RegExp(`^proxyStream-2: rtsp://127\\.0\\.0\\.1:${port}/proxyStream-2 \\(proxies ${fixtures.base}/test\\.aac\\)$`, 'm'));
    const probeURL = async (name: string) => {
      const r = await runPeer(findPeer('ffprobe'), ['-v', 'error', '-rtsp_transport', 'tcp', '-show_entries', 'stream=codec_name', '-of', 'csv=p=0', `rtsp://127.0.0.1:${port}/${name}`], 20_000);
      assert.equal(r.code, 0, r.stderr);
      return r.stdout.trim();
    };
    assert.equal(await probeURL('proxyStream-1'), 'h264');
    assert.equal(await probeURL('proxyStream-2'), 'aac');
    assert.match(out, /^proxyStream-1: connecting$/m);
    assert.match(out, /^proxyStream-1: live$/m);
    assert.match(out, /^proxyStream-2: live$/m);
    child.kill('SIGINT');
    assert.equal(await exited, 0);
    assert.match(out, /^stopping$/m);
    assert.match(out, /^proxyStream-1: closed$/m);
  } finally {
    child.kill('SIGKILL');
  }
});

test('dorsvr-proxy: a port in use is one line and exit 1', async () => {
  const r = await runPeer(process.execPath, [CLI, `${fixtures.base}/test.264`, '--port', String(fixtures.server.port), '--host', '127.0.0.1'], 10_000);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^dorsvr-proxy: cannot listen on port \d+: .*EADDRINUSE/);
});

test('dorsvr-proxy --user: players must authenticate (ffprobe refused without credentials, plays with them); -u carries the back-end credentials', async () => {
  // A back-end that wants credentials of its own.
  const scheduler = new BasicTaskScheduler();
  const db = new UserAuthenticationDatabase();
  db.addUser('cam', 'back end');
  const backend = new DynamicRTSPServer({ scheduler, root: fixture(''), port: 0, host: '127.0.0.1', authDatabase: db });
  await backend.listen();
  const port = await freePort();
  const child = spawn(process.execPath, [CLI, `rtsp://127.0.0.1:${backend.port}/test.aac`, '--port', String(port), '--host', '127.0.0.1', '--user', 'viewer:se cret', '--name', 'radio', '-u', 'cam', 'back end'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    await waitFor(() => out.includes('radio: rtsp://'), 10_000, `the printed URL (${out})`);
    assert.match(out, /^radio: rtsp:\/\/127\.0\.0\.1:\d+\/radio \(proxies .*\) \(authentication required\)$/m);
    const probeURL = (url: string) => runPeer(findPeer('ffprobe'), ['-v', 'error', '-show_entries', 'stream=codec_name', '-of', 'csv=p=0', url], 20_000);
    const refused = await probeURL(`rtsp://127.0.0.1:${port}/radio`);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /401|Unauthorized/i);
    const ok = await probeURL(`rtsp://viewer:se%20cret@127.0.0.1:${port}/radio`);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout.trim(), 'aac');
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  } finally {
    child.kill('SIGKILL');
    await backend.close();
    scheduler.close();
  }
});
