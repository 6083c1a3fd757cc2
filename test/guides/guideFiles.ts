// The guides the API site lists (issue #14), shared by guides.test.ts and typedoc.test.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../helpers/paths.js';

export const GUIDES_DIR = join(repoRoot, 'guides');
/** The guides issue #14 asks for, by file. */
export const GUIDES = [
  'live-source.md',
  'serving-files.md',
  'recording.md',
  'publishing-and-proxying.md',
  'auth-and-tls.md',
  'tuning.md',
  'coming-from-live555.md',
] as const;

export function guide(name: string): string {
  return readFileSync(join(GUIDES_DIR, name), 'utf8');
}
