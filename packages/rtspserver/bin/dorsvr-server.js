#!/usr/bin/env node
// The dorsvr-server command: runs the compiled CLI in dist/. This file is committed (dist/ is built), so
// npm links the command when the package is installed, even before `npm run build` made dist/.
import { setFlagsFromString } from 'node:v8';

// Memory per viewer: V8 doubles its young generation (up to 2 × 16 MiB) whenever many objects outlive
// a scavenge, which a server sending tens of thousands of packets a second always makes happen, and
// never gives it back while it keeps sending. Kept at its initial size (1 MiB semi-spaces), RSS per
// additional on-demand session fell from ~140 to ~35 KiB in the server benchmark at no measurable CPU
// cost (more, cheaper scavenges; test/bench/server/NOTES.md). The growth factor is read each time V8
// would grow the space, so setting it here, before anything runs, takes effect. A young-generation size
// given to node (e.g. NODE_OPTIONS=--max-semi-space-size=16) is left alone.
const nodeFlags = `${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`;
if (!/--(max|min)-semi-space-size|--semi-space-growth-factor/.test(nodeFlags)) {
  setFlagsFromString('--semi-space-growth-factor=1');
}
// Then old space: V8 lets it grow to up to several times the live heap before a mark-compact, and the
// packets' short-lived objects that a small young generation promotes fill it. Limiting the growth to
// 10 % above the live heap took peak RSS at 200 on-demand sessions from ~100–130 to ~60–70 KiB per
// session in the server benchmark, with no CPU difference above that machine's noise (a mark-compact
// every few seconds, marked concurrently). A growth given to node (`node --heap-growing-percent=N`, which NODE_OPTIONS does not take) is left alone.
if (!/--heap-growing-percent/.test(nodeFlags)) {
  setFlagsFromString('--heap-growing-percent=10');
}

import('../dist/cli.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('cli.js')) {
    process.stderr.write('dorsvr-server: @dorsvr/rtspserver is not built yet: run `npm run build` first\n');
    process.exit(1);
  }
  throw err;
});
