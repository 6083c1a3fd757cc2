// examples/proxyServer.ts runs with one command: with no URL it proxies our own media server's
// test.264, and ffprobe plays the URL it prints; SIGINT prints its stats and it exits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../helpers/paths.js';
import { findPeer } from '../helpers/peers.js';
import { runPeer } from '../rtspserver/helpers/ffmpeg.js';
import { freePort, waitFor } from './proxyHelpers.js';

test('examples/proxyServer: one command, a playable proxied URL, back-end states printed, stats on SIGINT', async () => {
  const port = await freePort();
  const child = spawn(process.execPath, [join(repoRoot, 'build/examples/proxyServer.js'), '-', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    await waitFor(() => /play rtsp:\/\/\S+/.test(out), 30_000, `the URL (stdout: ${out} stderr: ${err})`);
    const url = /play (rtsp:\/\/\S+)/.exec(out)![1]!.replace(/\/\/[^:/]+:/, '//127.0.0.1:');
    assert.match(url, new RegExp(`:${port}/proxyStream$`));
    const r = await runPeer(findPeer('ffprobe'), ['-v', 'error', '-show_entries', 'stream=codec_name,width,height', '-of', 'csv=p=0', url], 20_000);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'h264,320,240');
    assert.match(out, /^back-end live$/m);
    child.kill('SIGINT');
    assert.equal(await exited, 0);
    assert.match(out, /^readers \d+, reconnects \d+, \d+ packets from the back-end, 0 lost$/m);
  } finally {
    child.kill('SIGKILL');
  }
});
