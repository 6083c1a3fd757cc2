// Every `ERR_…` code the packages' sources use is a member of the exported DorsvrErrorCode union
// (so `switch (err.code)` completes on all of them), and the union names no code nobody throws.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DorsvrError, isDorsvrError, type DorsvrErrorCode } from '@dorsvr/scheduler';
import { repoRoot } from '../helpers/paths.js';

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

const UNION_FILE = join(repoRoot, 'packages', 'scheduler', 'src', 'DorsvrError.ts');

/** The string members of `export type DorsvrErrorCode = | '…' | …;` as written in the source. */
function unionMembers(): Set<string> {
  const text = readFileSync(UNION_FILE, 'utf8');
  const m = /export type DorsvrErrorCode =([^;]*);/.exec(text);
  assert.ok(m, 'DorsvrErrorCode is declared in DorsvrError.ts');
  return new Set([...m[1]!.matchAll(/'(ERR_[A-Z0-9_]+)'/g)].map((x) => x[1]!));
}

/** Every quoted ERR_ code in the packages' sources (outside the union itself), with where it is. */
function usedCodes(): Map<string, string> {
  const used = new Map<string, string>();
  const pkgs = join(repoRoot, 'packages');
  for (const pkg of readdirSync(pkgs)) {
    const src = join(pkgs, pkg, 'src');
    try {
      statSync(src);
    } catch {
      continue;
    }
    for (const file of sources(src)) {
      if (file === UNION_FILE) continue;
      for (const m of readFileSync(file, 'utf8').matchAll(/['"`](ERR_[A-Z0-9_]+)['"`]/g)) {
        if (!used.has(m[1]!)) used.set(m[1]!, file.slice(repoRoot.length + 1));
      }
    }
  }
  return used;
}

test('every ERR_ code used in packages/*/src is in the DorsvrErrorCode union', () => {
  const union = unionMembers();
  const used = usedCodes();
  assert.ok(used.size > 50, `found ${used.size} codes`);
  const missing = [...used].filter(([code]) => !union.has(code)).map(([code, file]) => `${code} (${file})`);
  assert.deepEqual(missing, [], 'add these to DorsvrErrorCode in packages/scheduler/src/DorsvrError.ts');
});

test('the DorsvrErrorCode union lists no code that no source uses', () => {
  const used = usedCodes();
  const stale = [...unionMembers()].filter((c) => !used.has(c));
  assert.deepEqual(stale, []);
});

test('a DorsvrError code narrows in a switch (typed as the union)', () => {
  const describe = (err: unknown): string => {
    if (!isDorsvrError(err)) return 'other';
    const code = err.code as DorsvrErrorCode;
    switch (code) {
      case 'ERR_RTSP_CONNECT':
        return 'connect';
      case 'ERR_RTSP_STATUS':
        return `status ${err.status}`;
      default:
        return code;
    }
  };
  assert.equal(describe(new DorsvrError('ERR_RTSP_STATUS', 'refused', { status: 404 })), 'status 404');
  assert.equal(describe(new DorsvrError('ERR_RTSP_CONNECT', 'no server')), 'connect');
  assert.equal(describe(new DorsvrError('ERR_SOURCE_BUSY', 'busy')), 'ERR_SOURCE_BUSY');
  assert.equal(describe(new Error('x')), 'other');
});
