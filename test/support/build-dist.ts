import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * vitest globalSetup: many tests run the built CLI (dist/), so a bare `npx vitest run` after an
 * edit would test stale code. When any source file is newer than the last build, build first.
 */
const REPO = join(import.meta.dirname, '../..');

function newestBelow(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestBelow(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function builtAt(): number {
  try {
    return statSync(join(REPO, 'dist/cli/bin.js')).mtimeMs;
  } catch {
    return 0;
  }
}

export default function setup(): void {
  const sources = Math.max(newestBelow(join(REPO, 'src')), statSync(join(REPO, 'tsconfig.json')).mtimeMs);
  if (sources <= builtAt()) return;
  process.stderr.write('dist/ is older than src/: building it (tsc -p tsconfig.json) before the tests\n');
  execFileSync(process.execPath, [join(REPO, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], {
    cwd: REPO,
    stdio: 'inherit',
  });
}
