// The dorsvr-server command as npm links it (packages/rtspserver/bin/dorsvr-server.js): it keeps
// V8's young generation at its initial size and old space's growth at 10 % over the live heap
// (memory per viewer), unless node was given a size or a growth.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixture, repoRoot } from '../helpers/paths.js';
import { withTempDir } from '../helpers/tempDir.js';
import { runPeer } from './helpers/ffmpeg.js';

const SHIM = join(repoRoot, 'packages/rtspserver/bin/dorsvr-server.js');

// Loaded before the shim: once the server is up, churns through objects that outlive a scavenge or
// two (what a busy server does), then prints the new space's size and ends the process.
const PROBE = `
import v8 from 'node:v8';
setTimeout(async () => {
  const live = [];
  for (let r = 0; r < 150; r++) {
    const batch = [];
    for (let i = 0; i < 20000; i++) batch.push({ i, pair: [i, r] });
    live.push(batch);
    if (live.length > 4) live.shift();
    await new Promise((resolve) => setImmediate(resolve));
  }
  const ns = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
  process.stderr.write('NEW_SPACE ' + ns.space_size + '\\n');
  process.exit(0);
}, 300);
`;

/** Runs the shim with a probe loaded first (node `nodeArgs`, `env` entries) and returns the number the probe prints after `label`. */
async function probeShim(source: string, label: string, nodeArgs: string[] = [], env: string[] = []): Promise<number> {
  return withTempDir(async (dir) => {
    const probe = join(dir, 'probe.mjs');
    writeFileSync(probe, source);
    const r = await runPeer('/usr/bin/env', [...env, process.execPath, ...nodeArgs, '--import', probe, SHIM, fixture(''), '--port', '0', '--host', '127.0.0.1', '--quiet'], 60_000);
    const m = new RegExp(`${label} (\\d+)`).exec(r.stderr);
    assert.ok(m, `no probe output (exit ${r.code}): ${r.stderr.slice(-2000)}`);
    return Number(m[1]);
  });
}

const newSpaceBytes = (env: string[]): Promise<number> => probeShim(PROBE, 'NEW_SPACE', [], env);

test('dorsvr-server (the bin shim) keeps the young generation at its initial size; a size given in NODE_OPTIONS wins', async () => {
  const mine = await newSpaceBytes([]);
  assert.ok(mine <= 4 * 2 ** 20, `new space grew to ${mine} bytes`);
  const given = await newSpaceBytes(['NODE_OPTIONS=--max-semi-space-size=16']);
  assert.ok(given > 4 * 2 ** 20, `with --max-semi-space-size=16 the new space stayed at ${given} bytes: the user's flag was overridden`);
});

// Loaded before the shim: keeps a live set, churns through objects that are promoted and then die
// (what a busy server's old space sees), and prints how many mark-compacts ran.
const OLD_SPACE_PROBE = `
import { PerformanceObserver, constants } from 'node:perf_hooks';
let major = 0;
new PerformanceObserver((l) => { for (const e of l.getEntries()) if (e.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) major++; }).observe({ entryTypes: ['gc'] });
setTimeout(async () => {
  const keep = [];
  for (let i = 0; i < 200000; i++) keep.push({ i, a: [i, i] });
  let hold = [];
  for (let r = 0; r < 400; r++) {
    const batch = [];
    for (let i = 0; i < 5000; i++) batch.push({ r, i, a: [i] });
    hold = hold.concat([batch]).slice(-20);
    await new Promise((resolve) => setImmediate(resolve));
  }
  process.stderr.write('MAJOR_GCS ' + major + ' ' + keep.length + hold.length + '\\n');
  process.exit(0);
}, 300);
`;

const majorGCs = (nodeArgs: string[]): Promise<number> => probeShim(OLD_SPACE_PROBE, 'MAJOR_GCS', nodeArgs);

test('dorsvr-server (the bin shim) keeps old space near the live heap (mark-compacts instead of growth); a growth given to node wins', async () => {
  const mine = await majorGCs([]);
  const given = await majorGCs(['--heap-growing-percent=300']);
  // The same churn: with old space allowed 300 % growth V8 compacts a few times; held to 10 %, far more often.
  assert.ok(mine >= 2 * given && mine >= 6, `mark-compacts: ${mine} from the shim, ${given} with --heap-growing-percent=300`);
});
