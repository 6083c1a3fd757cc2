// A directory or file the CLIs cannot read (or, for dorsvr-client's -o, write) is a bad argument:
// one line that says so, the usage, exit 2 — never a server that serves nothing or a recording that
// fails later. Permissions do not stop root, so as root the CLIs run as nobody (setpriv).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../helpers/paths.js';
import { withTempDir } from '../helpers/tempDir.js';
import { runPeer } from '../rtspserver/helpers/ffmpeg.js';

const bin = (pkg: string, name: string): string => join(repoRoot, 'packages', pkg, 'bin', `${name}.js`);

/** Runs a CLI as an unprivileged user (nobody, when we are root), so that permissions apply. */
function runUnprivileged(args: readonly string[]) {
  if (process.getuid?.() !== 0) return runPeer(process.execPath, args, 20_000);
  return runPeer('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, ...args], 20_000).catch((err: unknown) => {
    throw new Error(`running as root, this test needs setpriv (util-linux) to run the CLIs as nobody: ${(err as Error).message}`);
  });
}

test('a directory or file the CLIs cannot read or write: the reason on one line, the usage, exit 2', async () => {
  await withTempDir(async (dir) => {
    chmodSync(dir, 0o755); // nobody may look inside; what is inside says otherwise
    const unreadableDir = join(dir, 'media');
    mkdirSync(unreadableDir);
    writeFileSync(join(unreadableDir, 'a.264'), '');
    chmodSync(unreadableDir, 0o000);
    const unwritableDir = join(dir, 'out');
    mkdirSync(unwritableDir);
    chmodSync(unwritableDir, 0o555);
    const unreadableFile = join(dir, 'clip.264');
    writeFileSync(unreadableFile, 'x');
    chmodSync(unreadableFile, 0o000);
    const passwordFile = join(dir, 'pw');
    writeFileSync(passwordFile, 'secret\n');
    chmodSync(passwordFile, 0o000);
    const cases: Array<[string, string[], RegExp]> = [
      ['dorsvr-server', [bin('rtspserver', 'dorsvr-server'), unreadableDir, '--port', '0', '--host', '127.0.0.1'], /^dorsvr-server: cannot serve .*media: EACCES$/],
      ['dorsvr-server', [bin('rtspserver', 'dorsvr-server'), dir, '--port', '0', '--host', '127.0.0.1', '--user-file', passwordFile], /^dorsvr-server: --user-file: cannot read .*pw/],
      ['dorsvr-client', [bin('rtspclient', 'dorsvr-client'), '-o', unwritableDir, 'rtsp://127.0.0.1:1/x'], /^dorsvr-client: -o .*out: not writable \(EACCES\)$/],
      ['dorsvr-client', [bin('rtspclient', 'dorsvr-client'), '--user', 'u', '--password-file', passwordFile, 'rtsp://127.0.0.1:1/x'], /^dorsvr-client: --password-file: cannot read .*pw \(EACCES\)$/],
      ['dorsvr-publish', [bin('rtspclient', 'dorsvr-publish'), unreadableFile, 'rtsp://127.0.0.1:1/x'], /^dorsvr-publish: cannot read .*clip\.264: EACCES$/],
      ['dorsvr-proxy', [bin('proxyserver', 'dorsvr-proxy'), 'rtsp://127.0.0.1:1/x', '--user-file', passwordFile], /^dorsvr-proxy: --user-file: cannot read .*pw \(EACCES\)$/],
    ];
    for (const [name, args, message] of cases) {
      const r = await runUnprivileged(args);
      assert.equal(r.code, 2, `${args.slice(1).join(' ')}: exit ${r.code}\n${r.stdout}${r.stderr}`);
      const lines = r.stderr.trimEnd().split('\n');
      assert.match(lines[0]!, message, r.stderr);
      assert.match(lines[1] ?? '', new RegExp(`^usage: ${name} `), r.stderr);
      assert.doesNotMatch(r.stdout, /serving|rtsp:\/\/.*:\d+\//, 'nothing served or recorded');
    }
  });
});
