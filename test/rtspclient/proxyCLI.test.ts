// dorsvr-proxy (packages/proxyserver): argument parsing, live555ProxyServer's stream names, the
// printed URLs playable by ffprobe, back-end state changes printed as they happen, exit codes,
// --help/--version, and credentials (players and back-end) from argv or from a file and a variable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BasicTaskScheduler } from '@dorsvr/scheduler';
import { DynamicRTSPServer, UserAuthenticationDatabase } from '@dorsvr/rtspserver';
import { parseProxyArgs, PROXY_OPTIONS, type ProxyArgs } from '@dorsvr/rtspclient';
import { withTempDir } from '../helpers/tempDir.js';
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

test('dorsvr-proxy --help lists every option with its default on stdout, exit 0; --version; bad arguments: the reason and usage on stderr, exit 2', async () => {
  for (const flag of ['--help', '-h']) {
    const help = await runPeer(process.execPath, [CLI, flag], 10_000);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^usage: dorsvr-proxy <rtsp-url>\.\.\./);
    assert.equal(help.stderr, '');
    for (const o of PROXY_OPTIONS) {
      const line = help.stdout.split('\n').find((l) => new RegExp(`^ +(-\\w, )?--${o.name}( |$)`).test(l));
      assert.ok(line, `--${o.name} is listed`);
      if (o.short !== undefined) assert.ok(line.includes(`-${o.short}, --${o.name}`), `-${o.short} is listed with --${o.name}`);
      if (o.default !== undefined) assert.ok(line.includes(`(default: ${o.default})`), `--${o.name} shows its default: ${line}`);
    }
    assert.match(help.stdout, /--port <port> +.*\(default: 8554\)/);
  }
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'packages', 'proxyserver', 'package.json'), 'utf8')) as { version: string };
  for (const flag of ['--version', '-V']) {
    const v = await runPeer(process.execPath, [CLI, flag], 10_000);
    assert.equal(v.code, 0, v.stderr);
    assert.equal(v.stdout, `dorsvr-proxy (@dorsvr/proxyserver) ${pkg.version}\n`);
  }
  for (const [args, message] of [
    [['rtsp://x/', '--port', 'abc'], /^dorsvr-proxy: bad port "abc"$/],
    [['rtsp://x/', '--bogus'], /^dorsvr-proxy: unknown option --bogus$/],
    [[], /^dorsvr-proxy: no back-end URL given$/],
    [['rtsp://x/', '--password-env', 'DORSVR_NO_SUCH_VARIABLE', '--backend-user', 'cam'], /the environment variable DORSVR_NO_SUCH_VARIABLE is not set/],
    [['rtsp://x/', '--user-file', join(repoRoot, 'no-such-file')], /^dorsvr-proxy: --user-file: cannot read .*no-such-file \(ENOENT\)$/],
  ] as const) {
    const bad = await runPeer(process.execPath, [CLI, ...args], 10_000);
    assert.equal(bad.code, 2, `${args.join(' ')}: ${bad.stderr}`);
    assert.match(bad.stderr.split('\n')[0]!, message);
    assert.match(bad.stderr.split('\n')[1]!, /^usage: dorsvr-proxy /);
    assert.equal(bad.stdout, '');
  }
});

test('parseProxyArgs: back-end passwords from a variable or a file, players from --user-file', async () => {
  await withTempDir(async (dir) => {
    const pw = join(dir, 'pw');
    writeFileSync(pw, 'back end\nignored\n');
    const a = parseProxyArgs(['rtsp://cam/a', '--backend-user', 'cam', '--password-file', pw]) as ProxyArgs;
    assert.deepEqual([a.username, a.password], ['cam', 'back end']);
    const b = parseProxyArgs(['rtsp://cam@h/a', '--password-env', 'PW'], { PW: 'hunter2' }) as ProxyArgs;
    assert.deepEqual([b.username, b.password], [undefined, 'hunter2']);
    assert.match(String(parseProxyArgs(['rtsp://h/a', '--password-env', 'PW'], { PW: 'x' })), /no user name/);
    assert.match(String(parseProxyArgs(['rtsp://h/a', '-u', 'a', 'b', '--password-env', 'PW'], { PW: 'x' })), /do not combine/);
    assert.match(String(parseProxyArgs(['rtsp://h/a', '--backend-user', 'a'])), /needs --password-env or --password-file/);
    const users = join(dir, 'users');
    writeFileSync(users, '# players\nviewer:se cret\n\nother:pw:x\n');
    const c = parseProxyArgs(['rtsp://h/a', '--user', 'first:1', '--user-file', users]) as ProxyArgs;
    assert.deepEqual(c.users, [['first', '1'], ['viewer', 'se cret'], ['other', 'pw:x']]);
    writeFileSync(users, '# nobody\n');
    assert.match(String(parseProxyArgs(['rtsp://h/a', '--user-file', users])), /has no users/);
    writeFileSync(users, 'nocolon\n');
    assert.match(String(parseProxyArgs(['rtsp://h/a', '--user-file', users])), /name:password/);
  });
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

for (const how of ['argv', 'environment and files'] as const) {
  test(`dorsvr-proxy: players must authenticate (ffprobe refused without credentials, plays with them); the back-end's credentials reach it (${how})`, async () => {
    // A back-end that wants credentials of its own.
    const scheduler = new BasicTaskScheduler();
    const db = new UserAuthenticationDatabase();
    db.addUser('cam', 'back end');
    const backend = new DynamicRTSPServer({ scheduler, root: fixture(''), port: 0, host: '127.0.0.1', authDatabase: db });
    await backend.listen();
    const port = await freePort();
    await withTempDir(async (dir) => {
      const common = [CLI, `rtsp://127.0.0.1:${backend.port}/test.aac`, '--port', String(port), '--host', '127.0.0.1', '--name', 'radio'];
      let command: string[];
      if (how === 'argv') command = [process.execPath, ...common, '--user', 'viewer:se cret', '-u', 'cam', 'back end'];
      else {
        // Nothing secret in argv: the players' users in a file, the back-end's password in a variable.
        writeFileSync(join(dir, 'users'), '# players\nviewer:se cret\n');
        command = ['/usr/bin/env', 'DORSVR_BACKEND_PW=back end', process.execPath, ...common, '--user-file', join(dir, 'users'), '--backend-user', 'cam', '--password-env', 'DORSVR_BACKEND_PW'];
        assert.ok(!command.some((a) => a.includes('se cret') || (a.includes('back end') && !a.startsWith('DORSVR_BACKEND_PW='))), 'no password in the argv');
      }
      const child = spawn(command[0]!, command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
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
      }
    });
    await backend.close();
    scheduler.close();
  });
}
