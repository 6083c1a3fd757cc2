import { fileURLToPath } from 'node:url';
import * as path from 'node:path';

/** The repository root, found from this compiled file's place (build/test/helpers/paths.js). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Absolute path of a committed fixture under test/fixtures. */
export function fixture(name: string): string {
  return path.join(repoRoot, 'test', 'fixtures', name);
}
