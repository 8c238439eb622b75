import type { Diagnostic, DiagnosticCode } from '../model/diagnostic.js';
import { containerName, entityAt, quote } from './describe.js';
import type { FileRole } from './describe.js';
import type { Problem } from './value-specs.js';
import { parseYamlFull } from './yaml-full.js';
import { containerPaths, lineColOf, lineStartsOf, offsetOf } from './yaml-tree.js';
import type { ParsedYaml, Path } from './yaml-tree.js';

/**
 * A UTF-8 byte order mark is accepted and dropped, wherever the text came from, so that columns on
 * the first line count what an editor shows.
 */
export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Parses one YAML file into plain data with positions; YAML problems become diagnostics. */
export function parseYaml(raw: string, file: string, role: FileRole): ParsedYaml {
  const text = stripBom(raw);
  const lineStarts = lineStartsOf(text);
  const parsed: ParsedYaml = {
    file,
    text,
    data: null,
    rootAt: 0,
    lineStarts,
    diagnostics: [],
    broken: false,
  };
  const at = (offset: number, severity: Diagnostic['severity'], code: DiagnosticCode, message: string): Diagnostic => ({
    severity,
    code,
    message,
    file,
    ...lineColOf(lineStarts, offset),
  });

  const full = parseYamlFull(text);
  parsed.diagnostics.push(...full.errors.map((e) => at(e.at, 'error', 'yaml', e.message)));
  parsed.diagnostics.push(...full.warnings.map((w) => at(w.at, 'warning', 'yaml', w.message)));
  const tree = full.tree;
  if (!tree) {
    parsed.broken = true;
    return parsed;
  }
  parsed.data = tree.data;
  parsed.rootAt = tree.rootAt;
  const paths = tree.duplicates.length > 0 ? containerPaths(tree.data) : new Map<object, Path>();
  for (const duplicate of tree.duplicates) {
    // A map that is itself the discarded value of a duplicate key has no path.
    const mapPath = paths.get(duplicate.map);
    const first = lineColOf(lineStarts, duplicate.firstAt).line;
    const entity = mapPath && entityAt([...mapPath, duplicate.key]);
    const where = mapPath ? ` in ${containerName(mapPath, role)}` : '';
    const message = entity
      ? `${entity} is declared twice (first at line ${first})`
      : `duplicate key ${quote(duplicate.key)}${where} (first at line ${first})`;
    parsed.diagnostics.push(at(duplicate.at, 'error', 'duplicate-key', message));
  }
  return parsed;
}

/** A diagnostic at the node `path` points to (its key when `side` is `key`). */
export function diagnosticAt(
  parsed: ParsedYaml,
  path: Path,
  side: 'key' | 'value',
  code: DiagnosticCode,
  message: string,
  severity: Diagnostic['severity'] = 'error',
): Diagnostic {
  return { severity, code, message, file: parsed.file, ...lineColOf(parsed.lineStarts, offsetOf(parsed, path, side)) };
}

/** Problems found inside the value at `base`, as diagnostics at their own places. */
export function problemsAt(parsed: ParsedYaml, base: Path, problems: readonly Problem[]): Diagnostic[] {
  return problems.map((p) => diagnosticAt(parsed, [...base, ...p.path], p.side, 'invalid-value', p.message));
}

/** The 1-based line of the node at `path`, for "first at line N" messages. */
export function lineAt(parsed: ParsedYaml, path: Path, side: 'key' | 'value' = 'value'): number {
  return lineColOf(parsed.lineStarts, offsetOf(parsed, path, side)).line;
}
