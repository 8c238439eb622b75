import { readFile as fsReadFile, readdir, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import type { Diagnostic, Result } from '../model/diagnostic.js';
import type { DesiredState } from '../model/state.js';
import { buildDesired, sharedContext } from './assemble.js';
import { checkIncludes } from './check-pool.js';
import type { IncludeInput } from './check-pool.js';
import { quote } from './describe.js';
import { globMatcher, hasWildcard } from './glob.js';
import { includePatterns, selectIncludes } from './include.js';
import type { IncludePattern } from './include.js';
import type { Overrides } from './normalize.js';
import { diagnosticAt, parseYaml } from './parse.js';
import type { ParsedYaml } from './yaml-tree.js';

export interface DirEntry {
  name: string;
  kind: 'file' | 'directory' | 'other';
}

export interface LoadOptions {
  readFile?: (path: string) => Promise<string>;
  /** Lists a directory for `include:` globs; symbolic links to files count as files. */
  readDir?: (dir: string) => Promise<DirEntry[]>;
  overrides?: Overrides;
  /** Show file names in diagnostics and sources relative to this directory (e.g. the cwd). */
  displayBase?: string;
}

/**
 * Reads mailstate.yaml and the files its `include:` selects, validates all of them and returns
 * every problem at once, or the normalised DesiredState.
 */
export async function loadDesired(file: string, options: LoadOptions = {}): Promise<Result<DesiredState>> {
  const read = options.readFile ?? ((path: string) => fsReadFile(path, 'utf8'));
  const list = options.readDir ?? nodeReadDir;
  const display = (path: string): string => (options.displayBase === undefined ? path : relative(options.displayBase, resolve(path)) || path);
  const mainName = display(file);
  let text: string;
  try {
    text = await read(file);
  } catch (error) {
    return { ok: false, diagnostics: [{ severity: 'error', code: 'unreadable', message: `cannot read the file: ${ioReason(error)}`, file: mainName }] };
  }
  const main = parseYaml(text, mainName, 'main');
  const base = dirname(file);
  const { patterns, diagnostics } = includePatterns(main);
  const candidates = new Map<IncludePattern, string[]>();
  for (const pattern of patterns) candidates.set(pattern, await listCandidates(base, pattern.segments, list));
  const mainRelative = relative(base, file).split('\\').join('/');
  const selected = selectIncludes(main, patterns, (pattern) => candidates.get(pattern) ?? [], mainRelative);
  diagnostics.push(...selected.diagnostics);
  // Read at once, reported in file order.
  const texts = await Promise.all(
    selected.files.map(async (path): Promise<{ real: string; text: string } | { real: string; problem: Diagnostic }> => {
      const real = join(base, path);
      try {
        return { real, text: await read(real) };
      } catch (error) {
        return { real, problem: unreadableInclude(main, patterns, path, display(real), error) };
      }
    }),
  );
  const readable: IncludeInput[] = [];
  for (const entry of texts) {
    if ('problem' in entry) diagnostics.push(entry.problem);
    else readable.push({ text: entry.text, file: display(entry.real), fileDir: dirname(entry.real) });
  }
  const includes = await checkIncludes(readable, sharedContext(main, base));
  return buildDesired({ main, mainDir: base, includes, diagnostics }, options.overrides);
}

function unreadableInclude(main: ParsedYaml, patterns: readonly IncludePattern[], path: string, name: string, error: unknown): Diagnostic {
  const pattern = patterns.find((p) => globMatcher(p.segments)(path));
  const message = `include: cannot read ${quote(name)}: ${ioReason(error)}`;
  return diagnosticAt(main, ['include', pattern?.index ?? 0], 'value', 'unreadable', message);
}

/**
 * The files under `base` a pattern could match, as "/"-separated relative paths. The walk starts at
 * the pattern's literal directory prefix and goes no deeper than the pattern unless it has `**`;
 * it does not enter directories whose names start with ".".
 */
export async function listCandidates(base: string, segments: readonly string[], list: (dir: string) => Promise<DirEntry[]>): Promise<string[]> {
  const firstWild = segments.findIndex(hasWildcard);
  const prefixLength = firstWild === -1 ? segments.length - 1 : firstWild;
  const deep = segments.includes('**');
  const maxDepth = segments.length - prefixLength;
  const found: string[] = [];
  const walk = async (dir: string, depth: number): Promise<void> => {
    let entries: DirEntry[];
    try {
      entries = await list(dir === '' ? base : join(base, dir));
    } catch {
      return;
    }
    for (const entry of entries) {
      const path = dir === '' ? entry.name : `${dir}/${entry.name}`;
      if (entry.kind === 'file') found.push(path);
      else if (entry.kind === 'directory' && !entry.name.startsWith('.') && (deep || depth + 1 < maxDepth)) await walk(path, depth + 1);
    }
  };
  await walk(segments.slice(0, prefixLength).join('/'), 0);
  return found;
}

async function nodeReadDir(dir: string): Promise<DirEntry[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return Promise.all(
    entries.map(async (entry): Promise<DirEntry> => {
      if (entry.isFile()) return { name: entry.name, kind: 'file' };
      if (entry.isDirectory()) return { name: entry.name, kind: 'directory' };
      // A symbolic link to a file is included; links to directories are not followed (no loops).
      if (entry.isSymbolicLink()) {
        const target = await stat(join(dir, entry.name)).catch(() => undefined);
        if (target?.isFile()) return { name: entry.name, kind: 'file' };
      }
      return { name: entry.name, kind: 'other' };
    }),
  );
}

const IO_REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a parent is not a directory',
};

export function ioReason(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return IO_REASONS[code] ?? code;
  return error instanceof Error ? error.message : String(error);
}
