import type { Diagnostic } from '../model/diagnostic.js';
import { INVISIBLE } from '../model/display.js';
import { quote } from './describe.js';
import { globMatcher, globSegments } from './glob.js';
import { diagnosticAt } from './parse.js';
import { field } from './domains.js';
import type { ParsedYaml } from './yaml-tree.js';

/** One usable `include:` pattern of the main file. */
export interface IncludePattern {
  pattern: string;
  index: number;
  segments: string[];
}

/** The main file's include patterns; refused patterns become diagnostics at the pattern. */
export function includePatterns(main: ParsedYaml): { patterns: IncludePattern[]; diagnostics: Diagnostic[] } {
  const list = field(main.data, 'include');
  const patterns: IncludePattern[] = [];
  const diagnostics: Diagnostic[] = [];
  if (!Array.isArray(list)) return { patterns, diagnostics };
  for (const [index, pattern] of list.entries()) {
    if (typeof pattern !== 'string' || pattern === '') continue;
    const parsed = globSegments(pattern);
    if ('problem' in parsed) {
      diagnostics.push(
        diagnosticAt(
          main,
          ['include', index],
          'value',
          'invalid-include',
          `include: ${quote(pattern)} ${parsed.problem}`,
        ),
      );
    } else patterns.push({ pattern, index, segments: parsed.segments });
  }
  return { patterns, diagnostics };
}

/**
 * The files the patterns select, given candidate paths (relative to the main file's directory,
 * "/"-separated) for each pattern: each pattern's matches sorted, in pattern order, each file once,
 * never the main file itself. A pattern matching nothing is an error.
 */
export function selectIncludes(
  main: ParsedYaml,
  patterns: readonly IncludePattern[],
  candidates: (pattern: IncludePattern) => readonly string[],
  mainPath: string,
): { files: string[]; diagnostics: Diagnostic[] } {
  const files: string[] = [];
  const chosen = new Set<string>([mainPath]);
  const diagnostics: Diagnostic[] = [];
  for (const pattern of patterns) {
    const matches = globMatcher(pattern.segments);
    const found = candidates(pattern).filter((path) => matches(path) && path !== mainPath);
    if (found.length === 0) {
      diagnostics.push(
        diagnosticAt(
          main,
          ['include', pattern.index],
          'value',
          'include-no-match',
          `include: ${quote(pattern.pattern)} matches no file`,
        ),
      );
    }
    for (const path of [...found].sort()) {
      if (chosen.has(path)) continue;
      chosen.add(path);
      // Every message names its file: a newline or escape sequence in a file name would forge output.
      // eslint-disable-next-line no-control-regex
      if (/[\u0000-\u001f]/.test(path) || INVISIBLE.test(path)) {
        const message = `include: ${quote(pattern.pattern)} matches ${quote(path)}, whose name has a control or invisible character: rename it`;
        diagnostics.push(diagnosticAt(main, ['include', pattern.index], 'value', 'invalid-include', message));
        continue;
      }
      files.push(path);
    }
  }
  return { files, diagnostics };
}
