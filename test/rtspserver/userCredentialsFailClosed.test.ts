// Fail closed on credentials given on the command line: a user with an empty password (as
// `--user "alice:$PW"` with PW unset, or a `name:` line) and a --user-file with no user in it are
// refused with a clear message, never a server that lets everyone in or a user without a password.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseClientArgs, parseProxyArgs, parsePublishArgs, type ClientArgs, type PublishArgs } from '@dorsvr/rtspclient';
import { fixture, repoRoot } from '../helpers/paths.js';
import { withTempDir } from '../helpers/tempDir.js';
import { runPeer } from './helpers/ffmpeg.js';

const CLI = join(repoRoot, 'packages/rtspserver/dist/cli.js');

/** dorsvr-server's complaint about `args` (it must exit 2 with its usage, before listening). */
async function serverError(args: string[]): Promise<string> {
  const r = await runPeer(process.execPath, [CLI, '--port', '0', '--host', '127.0.0.1', ...args], 20_000);
  assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code}\n${r.stdout}${r.stderr}`);
  assert.match(r.stderr, /usage: dorsvr-server/);
  assert.doesNotMatch(r.stdout, /serving|rtsp:\/\//);
  return r.stderr;
}

test('dorsvr-server: --user with an empty password, a user file line with one, and a user file with no users are refused', async () => {
  await withTempDir(async (dir) => {
    const users = join(dir, 'users');
    assert.match(await serverError([fixture(''), '--user', 'alice:']), /--user: "alice:" has an empty password/);
    writeFileSync(users, '# nobody yet\n\n');
    assert.match(await serverError([fixture(''), '--user-file', users]), /--user-file: .* has no users/);
    writeFileSync(users, 'bob:secret\nalice:\n');
    assert.match(await serverError([fixture(''), '--user-file', users]), /has an empty password/);
  });
});

test('dorsvr-proxy: a player user with an empty password is refused, on the command line or in --user-file', async () => {
  await withTempDir(async (dir) => {
    assert.match(String(parseProxyArgs(['rtsp://h/a', '--user', 'viewer:'])), /--user: .*empty password/);
    const users = join(dir, 'users');
    writeFileSync(users, 'viewer:\n');
    assert.match(String(parseProxyArgs(['rtsp://h/a', '--user-file', users])), /empty password/);
  });
});

test('dorsvr-proxy and dorsvr-publish: a --password-file whose first line is empty is refused, as an empty --password-env is', async () => {
  await withTempDir(async (dir) => {
    const pw = join(dir, 'pw');
    writeFileSync(pw, '\nsecond line\n');
    assert.match(String(parseProxyArgs(['rtsp://h/a', '--backend-user', 'cam', '--password-file', pw])), /--password-file: the first line of .* is empty/);
    assert.match(String(parsePublishArgs([fixture('test.264'), 'rtsp://h/a', '--user', 'cam', '--password-file', pw])), /--password-file: the first line of .* is empty/);
    writeFileSync(pw, '');
    assert.match(String(parsePublishArgs([fixture('test.264'), 'rtsp://h/a', '--user', 'cam', '--password-file', pw])), /first line of .* is empty/);
  });
});

test('dorsvr-client and dorsvr-publish take the user name for --password-env from the URL alike, and a malformed one is a bad argument, not a crash', () => {
  const env = { PW: 'secret' };
  const client = parseClientArgs(['rtsp://cam%20one@h/a', '--password-env', 'PW'], env) as ClientArgs;
  assert.deepEqual([client.username, client.password], ['cam one', 'secret']);
  const pub = parsePublishArgs([fixture('test.264'), 'rtsp://cam%20one@h/a', '--password-env', 'PW'], env) as PublishArgs;
  assert.deepEqual([pub.username, pub.password], ['cam one', 'secret']);
  assert.match(String(parseClientArgs(['rtsp://%zz@h/a', '--password-env', 'PW'], env)), /user name in the URL .* is not valid/);
  assert.match(String(parsePublishArgs([fixture('test.264'), 'rtsp://%zz@h/a', '--password-env', 'PW'], env)), /user name in the URL .* is not valid/);
});
