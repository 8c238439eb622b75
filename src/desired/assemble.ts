import { dirname, posix } from 'node:path';
import { hasErrors } from '../model/diagnostic.js';
import type { Diagnostic, Result } from '../model/diagnostic.js';
import type { DesiredState } from '../model/state.js';
import { domainEntries } from './domains.js';
import { includePatterns, selectIncludes } from './include.js';
import { normalizeDesired } from './normalize.js';
import type { Overrides, SecretBase } from './normalize.js';
import { parseYaml } from './parse.js';
import { runRules } from './rules.js';
import { validateAgainstSchema } from './validate.js';
import type { ParsedYaml } from './yaml-tree.js';

/** The parsed main file and included files, plus what reading them reported. */
export interface DesiredFiles {
  main: ParsedYaml;
  includes: ParsedYaml[];
  /** Problems found while resolving `include:` (no match, unreadable file, …). */
  diagnostics: Diagnostic[];
  secretBase: SecretBase;
}

/**
 * The pure core: validate every file (schema and rules), report every problem at once sorted by
 * file and position, and normalise into a DesiredState when there is no error.
 */
export function buildDesired(files: DesiredFiles, overrides: Overrides = {}): Result<DesiredState> {
  const all = [files.main, ...files.includes];
  const diagnostics = [...files.diagnostics, ...all.flatMap((parsed) => parsed.diagnostics)];
  for (const parsed of all) {
    if (!parsed.broken) diagnostics.push(...validateAgainstSchema(parsed, parsed === files.main ? 'main' : 'include'));
  }
  const domains = domainEntries(all);
  diagnostics.push(...runRules({ main: files.main, domains, baseDir: files.secretBase }));
  const sorted = sortDiagnostics(diagnostics, all.map((parsed) => parsed.file));
  if (hasErrors(sorted)) return { ok: false, diagnostics: sorted };
  const state = normalizeDesired(files.main, domains, all.map((parsed) => parsed.file), files.secretBase, overrides);
  return { ok: true, value: state, diagnostics: sorted };
}

export interface ParseTextOptions {
  /** Other files by path relative to the main file's directory, for `include:` (nothing is read from disk). */
  includes?: Record<string, string>;
  overrides?: Overrides;
}

/**
 * Validates and normalises a mailstate file given as text, without touching the file system;
 * `options.includes` stands in for the directory the include patterns are matched against.
 */
export function parseDesiredText(text: string, fileName: string, options: ParseTextOptions = {}): Result<DesiredState> {
  const main = parseYaml(text, fileName, 'main');
  const virtual = new Map(Object.entries(options.includes ?? {}).map(([path, content]) => [posix.normalize(path), content]));
  const { patterns, diagnostics } = includePatterns(main);
  const selected = selectIncludes(main, patterns, () => [...virtual.keys()], posix.basename(fileName));
  const base = posix.dirname(fileName);
  const includes = selected.files.map((path) => parseYaml(virtual.get(path)!, posix.join(base, path), 'include'));
  return buildDesired(
    { main, includes, diagnostics: [...diagnostics, ...selected.diagnostics], secretBase: (parsed) => dirname(parsed.file) },
    options.overrides,
  );
}

/** Main file first, then by line and column; problems without a position come first in their file. */
export function sortDiagnostics(diagnostics: readonly Diagnostic[], files: readonly string[]): Diagnostic[] {
  const order = new Map(files.map((file, index) => [file, index]));
  const rank = (d: Diagnostic): number => (d.file === undefined ? -1 : (order.get(d.file) ?? files.length));
  return [...diagnostics].sort((a, b) => rank(a) - rank(b) || (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0));
}
