import { quoted } from '../model/display.js';
import type { Path } from './yaml-tree.js';

/** Whether a file is the main mailstate.yaml or one named by its `include:`. */
export type FileRole = 'main' | 'include';

const MAX_SHOWN = 60;

/**
 * A string as messages show it: JSON-quoted, with control, invisible and bidirectional characters
 * escaped (so a hostile name cannot move the cursor or reorder text in a terminal), shortened.
 */
export function quote(text: string): string {
  return quoted(text, MAX_SHOWN);
}

/** Any value as messages show it. Never used for passwords. */
export function show(value: unknown): string {
  if (value === null || value === undefined) return 'empty';
  if (typeof value === 'string') return quote(value);
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  return String(value);
}

/** The named object at `path` (`domain "x"`, `user "x"`, `alias "x"`), or undefined. */
export function entityAt(path: Path): string | undefined {
  if (path[0] === 'servers' && path.length === 2 && typeof path[1] === 'string') return `server ${quote(path[1])}`;
  if (path[0] !== 'domains' || typeof path[1] !== 'string') return undefined;
  if (path.length === 2) return `domain ${quote(path[1])}`;
  if (path.length === 4 && typeof path[3] === 'string') {
    if (path[2] === 'users') return `user ${quote(path[3])}`;
    if (path[2] === 'aliases') return `alias ${quote(path[3])}`;
  }
  return undefined;
}

/** Names a value in `label: problem` messages: the key it sits under, or the named object. */
export function valueLabel(path: Path): string {
  const last = path[path.length - 1];
  if (last === undefined) return 'the file';
  if (typeof last === 'number') return valueLabel(path.slice(0, -1));
  // Servers have few fields and many names: "weight of server "mx2"" says which.
  if (path[0] === 'servers' && path.length === 3) return `${last} of ${entityAt(path.slice(0, 2))}`;
  return entityAt(path) ?? last;
}

/** Names a map in `unknown key "x" in …` messages. */
export function containerName(path: Path, role: FileRole): string {
  if (path.length === 0) return role === 'main' ? 'the top level' : 'an included file';
  const entity = entityAt(path);
  if (entity) return entity;
  const last = path[path.length - 1];
  const parent = path.slice(0, -1);
  const owner = entityAt(parent);
  if (owner && typeof last === 'string') return `${last} of ${owner}`;
  if (last === 'defaults') return 'defaults';
  if (last === 'quota' && parent[parent.length - 1] === 'defaults') {
    const domain = entityAt(parent.slice(0, -1));
    return domain ? `quota in defaults of ${domain}` : 'quota in defaults';
  }
  return valueLabel(path);
}
