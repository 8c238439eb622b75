import { hashFormat } from '../model/password.js';
import type { PasswordSpec } from '../model/password.js';
import { INVISIBLE } from '../model/display.js';
import { MAX_QUOTA_BYTES, MAX_QUOTA_MESSAGES, NOQUOTA, formatQuotaField, formatSize } from '../model/quota.js';
import type { QuotaLimit } from '../model/quota.js';
import { quote, show } from './describe.js';
import { isRecord } from './yaml-tree.js';
import type { Path } from './yaml-tree.js';

/** A problem inside one value, at `path` relative to the value. */
export interface Problem {
  path: Path;
  side: 'key' | 'value';
  message: string;
}

export type Checked<T> = { ok: true; value: T } | { ok: false; problems: Problem[] };

const fail = <T>(message: string, path: Path = [], side: 'key' | 'value' = 'value'): Checked<T> => ({
  ok: false,
  problems: [{ path, side, message }],
});

const SIZE_FORMS = 'a whole number of bytes, or a number with K, M or G (1K = 1024 bytes) such as 500M or 2G';
const QUOTA_FORMS = 'none, a size such as 500M, 2G or 1048576 (bytes), { size: 1G, messages: 10000 }, or empty';
const UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };

/**
 * The quota grammar of mailstate.yaml, turned into vpopmail's canonical field-7 string:
 * `none`/`NOQUOTA` → `NOQUOTA`, a size → `<bytes>S`, `{ size, messages }` → `<bytes>S,<n>C` or
 * `<n>C`, and `empty` → `""` (what vpopmail stores for `-q 0`, so that import can describe it).
 */
export function parseQuota(value: unknown): Checked<string> {
  if (value === 'none' || value === NOQUOTA) return { ok: true, value: NOQUOTA };
  if (value === 'empty') return { ok: true, value: '' };
  if (value === null)
    return fail(`quota: must not be empty (allowed: ${QUOTA_FORMS}); leave the key out to use the default`);
  if (typeof value === 'number' || typeof value === 'string') {
    if (typeof value === 'string' && !/^[0-9]/.test(value)) {
      return fail(`quota: ${quote(value)} is not a quota (allowed: ${QUOTA_FORMS})`);
    }
    const bytes = parseSize(value, 'quota');
    return bytes.ok ? { ok: true, value: formatQuotaField({ bytes: bytes.value }) } : bytes;
  }
  if (!isRecord(value)) return fail(`quota: must be ${QUOTA_FORMS}, not ${show(value)}`);
  const problems: Problem[] = [];
  const limit: QuotaLimit = {};
  for (const key of Object.keys(value)) {
    if (key !== 'size' && key !== 'messages') {
      problems.push({
        path: [key],
        side: 'key',
        message: `unknown key ${quote(key)} in quota (allowed: size, messages)`,
      });
    }
  }
  if (Object.hasOwn(value, 'size')) {
    const bytes = parseSize(value.size, 'size');
    if (bytes.ok) limit.bytes = bytes.value;
    else problems.push(...bytes.problems.map((p) => ({ ...p, path: ['size'] })));
  }
  if (Object.hasOwn(value, 'messages')) {
    const messages = value.messages;
    if (typeof messages === 'number' && Number.isInteger(messages) && messages >= 1 && messages <= MAX_QUOTA_MESSAGES) {
      limit.messages = messages;
    } else {
      problems.push({
        path: ['messages'],
        side: 'value',
        message: `messages: must be a whole number from 1 to ${MAX_QUOTA_MESSAGES}, not ${show(messages)}`,
      });
    }
  }
  if (!Object.hasOwn(value, 'size') && !Object.hasOwn(value, 'messages') && problems.length === 0) {
    return fail('quota: give size, messages or both (write none for no limit)');
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value: formatQuotaField(limit) };
}

