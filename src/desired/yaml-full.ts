import { isAlias, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Document, Node as YamlNode, YAMLError } from 'yaml';
import { quoted } from '../model/display.js';
import { addPair, newMap, newSeq } from './yaml-tree.js';
import type { DuplicateKey, YamlTree } from './yaml-tree.js';

/** yaml's own limit: an alias expanding to more nodes than this is taken as an alias bomb. */
const MAX_ALIAS_COUNT = 100;
/** mailstate files nest seven levels at most; far deeper input is refused before it can overflow the stack. */
const MAX_DEPTH = 100;

const TOO_DEEP = { at: 0, message: 'YAML: the document is nested too deeply' };

/**
 * The tags of YAML 1.2's core schema. Others make values no mailstate key takes: `!!binary` a byte
 * array (which validation would walk as a map of its methods), `!!timestamp` a Date, `!!set`,
 * `!!omap` and `!!pairs` special collections, and an unknown `!tag` a string with a warning.
 */
const CORE_TAGS = new Set(
  ['map', 'seq', 'str', 'int', 'float', 'bool', 'null'].map((name) => `tag:yaml.org,2002:${name}`),
);

export interface FullParse {
  tree?: YamlTree;
  errors: Array<{ at: number; message: string }>;
  warnings: Array<{ at: number; message: string }>;
}

/**
 * Parses any YAML with the `yaml` package, then walks its AST once into plain data and positions.
 * Keys are always strings (`stringKeys`): a user called `0123` or `null` is that name, not a
 * number. Duplicate keys are collected by the walk, not by yaml's quadratic `uniqueKeys` check.
 */
export function parseYamlFull(text: string): FullParse {
  let doc: Document;
  try {
    doc = parseDocument(text, { stringKeys: true, uniqueKeys: false, prettyErrors: false, keepSourceTokens: false });
  } catch (error) {
    // A stack overflow on absurdly deep nesting: report it instead of crashing.
    if (error instanceof RangeError) return { errors: [TOO_DEEP], warnings: [] };
    throw error;
  }
  // yaml catches its own stack overflow and reports it at whatever depth it happened: report it once, at the start.
  if (doc.errors.some((e) => e.message.includes('call stack'))) return { errors: [TOO_DEEP], warnings: [] };
  const errors = doc.errors.map(located);
  // Unknown tags are refused below, as errors.
  const warnings = doc.warnings.filter((w) => w.code !== 'TAG_RESOLVE_FAILED').map(located);
  if (errors.length > 0) return { errors, warnings };
  const walker = new AstWalker(doc, text);
  const root = doc.contents ? walker.node(doc.contents, 0) : { value: null, at: 0 };
  // Only when every alias resolved: the walker has already reported one that does not, and toJS would again.
  if (walker.aliases.length > 0 && walker.errors.length === 0) {
    try {
      doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      errors.push({ at: walker.aliases[0]!, message: `YAML aliases: ${message}` });
    }
  }
  errors.push(...walker.errors);
  if (errors.length > 0) return { errors, warnings };
  return { tree: { data: root.value, rootAt: root.at, duplicates: walker.duplicates }, errors, warnings };
}

function located(error: YAMLError): { at: number; message: string } {
  const message =
    error.code === 'MULTIPLE_DOCS'
      ? 'the file holds more than one YAML document (---); mailstate reads one'
      : error.message;
  return { at: error.pos[0], message: `YAML: ${message}` };
}

class AstWalker {
  readonly duplicates: DuplicateKey[] = [];
  readonly errors: Array<{ at: number; message: string }> = [];
  /** Offsets of the alias nodes met, for the alias-bomb check. */
  readonly aliases: number[] = [];
  /** Anchored nodes already converted: an alias shares the anchor's data (and positions). */
  private readonly converted = new Map<YamlNode, unknown>();
  private readonly active = new Set<YamlNode>();
  private depth = 0;

  private readonly doc: Document;
  private readonly text: string;

  constructor(doc: Document, text: string) {
    this.doc = doc;
    this.text = text;
  }

  /** An empty list item is placed at its "-" (yaml puts it after the spaces). */
  private dashBefore(offset: number, fallback: number): number {
    let i = offset - 1;
    while (i >= 0 && this.text[i] === ' ') i--;
    return this.text[i] === '-' ? i : fallback;
  }

  node(node: YamlNode, fallbackAt: number): { value: unknown; at: number } {
    const at = node.range?.[0] ?? fallbackAt;
    if (isAlias(node)) {
      this.aliases.push(at);
      const target = node.resolve(this.doc);
      if (!target || this.active.has(target)) {
        this.errors.push({
          at,
          message: `YAML: alias *${node.source} does not refer to an earlier anchor outside itself`,
        });
        return { value: null, at };
      }
      return { value: this.converted.has(target) ? this.converted.get(target) : this.node(target, at).value, at };
    }
    if (node.tag !== undefined && !CORE_TAGS.has(node.tag)) {
      const tag = node.tag.replace(/^tag:yaml\.org,2002:/, '!!');
      this.errors.push({
        at,
        message: `YAML: the tag ${quoted(tag)} is not supported (mailstate reads strings, numbers, true/false, lists and maps)`,
      });
      return { value: null, at };
    }
    if (isScalar(node)) {
      const empty = node.value === null && node.range != null && node.range[0] === node.range[1];
      return { value: node.value, at: empty ? fallbackAt : at };
    }
    if (this.depth >= MAX_DEPTH) {
      if (this.errors.length === 0)
        this.errors.push({ at, message: `YAML: nested more than ${MAX_DEPTH} levels deep` });
      return { value: null, at };
    }
    this.depth++;
    this.active.add(node);
    let value: unknown;
    if (isMap(node)) {
      const target = newMap(at);
      for (const pair of node.items) {
        const key = pair.key as YamlNode | null;
        const keyAt = key?.range?.[0] ?? at;
        if (key !== null && (!isScalar(key) || typeof key.value !== 'string')) {
          this.errors.push({ at: keyAt, message: 'YAML: keys must be plain names, not lists, maps or aliases' });
          continue;
        }
        const item = pair.value ? this.node(pair.value as YamlNode, keyAt) : { value: null, at: keyAt };
        addPair(target, key === null ? '' : (key.value as string), keyAt, item.value, item.at, this.duplicates);
      }
      value = target.map;
    } else if (isSeq(node)) {
      const { seq, pos } = newSeq(at);
      for (const item of node.items) {
        const converted = item === null ? { value: null, at } : this.node(item as YamlNode, at);
        const empty = isScalar(item) && item.value === null && item.range != null && item.range[0] === item.range[1];
        seq.push(converted.value);
        pos.items.push(empty ? this.dashBefore(item.range![0], at) : converted.at);
      }
      value = seq;
    }
    this.active.delete(node);
    this.depth--;
    if (node.anchor) this.converted.set(node, value);
    return { value, at };
  }
}
