// Runs every compiled test file under build/test with node's own test runner, so its summary
// (tests, pass, fail) closes the output. Node 20 takes no globs, so we list the files ourselves.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('../build/test', import.meta.url).pathname;
const filter = process.argv.slice(2);
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.js') && (filter.length === 0 || filter.some((f) => p.includes(f)))) files.push(p);
  }
})(root);
if (files.length === 0) {
  console.error('no test files found under build/test');
  process.exit(1);
}
// --test-timeout bounds each test and each file (node runs a file as one test): 10 min, room for a
// 2-core machine loaded well beyond the suite itself (the guides' file took 5 min at load 20).
const r = spawnSync(
  process.execPath,
  ['--test', '--test-reporter=spec', '--test-concurrency=2', '--test-timeout=600000', ...files],
  { stdio: 'inherit' },
);
process.exit(r.status ?? 1);
