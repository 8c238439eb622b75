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

/** Targets of a forward or alias: each a plain address, none twice (domains compare lowercased). */
export function addressList(parsed: ParsedYaml, path: Path, label: string, list: readonly unknown[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  const valid: Array<ListItem | undefined> = [];
  for (const [index, target] of list.entries()) {
    if (typeof target !== 'string') {
      valid.push(undefined);
      continue;
    }
    const problem = targetProblem(target);
    if (problem)
      out.push(
        diagnosticAt(
          parsed,
          [...path, index],
          'value',
          'invalid-target',
          `${label}: ${quote(target)} is refused: ${problem}`,
        ),
      );
    valid.push(problem ? undefined : { key: normaliseTarget(target), shown: target });
  }
  return [...out, ...duplicates(parsed, path, label, valid)];
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
