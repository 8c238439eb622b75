import type { Diagnostic } from '../model/diagnostic.js';
import { normaliseTarget, targetProblem } from '../model/names.js';
import { quote } from './describe.js';
import { diagnosticAt, lineAt } from './parse.js';
import type { ParsedYaml, Path } from './yaml-tree.js';

/** A list item compared by `key` (e.g. the normalised address) and shown as written. */
export interface ListItem {
  key: string;
  shown: string;
}

/** What one string item of a list is: its comparison key (none when refused), and what to say of it. */
export interface ItemCheck {
  key?: string;
  diagnostics: Diagnostic[];
}

/**
 * A list of strings checked item by item, then for items listed twice (by key). Items that are
 * not strings are the schema's to report.
 */
export function checkedStringList(
  parsed: ParsedYaml,
  path: Path,
  label: string,
  list: readonly unknown[],
  check: (item: string, at: Path) => ItemCheck,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const valid: Array<ListItem | undefined> = [];
  for (const [index, item] of list.entries()) {
    if (typeof item !== 'string') {
      valid.push(undefined);
      continue;
    }
    const { key, diagnostics } = check(item, [...path, index]);
    out.push(...diagnostics);
    valid.push(key === undefined ? undefined : { key, shown: item });
  }
  return [...out, ...duplicates(parsed, path, label, valid)];
}

/** Targets of a forward or alias: each a plain address, none twice (domains compare lowercased). */
export function addressList(parsed: ParsedYaml, path: Path, label: string, list: readonly unknown[]): Diagnostic[] {
  return checkedStringList(parsed, path, label, list, (target, at) => {
    const problem = targetProblem(target);
    if (!problem) return { key: normaliseTarget(target), diagnostics: [] };
    const message = `${label}: ${quote(target)} is refused: ${problem}`;
    return { diagnostics: [diagnosticAt(parsed, at, 'value', 'invalid-target', message)] };
  });
}

/** Items listed twice; `items` keeps list indexes, with undefined for items reported otherwise. */
export function duplicates(
  parsed: ParsedYaml,
  path: Path,
  label: string,
  items: ReadonlyArray<ListItem | undefined>,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const first = new Map<string, number>();
  for (const [index, item] of items.entries()) {
    if (item === undefined) continue;
    const earlier = first.get(item.key);
    if (earlier === undefined) {
      first.set(item.key, index);
      continue;
    }
    const line = lineAt(parsed, [...path, earlier]);
    out.push(
      diagnosticAt(
        parsed,
        [...path, index],
        'value',
        'duplicate-item',
        `${label}: ${quote(item.shown)} is listed twice (first at line ${line})`,
      ),
    );
  }
  return out;
}