/** A size as bytes: a positive whole number, or digits with a binary unit K, M or G. */
export function parseSize(value: unknown, label: string): Checked<number> {
  let bytes: number;
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0)
      return fail(`${label}: ${show(value)} is not a size (allowed: ${SIZE_FORMS})`);
    bytes = value;
  } else if (typeof value === 'string') {
    const match = /^([0-9]+)([KMG]?)$/.exec(value);
    if (!match) {
      const lower = /^([0-9]+)([kmg])$/.exec(value);
      if (lower)
        return fail(`${label}: ${quote(value)}: units are upper case (write "${lower[1]}${lower[2]!.toUpperCase()}")`);
      return fail(`${label}: ${quote(value)} is not a size (allowed: ${SIZE_FORMS})`);
    }
    bytes = Number(match[1]) * UNITS[match[2]!]!;
  } else {
    return fail(`${label}: must be ${SIZE_FORMS}, not ${show(value)}`);
  }
  if (bytes === 0) {
    return fail(
      `${label}: 0 is not a quota (vpopmail would store an empty quota field): write none for no limit, or a size such as 100M`,
    );
  }
  if (bytes > MAX_QUOTA_BYTES) {
    return fail(
      `${label}: ${show(value)} is larger than the largest size mailstate accepts (${formatSize(MAX_QUOTA_BYTES)})`,
    );
  }
  return { ok: true, value: bytes };
}

const HASHES = 'SHA-512 $6$, SHA-256 $5$, MD5 $1$, bcrypt $2y$ or DES';
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * `password:` as written: a crypt hash (checked with the model's hashFormat), `{ env: NAME }` or
 * `{ file: path }`. Messages never repeat the value: it may be a clear-text password pasted by mistake.
 */
export function parsePassword(value: unknown): Checked<PasswordSpec> {
  if (typeof value === 'string') {
    if (value === '') return fail('password: is empty; leave the key out to keep the current password');
    if (hashFormat(value)) return { ok: true, value: { kind: 'hash', hash: value } };
    return fail(
      `password: not a crypt hash vpopmail can verify (accepted: ${HASHES}); ` +
        'for a clear-text password write { env: NAME } or { file: path }',
    );
  }
  if (value === null) {
    return fail(
      'password: is empty; leave the key out to keep the current password, or write a crypt hash, { env: NAME } or { file: path }',
    );
  }
  if (!isRecord(value))
    return fail(`password: must be a crypt hash, { env: NAME } or { file: path }, not ${typeWord(value)}`);
  const problems: Problem[] = [];
  for (const key of Object.keys(value)) {
    if (key !== 'env' && key !== 'file') {
      problems.push({
        path: [key],
        side: 'key',
        message: `unknown key ${quote(key)} in password (allowed: env, file)`,
      });
    }
  }
  const hasEnv = Object.hasOwn(value, 'env');
  const hasFile = Object.hasOwn(value, 'file');
  if (hasEnv && hasFile)
    problems.push({ path: ['file'], side: 'key', message: 'password: give env or file, not both' });
  if (!hasEnv && !hasFile && problems.length === 0) return fail('password: write { env: NAME } or { file: path }');
  if (hasEnv) {
    const name = value.env;
    if (typeof name !== 'string' || !ENV_NAME.test(name)) {
      // A string is not echoed: what lands here by mistake is as likely a pasted password as a name.
      const shown = typeof name === 'string' ? 'the value' : show(name);
      problems.push({
        path: ['env'],
        side: 'value',
        message: `env: ${shown} is not an environment variable name (letters, digits and _, not starting with a digit); it is not shown, in case it is a password`,
      });
    }
  }
  if (hasFile) {
    const file = value.file;
    if (typeof file !== 'string' || file === '') {
      problems.push({ path: ['file'], side: 'value', message: `file: must be a path, not ${show(file)}` });
    } else if (CONTROL.test(file)) {
      problems.push({ path: ['file'], side: 'value', message: 'file: the path contains a control character' });
    } else if (INVISIBLE.test(file)) {
      // Messages about the file show its path as written, and a reviewer must see what it is.
      problems.push({
        path: ['file'],
        side: 'value',
        message: 'file: the path contains an invisible or text-direction character',
      });
    }
  }
  if (problems.length > 0) return { ok: false, problems };
  if (hasEnv)
    return {
      ok: true,
      value: { kind: 'secret', ref: { env: value.env as string }, source: `env:${String(value.env)}` },
    };
  return {
    ok: true,
    value: { kind: 'secret', ref: { file: value.file as string }, source: `file:${String(value.file)}` },
  };
}

function typeWord(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'boolean' ? 'true or false' : `a ${typeof value}`;
}
