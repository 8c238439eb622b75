import type { PasswordSpec } from '../model/password.js';
import { parsePassword, parseQuota } from './value-specs.js';
import type { Checked } from './value-specs.js';
import { isRecord, keyOffsetIn, offsetOf, own } from './yaml-tree.js';
import type { ParsedYaml, Path } from './yaml-tree.js';

/** One `domains:` entry of one file; `spec` is whatever the YAML holds there. */
export interface DomainEntry {
  name: string;
  spec: unknown;
  parsed: ParsedYaml;
  path: Path;
  /** members() results, computed once: rules and normalisation all walk them. */
  cache?: Partial<Record<'users' | 'aliases', MemberEntry[]>>;
}

/** A user or alias entry inside a domain entry. */
export interface MemberEntry {
  domain: DomainEntry;
  name: string;
  value: unknown;
  path: Path;
  /** Source offset of the name (the key), for the object's location. */
  keyAt: number;
  /** userPassword()/userQuota() results: the rules check them, normalisation then uses them. */
  checked?: { password?: Checked<PasswordSpec>; quota?: Checked<string> };
}

/** The domains of every readable file, in file order (the main file first). */
export function domainEntries(files: readonly ParsedYaml[]): DomainEntry[] {
  const entries: DomainEntry[] = [];
  for (const parsed of files) {
    if (parsed.broken || !isRecord(parsed.data)) continue;
    const domains = own(parsed.data, 'domains');
    if (!isRecord(domains)) continue;
    for (const [name, spec] of Object.entries(domains)) entries.push({ name, spec, parsed, path: ['domains', name] });
  }
  return entries;
}

/** The `users:` or `aliases:` entries of a domain, when the domain and that key are maps. */
export function members(domain: DomainEntry, key: 'users' | 'aliases'): readonly MemberEntry[] {
  const cached = domain.cache?.[key];
  if (cached) return cached;
  const map = isRecord(domain.spec) ? own(domain.spec, key) : undefined;
  const list = isRecord(map)
    ? Object.entries(map).map(([name, value]) => {
        const path = [...domain.path, key, name];
        return { domain, name, value, path, keyAt: keyOffsetIn(map, name) ?? offsetOf(domain.parsed, path, 'key') };
      })
    : [];
  domain.cache ??= {};
  domain.cache[key] = list;
  return list;
}

/** A field of a map-valued entry, or undefined when the entry is not a map or lacks the field. */
export function field(value: unknown, key: string): unknown {
  return isRecord(value) ? own(value, key) : undefined;
}

/** The user's `password:` as parsePassword reads it (the user must have the key), parsed once. */
export function userPassword(user: MemberEntry): Checked<PasswordSpec> {
  user.checked ??= {};
  user.checked.password ??= parsePassword(field(user.value, 'password'));
  return user.checked.password;
}

/** The user's `quota:` as parseQuota reads it (the user must have the key), parsed once. */
export function userQuota(user: MemberEntry): Checked<string> {
  user.checked ??= {};
  user.checked.quota ??= parseQuota(field(user.value, 'quota'));
  return user.checked.quota;
}
