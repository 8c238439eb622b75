import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import type { AnySchemaObject, ValidateFunction } from 'ajv';

const SCHEMA_FILE = join('schema', 'mailstate.schema.json');

/**
 * Where schema/mailstate.schema.json is: the nearest ancestor directory of this module that holds
 * it, so the same code works from src/ (tests), dist/ (any outDir layout) and an installed package.
 */
export function schemaPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, SCHEMA_FILE);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`mailstate: ${SCHEMA_FILE} not found above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

/** The schema document itself (the source of truth for the file format). */
export function readSchema(): AnySchemaObject {
  return JSON.parse(readFileSync(schemaPath(), 'utf8')) as AnySchemaObject;
}

/** An ajv instance as mailstate uses it: strict, every error, with the failing schema and data attached. */
export function createAjv(): Ajv {
  return new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, verbose: true });
}

/**
 * Definitions whose values the rules check themselves, with messages that say what is allowed
 * (quota grammar and ranges, password forms). The runtime schema accepts anything there, so ajv
 * adds no anyOf noise; editors still get the full definitions from the published schema.
 */
export const CHECKED_BY_RULES: readonly string[] = ['quota', 'size', 'password'];

/**
 * The schema as validation runs it: every `$ref` inlined (there is no recursion) and the
 * rule-checked definitions opened. ajv concatenates error arrays at each call into a separately
 * compiled `$ref`, which is quadratic in the number of errors: 20,000 bad users took seconds.
 */
export function runtimeSchema(schema: AnySchemaObject, start: AnySchemaObject = schema): AnySchemaObject {
  const defs = (schema.$defs ?? {}) as Record<string, AnySchemaObject>;
  const inline = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(inline);
    if (typeof node !== 'object' || node === null) return node;
    const { $ref, ...rest } = node as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    if (typeof $ref === 'string') {
      const name = $ref.replace('#/$defs/', '');
      Object.assign(out, CHECKED_BY_RULES.includes(name) ? {} : (inline(defs[name]) as object));
    }
    for (const [key, value] of Object.entries(rest)) {
      if (key === '$defs' || key === '$schema') continue;
      // enum and const hold data, not schemas.
      out[key] = key === 'enum' || key === 'const' ? value : inline(value);
    }
    return out;
  };
  return inline(start) as AnySchemaObject;
}

export interface SchemaValidators {
  schema: AnySchemaObject;
  main: ValidateFunction;
  include: ValidateFunction;
}

let compiled: SchemaValidators | undefined;

/** The compiled validators for the main file and for included files; compiled once per process. */
export function schemaValidators(): SchemaValidators {
  if (!compiled) {
    const schema = readSchema();
    const ajv = createAjv();
    compiled = {
      schema,
      main: ajv.compile(runtimeSchema(schema)),
      include: ajv.compile(runtimeSchema(schema, (schema.$defs as Record<string, AnySchemaObject>).includeFile)),
    };
  }
  return compiled;
}
