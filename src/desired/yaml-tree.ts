import type { Diagnostic } from '../model/diagnostic.js';

/** A path into the parsed data: map keys and list indexes, as in a JSON pointer. */
export type Path = ReadonlyArray<string | number>;

/**
 * Source offsets of one map: the map itself, and each key and value in the order the keys were
 * added (`offsets` holds key, value, key, value, …). The key index is built on the first lookup,
 * so parsing pays for two array pushes per pair and nothing more.
 */
export interface MapPositions {
  at: number;
  keys: string[];
  offsets: number[];
  index?: Map<string, number>;
}

/** Source offsets of one list and of each item. */
export interface SeqPositions {
  at: number;
  items: number[];
}

/**
 * Each parsed map and list carries its positions under this symbol. Symbol keys are invisible to
 * Object.keys, for-in, JSON and ajv, so validation sees plain data; a WeakMap or Map beside the
 * data costs several times more at 100,000 users (mostly in garbage collection).
 */
const POSITIONS = Symbol('yaml positions');

type Positioned = { [POSITIONS]?: MapPositions | SeqPositions };

export function positionsOf(node: object): MapPositions | SeqPositions | undefined {
  return (node as Positioned)[POSITIONS];
}

/** A key seen twice in one map; the first value is kept. */
export interface DuplicateKey {
  map: object;
  key: string;
  at: number;
  firstAt: number;
}

/** One YAML file turned into plain data plus positions. */
export interface ParsedYaml {
  file: string;
  text: string;
  /** Plain data: objects, arrays, strings, numbers, booleans, null. */
  data: unknown;
  rootAt: number;
  lineStarts: number[];
  /** YAML-level problems: syntax errors, duplicate keys, alias abuse. */
  diagnostics: Diagnostic[];
  /** The text is not valid YAML; `data` is not worth validating. */
  broken: boolean;
}

/** What a parser produces before positions are turned into diagnostics. */
export interface YamlTree {
  data: unknown;
  rootAt: number;
  duplicates: DuplicateKey[];
}

export function newMap(at: number): { map: Record<string, unknown>; pos: MapPositions } {
  const pos: MapPositions = { at, keys: [], offsets: [] };
  const map = { [POSITIONS]: pos } as Record<string, unknown>;
  return { map, pos };
}

export function newSeq(at: number): { seq: unknown[]; pos: SeqPositions } {
  const seq: unknown[] = [];
  const pos: SeqPositions = { at, items: [] };
  (seq as Positioned)[POSITIONS] = pos;
  return { seq, pos };
}

/**
 * Adds a pair to a map built by `newMap`. A repeated key keeps the first value (later checks then
 * look at one of them) and is recorded for a diagnostic. `__proto__` is stored as an own property.
 */
export function addPair(
  target: { map: Record<string, unknown>; pos: MapPositions },
  key: string,
  keyAt: number,
  value: unknown,
  valueAt: number,
  duplicates: DuplicateKey[],
): void {
  const { map, pos } = target;
  if (Object.hasOwn(map, key)) {
    duplicates.push({ map, key, at: keyAt, firstAt: keyOffset(pos, key) ?? keyAt });
    return;
  }
  if (key === '__proto__')
    Object.defineProperty(map, key, { value, enumerable: true, writable: true, configurable: true });
  else map[key] = value;
  pos.keys.push(key);
  pos.offsets.push(keyAt, valueAt);
}

function entryIndex(pos: MapPositions, key: string): number | undefined {
  if (!pos.index) {
    pos.index = new Map();
    for (const [i, name] of pos.keys.entries()) pos.index.set(name, i);
  }
  return pos.index.get(key);
}

function keyOffset(pos: MapPositions, key: string): number | undefined {
  const i = entryIndex(pos, key);
  return i === undefined ? undefined : pos.offsets[2 * i];
}

function valueOffset(pos: MapPositions, key: string): number | undefined {
  const i = entryIndex(pos, key);
  return i === undefined ? undefined : pos.offsets[2 * i + 1];
}

/** The source offset of `key` in a parsed map (its first occurrence), or undefined. */
export function keyOffsetIn(map: object, key: string): number | undefined {
  const pos = positionsOf(map);
  return pos && 'keys' in pos ? keyOffset(pos, key) : undefined;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An own property, never one inherited from Object.prototype (a user may be called `constructor`). */
export function own(record: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** The source offset of the node at `path`: of the key itself when `side` is `key`. */
export function offsetOf(parsed: ParsedYaml, path: Path, side: 'key' | 'value' = 'value'): number {
  let node: unknown = parsed.data;
  let at = parsed.rootAt;
  for (const [index, segment] of path.entries()) {
    if (typeof node !== 'object' || node === null) break;
    const pos = positionsOf(node);
    if (!pos) break;
    if ('keys' in pos) {
      const key = String(segment);
      if (index === path.length - 1 && side === 'key') return keyOffset(pos, key) ?? at;
      at = valueOffset(pos, key) ?? at;
      node = isRecord(node) ? own(node, key) : undefined;
    } else {
      const item = Number(segment);
      at = pos.items[item] ?? at;
      node = Array.isArray(node) ? node[item] : undefined;
    }
  }
  return at;
}

export function lineStartsOf(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/** 1-based line and column of a source offset. */
export function lineColOf(lineStarts: readonly number[], offset: number): { line: number; col: number } {
  let low = 0;
  let high = lineStarts.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (lineStarts[mid]! <= offset) low = mid;
    else high = mid - 1;
  }
  return { line: low + 1, col: offset - lineStarts[low]! + 1 };
}

/** The path of every map and list inside `root` (one walk; for error messages only). */
export function containerPaths(root: unknown): Map<object, Path> {
  const paths = new Map<object, Path>();
  const walk = (node: unknown, path: Path): void => {
    if (typeof node !== 'object' || node === null || paths.has(node)) return;
    paths.set(node, path);
    if (Array.isArray(node)) for (const [index, child] of node.entries()) walk(child, [...path, index]);
    else for (const [key, child] of Object.entries(node)) walk(child, [...path, key]);
  };
  walk(root, []);
  return paths;
}
