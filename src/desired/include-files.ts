import { readdir, realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative } from 'node:path';
import type { Diagnostic } from '../model/diagnostic.js';
import type { IncludeInput } from './check-pool.js';
import { decodeYaml } from './decode-yaml.js';
import { quote } from './describe.js';
import { globMatcher, hasWildcard } from './glob.js';
import { selectIncludes } from './include.js';
import type { IncludePattern } from './include.js';
import { ioReason } from './io-reason.js';
import { diagnosticAt } from './parse.js';
import type { ParsedYaml } from './yaml-tree.js';

export interface DirEntry {
  name: string;
  kind: 'file' | 'directory' | 'other';
}

/** How the loader reaches the files the main file's `include:` selects. */
export interface IncludeSource {
  main: ParsedYaml;
  patterns: readonly IncludePattern[];
  /** The main file's directory, which the patterns are relative to. */
  base: string;
  read: (path: string) => Promise<string | Uint8Array>;
  list: (dir: string) => Promise<DirEntry[]>;
  display: (path: string) => string;
  /** Whether files come from disk, where a symbolic link can lead out of the repository. */
  onDisk: boolean;
}

/** The files the patterns select, with what selecting them reported. */
export async function selectIncludedFiles(
  source: IncludeSource,
  mainFile: string,
): Promise<{ files: string[]; diagnostics: Diagnostic[] }> {
  const candidates = new Map<IncludePattern, string[]>();
  for (const pattern of source.patterns)
    candidates.set(pattern, await listCandidates(source.base, pattern.segments, source.list));
  const mainRelative = relative(source.base, mainFile).split('\\').join('/');
  return selectIncludes(source.main, source.patterns, (pattern) => candidates.get(pattern) ?? [], mainRelative);
}

/** The selected files, read at once; problems are listed in file order. */
export async function readIncludes(
  source: IncludeSource,
  files: readonly string[],
): Promise<{ readable: IncludeInput[]; problems: Diagnostic[] }> {
  const outcomes = await Promise.all(files.map((path) => readInclude(source, path)));
  const readable: IncludeInput[] = [];
  const problems: Diagnostic[] = [];
  for (const outcome of outcomes) {
    if ('problem' in outcome) problems.push(outcome.problem);
    else readable.push(outcome.input);
  }
  return { readable, problems };
}

async function readInclude(
  source: IncludeSource,
  path: string,
): Promise<{ input: IncludeInput } | { problem: Diagnostic }> {
  const real = join(source.base, path);
  try {
    // On disk, a symbolic link matched by a pattern must not lead out of the repository: a pull
    // request could otherwise make the server read (and quote in messages) any file as YAML.
    if (source.onDisk && (await leavesDirectory(source.base, real))) {
      const message = `include: ${quote(source.display(real))} is a symbolic link to a file outside the directory of the main file`;
      return { problem: includeProblem(source, path, message) };
    }
    const decoded = decodeYaml(await source.read(real));
    if ('invalid' in decoded) return { problem: { ...decoded.invalid, file: source.display(real) } };
    return { input: { text: decoded.text, file: source.display(real), fileDir: dirname(real) } };
  } catch (error) {
    const message = `include: cannot read ${quote(source.display(real))}: ${ioReason(error)}`;
    return { problem: includeProblem(source, path, message) };
  }
}

/** A problem with an included file, reported at the pattern that selected it. */
function includeProblem(source: IncludeSource, path: string, message: string): Diagnostic {
  const pattern = source.patterns.find((p) => globMatcher(p.segments)(path));
  return diagnosticAt(source.main, ['include', pattern?.index ?? 0], 'value', 'unreadable', message);
}

/** Whether `path`, with every symbolic link resolved, is outside `dir` (also resolved). */
async function leavesDirectory(dir: string, path: string): Promise<boolean> {
  const [realDir, realPath] = await Promise.all([realpath(dir), realpath(path).catch(() => undefined)]);
  if (realPath === undefined) return false; // the read reports it
  const inside = relative(realDir, realPath);
  return inside === '..' || inside.startsWith('../') || isAbsolute(inside);
}

/**
 * The files under `base` a pattern could match, as "/"-separated relative paths. The walk starts at
 * the pattern's literal directory prefix and goes no deeper than the pattern unless it has `**`;
 * it does not enter directories whose names start with ".".
 */
export async function listCandidates(
  base: string,
  segments: readonly string[],
  list: (dir: string) => Promise<DirEntry[]>,
): Promise<string[]> {
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
      else if (entry.kind === 'directory' && !entry.name.startsWith('.') && (deep || depth + 1 < maxDepth))
        await walk(path, depth + 1);
    }
  };
  await walk(segments.slice(0, prefixLength).join('/'), 0);
  return found;
}

export async function nodeReadDir(dir: string): Promise<DirEntry[]> {
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
