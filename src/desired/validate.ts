import type { ErrorObject } from 'ajv';
import type { Diagnostic } from '../model/diagnostic.js';
import { containerName, quote, show, valueLabel } from './describe.js';
import type { FileRole } from './describe.js';
import { diagnosticAt } from './parse.js';
import { schemaValidators } from './schema.js';
import { offsetOf } from './yaml-tree.js';
import type { ParsedYaml, Path } from './yaml-tree.js';

/** Validates one parsed file against the schema (`$defs/includeFile` for included files). */
export function validateAgainstSchema(parsed: ParsedYaml, role: FileRole): Diagnostic[] {
  const validators = schemaValidators();
  const validate = role === 'main' ? validators.main : validators.include;
  if (validate(parsed.data)) return [];
  const seen = new Set<string>();
  const diagnostics: Diagnostic[] = [];
  for (const error of validate.errors ?? []) {
    // Duplicates are left to the rules: ajv's uniqueItems reports only the first pair.
    if (error.keyword === 'uniqueItems') continue;
    const diagnostic = schemaDiagnostic(parsed, role, error);
    const key = `${diagnostic.line}:${diagnostic.col}:${diagnostic.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    diagnostics.push(diagnostic);
  }
  return diagnostics;
}

/** An instancePath as a Path, with list indexes as numbers. */
export function decodePointer(data: unknown, pointer: string): Path {
  if (pointer === '') return [];
  const path: Array<string | number> = [];
  let node = data;
  for (const raw of pointer.slice(1).split('/')) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) {
      path.push(Number(segment));
      node = node[Number(segment)];
    } else {
      path.push(segment);
      node =
        typeof node === 'object' && node !== null && Object.hasOwn(node, segment)
          ? (node as Record<string, unknown>)[segment]
          : undefined;
    }
  }
  return path;
}

const TYPE_WORDS: Record<string, string> = {
  object: 'a map',
  array: 'a list',
  string: 'a string',
  integer: 'a whole number',
  number: 'a number',
  boolean: 'true or false',
  null: 'empty',
};

function schemaDiagnostic(parsed: ParsedYaml, role: FileRole, error: ErrorObject): Diagnostic {
  const path = decodePointer(parsed.data, error.instancePath);
  const label = valueLabel(path);
  const data = error.data;
  const params = error.params as Record<string, unknown>;
  const parent = error.parentSchema ?? {};
  const at = (message: string, side: 'key' | 'value' = 'value', where: Path = path): Diagnostic =>
    diagnosticAt(parsed, where, side, 'schema', message);

  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const allowed = Object.keys((parent.properties as object | undefined) ?? {}).join(', ');
      if (role === 'include' && path.length === 0) {
        return at(
          key === 'include'
            ? 'an included file cannot include other files (includes are one level only)'
            : `unknown key ${quote(key)} in an included file (included files hold domains only; allowed: ${allowed})`,
          'key',
          [key],
        );
      }
      return at(`unknown key ${quote(key)} in ${containerName(path, role)} (allowed: ${allowed})`, 'key', [
        ...path,
        key,
      ]);
    }
    case 'required': {
      const key = String(params.missingProperty);
      if (path.length === 0) {
        return at(
          role === 'main' && key === 'version'
            ? 'missing required key "version" (write version: 1 at the top of the file)'
            : `missing required key ${quote(key)} (an included file holds domains: and nothing else)`,
        );
      }
      return at(`${containerName(path, role)} is missing required key ${quote(key)}`);
    }
    case 'type': {
      const expected = String(params.type).split(',');
      const words = expected.map((type) => TYPE_WORDS[type] ?? type).join(' or ');
      if (path.length === 0) {
        if (data === null)
          return at(
            role === 'main' ? 'the file is empty (write at least version: 1)' : 'the file is empty (write domains: …)',
          );
        return at(
          `the file must be a map of settings (${role === 'main' ? 'version: 1, ' : ''}domains: …), not ${show(data)}`,
        );
      }
      if (path.length === 1 && path[0] === 'relay' && data === null) {
        return at(
          'relay: must be a list, not empty (write relay: [] to manage tcp.smtp with no relays, or leave the key out to leave tcp.smtp alone)',
        );
      }
      return at(`${label}: must be ${words}, not ${show(data)}${quoteHint(parsed, path, expected, data)}`);
    }
    case 'const':
      return at(`${label}: must be ${JSON.stringify(params.allowedValue)}, not ${show(data)}`);
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map(String).join(', ');
      if (label === 'flags') return at(`flags: ${show(data)} is not a vpopmail flag (allowed: ${allowed})`);
      return at(`${label}: ${show(data)} is not allowed (allowed: ${allowed})`);
    }
    case 'minimum':
    case 'maximum': {
      const { minimum, maximum } = parent as { minimum?: number; maximum?: number };
      if (minimum !== undefined && maximum !== undefined)
        return at(`${label}: must be from ${minimum} to ${maximum}, not ${show(data)}`);
      return at(
        `${label}: must be ${error.keyword === 'minimum' ? 'at least' : 'at most'} ${String(params.limit)}, not ${show(data)}`,
      );
    }
    case 'exclusiveMinimum':
      return at(`${label}: must be more than ${String(params.limit)}, not ${show(data)}`);
    case 'minItems':
      return at(
        params.limit === 1
          ? `${label}: must not be empty`
          : `${label}: must list at least ${String(params.limit)} entries`,
      );
    case 'maxItems':
      return at(
        `${label}: lists ${Array.isArray(data) ? data.length : '?'} entries; at most ${String(params.limit)} are allowed`,
      );
    case 'minLength':
      return at(`${label}: must not be empty`);
    case 'pattern':
      if (params.pattern === '^/')
        return at(`${label}: must be an absolute path (starting with "/"), not ${show(data)}`);
      return at(`${label}: ${show(data)} does not match ${String(params.pattern)}`);
    default:
      return at(`${label}: ${error.message ?? 'is not valid'}`);
  }
}

/** `relay: [127.]` reads as the number 127: suggest the quoted spelling the author meant. */
function quoteHint(parsed: ParsedYaml, path: Path, expected: string[], data: unknown): string {
  if (!expected.includes('string') || (typeof data !== 'number' && typeof data !== 'boolean' && data !== null))
    return '';
  const offset = offsetOf(parsed, path);
  const line = parsed.text.slice(
    offset,
    parsed.text.indexOf('\n', offset) === -1 ? undefined : parsed.text.indexOf('\n', offset),
  );
  const source = line.split(/[,\]}]| #/)[0]!.trim();
  if (source === '' || (data === null && !/^(~|null|Null|NULL)$/.test(source))) return '';
  return ` (write it in quotes: ${JSON.stringify(source)})`;
}
