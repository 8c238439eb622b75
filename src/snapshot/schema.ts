import { Ajv } from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { DIAGNOSTIC_CODES } from '../model/diagnostic.js';

const str = { type: 'string' } as const;
const int = { type: 'integer' } as const;
const bool = { type: 'boolean' } as const;
const strings = { type: 'array', items: str } as const;

function object(properties: Record<string, object>, optional: readonly string[] = []): object {
  return {
    type: 'object',
    properties,
    required: Object.keys(properties).filter((key) => !optional.includes(key)),
    additionalProperties: false,
  };
}

const unmanaged = object({ domain: str, kind: str, name: str, file: str, reason: str, deliversInto: strings }, [
  'domain',
  'deliversInto',
]);
const forward = object({ to: strings, keepCopy: bool, style: { enum: ['domain', 'user'] }, file: str });
const cdb = {
  type: 'object',
  properties: { state: { enum: ['fresh', 'stale', 'missing', 'corrupt'] }, detail: str },
  required: ['state'],
  additionalProperties: false,
};
const user = object(
  {
    name: str,
    hashDigest: { type: 'string', pattern: '^[0-9a-f]{64}$' },
    apop: str,
    flags: int,
    comment: str,
    quota: str,
    quotaRaw: str,
    dir: str,
    line: int,
    forward,
  },
  ['forward'],
);
const domain = object(
  {
    name: str,
    dir: str,
    uid: int,
    gid: int,
    users: { type: 'array', items: user },
    aliases: { type: 'array', items: object({ name: str, to: strings, file: str }) },
    aliasDomains: strings,
    clearPasswords: bool,
    vpasswdExists: bool,
    malformedVpasswdLines: { type: 'array', items: object({ name: str, line: int }) },
    unsafeUsers: { type: 'array', items: object({ name: str, line: int, reason: str }) },
    cdb,
    unmanaged: { type: 'array', items: unmanaged },
  },
  ['malformedVpasswdLines', 'unsafeUsers'],
);
const relayLine = {
  type: 'object',
  properties: { kind: { enum: ['relay', 'other'] }, address: str, line: int, text: str },
  required: ['kind', 'line', 'text'],
  additionalProperties: false,
};
const diagnostic = object(
  {
    severity: { enum: ['error', 'warning'] },
    code: { enum: [...DIAGNOSTIC_CODES] },
    message: str,
    file: str,
    line: int,
    col: int,
  },
  ['file', 'line', 'col'],
);

/** The shape of a version-1 snapshot: what parseSnapshot relies on before it builds Maps from it. */
export const SNAPSHOT_SCHEMA = object(
  {
    snapshotVersion: { const: 1 },
    createdAt: str,
    host: str,
    passwords: object({ digest: { const: 'HMAC-SHA256' }, keyId: str }),
    vpopmailHome: str,
    qmailHome: str,
    assignDomains: { type: 'array', items: object({ domain: str, realDomain: str }) },
    domains: { type: 'array', items: domain },
    relay: object({ file: str, exists: bool, lines: { type: 'array', items: relayLine }, cdbStale: bool }),
    unmanaged: { type: 'array', items: unmanaged },
    usersCdbOutOfDate: strings,
    diagnostics: { type: 'array', items: diagnostic },
  },
  ['usersCdbOutOfDate'],
);

let compiled: ValidateFunction | undefined;

function describe(error: ErrorObject): string {
  return `${error.instancePath || '/'} ${error.message ?? 'is invalid'}`;
}

/** Every way `data` departs from the snapshot schema, as short messages (empty when it conforms). */
export function validateSnapshotShape(data: unknown): string[] {
  compiled ??= new Ajv({ allErrors: true, strict: true }).compile(SNAPSHOT_SCHEMA);
  if (compiled(data)) return [];
  return (compiled.errors ?? []).map(describe);
}
