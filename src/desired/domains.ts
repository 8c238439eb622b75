import { isRecord, own } from './yaml-tree.js';
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
  const list = isRecord(map) ? Object.entries(map).map(([name, value]) => ({ domain, name, value, path: [...domain.path, key, name] })) : [];
  domain.cache ??= {};
  domain.cache[key] = list;
  return list;
}

/** A field of a map-valued entry, or undefined when the entry is not a map or lacks the field. */
export function field(value: unknown, key: string): unknown {
  return isRecord(value) ? own(value, key) : undefined;
}
