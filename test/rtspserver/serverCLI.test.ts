// dorsvr-server's command line as a user meets it: --help and --version on stdout with exit 0, a
// bad argument or a directory that cannot be served said plainly with exit 2 (never a server that
// serves nothing), users from a file, and --quiet leaving only the URLs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { fixture, repoRoot } from '../helpers/paths.js';
import { withTempDir } from '../helpers/tempDir.js';
import { runPeer } from './helpers/ffmpeg.js';
import { RawRTSPClient } from './helpers/RawRTSPClient.js';

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');
const CLI = join(repoRoot, 'packages/rtspserver/dist/cli.js');
const run = (args: string[], onStdout?: Parameters<typeof runPeer>[3]) => runPeer(process.execPath, [CLI, ...args], 20_000, onStdout);

test('dorsvr-server --help lists every option with its default on stdout and exits 0; --version prints the version', async () => {
  const h = await run(['--help']);
  assert.equal(h.code, 0, h.stderr);
  assert.equal(h.stderr, '');
  for (const flag of ['--port', '--host', '--user', '--user-file', '--basic', '--require-qop', '--publish', '--tls-cert', '--tls-key', '--http-port', '--multicast', '--rtp-port-range', '--quiet', '--timer-slot', '--version']) {
    assert.ok(h.stdout.includes(flag), `--help does not mention ${flag}`);
  }
  assert.match(h.stdout, /--port N\s+RTSP port .*\(default: 8554, or 322 with TLS\)/);
  assert.match(h.stdout, /--timer-slot MS\s+.*\(default: 8\)/);
  const v = await run(['--version']);
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'packages/rtspserver/package.json'), 'utf8')) as { version: string };
  assert.equal(v.code, 0);
  assert.equal(v.stdout, `dorsvr-server (@dorsvr/rtspserver) ${pkg.version}\n`);
});

test('dorsvr-server: bad arguments and a directory it cannot serve say what is wrong and exit 2 before listening', async () => {
  const dir = fixture('');
  const cases: Array<[string[], RegExp]> = [
    [[dir, '--port', 'x'], /--port: "x" is not a port number/],
    [[dir, '--port'], /--port needs a value/],
    [[dir, '--bogus'], /unknown option --bogus/],
    [[dir, '--user', 'nocolon'], /--user: "nocolon" is not NAME:PASSWORD/],
    [[dir, '--rtp-port-range', '7000'], /--rtp-port-range: "7000" is not MIN-MAX/],
    [[dir, '--tls-cert', 'c.pem'], /--tls-cert and --tls-key go together/],
    [[dir, '--multicast-ttl', '4'], /need --multicast/],
    [[dir, '--require-qop'], /--require-qop needs --user or --user-file/],
    [[dir, dir], /one directory only/],
    [[dir, '--timer-slot', '0'], /--timer-slot: "0" is not a whole number of ms from 1 to 20/],
    [[dir, '--timer-slot', '21'], /--timer-slot: "21" is not/],
    [[dir, '--timer-slot', '4.5'], /--timer-slot: "4.5" is not/],
    [['/nonexistent/dorsvr'], /cannot serve \/nonexistent\/dorsvr: ENOENT/],
    [[fixture('test.264')], /is not a directory/],
    [[dir, '--user-file', '/nonexistent/users'], /--user-file: cannot read \/nonexistent\/users/],
  ];
  for (const [args, message] of cases) {
    // The listening options go first: a case that ends on a flag missing its value stays last.
    const r = await run(['--port', '0', '--host', '127.0.0.1', ...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code}\n${r.stdout}${r.stderr}`);
    assert.match(r.stderr, message, args.join(' '));
    assert.match(r.stderr, /usage: dorsvr-server/, args.join(' '));
    assert.doesNotMatch(r.stdout, /serving/, args.join(' '));
  }
});

test('dorsvr-server --user-file: its users are required; --quiet prints the URLs but no client lines', async () => {
  await withTempDir(async (dir) => {
    const users = join(dir, 'users');
    writeFileSync(users, '# name:password\nalice:wonder\n');
    let port = 0;
    let client: RawRTSPClient | undefined;
    const r = await run([fixture(''), '--port', '0', '--host', '127.0.0.1', '--user-file', users, '--quiet', '--status', '0'], (all, child) => {
      const m = /on port (\d+)/.exec(all);
      if (!m || port !== 0 || !/test\.264/.test(all)) return;
      port = Number(m[1]);
      void (async () => {
        try {
          client = await RawRTSPClient.connect(port);
          const res = await client.request('DESCRIBE', `rtsp://127.0.0.1:${port}/test.264`, {});
          assert.equal(res.status, 401, 'a user from the file is required');
        } finally {
          client?.close();
          child.kill('SIGTERM');
        }
      })();
    });
    assert.ok(port > 0, r.stdout + r.stderr);
    assert.match(r.stdout, /authentication required/);
    assert.match(r.stdout, /rtsp:\/\/\S+\/test\.264/);
    assert.doesNotMatch(r.stdout, /client .* connected|session /, '--quiet prints no client lines');
  });
});

test('dorsvr-server --require-qop: a Digest answer without qop is refused (401), one with qop=auth is served', async () => {
  let port = 0;
  let checked = false;
  const r = await run([fixture(''), '--port', '0', '--host', '127.0.0.1', '--user', 'alice:wonder', '--require-qop', '--quiet', '--status', '0'], (all, child) => {
    const m = /on port (\d+)/.exec(all);
    if (!m || port !== 0 || !/test\.264/.test(all)) return;
    port = Number(m[1]);
    void (async () => {
      const client = await RawRTSPClient.connect(port);
      try {
        const url = `rtsp://127.0.0.1:${port}/test.264`;
        const first = await client.request('DESCRIBE', url, {});
        assert.equal(first.status, 401);
        const challenge = first.all['www-authenticate']!.find((c) => /algorithm=MD5/.test(c))!;
        const realm = /realm="([^"]*)"/.exec(challenge)![1]!;
        const nonce = /nonce="([^"]*)"/.exec(challenge)![1]!;
        const ha1 = md5(`alice:${realm}:wonder`);
        const ha2 = md5(`DESCRIBE:${url}`);
        const plain = `Digest username="alice", realm="${realm}", nonce="${nonce}", uri="${url}", response="${md5(`${ha1}:${nonce}:${ha2}`)}"`;
        assert.equal((await client.request('DESCRIBE', url, { Authorization: plain })).status, 401, 'no qop');
        const withQop = `Digest username="alice", realm="${realm}", nonce="${nonce}", uri="${url}", qop=auth, nc=00000001, cnonce="c1", response="${md5(`${ha1}:${nonce}:00000001:c1:auth:${ha2}`)}"`;
        assert.equal((await client.request('DESCRIBE', url, { Authorization: withQop })).status, 200, 'qop=auth');
        checked = true;
      } finally {
        client.close();
        child.kill('SIGTERM');
      }
    })();
  });
  assert.ok(checked, r.stdout + r.stderr);
});
