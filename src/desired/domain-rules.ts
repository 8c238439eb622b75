import type { Diagnostic, DiagnosticCode } from '../model/diagnostic.js';
import { domainNameProblem } from '../model/names.js';
import { quote } from './describe.js';
import { field } from './domains.js';
import type { DomainEntry } from './domains.js';
import { lineColOf, offsetOf } from './yaml-tree.js';
import type { ParsedYaml, Path } from './yaml-tree.js';

/** A place in a file, for messages that point at another declaration. */
export interface Place {
  file: string;
  line: number;
  col: number;
}

/** What the cross-file rules need of one `domains:` entry. */
export interface DomainFacts {
  name: string;
  /** Where the domain's name (its key) is. */
  key: Place;
  /** The string items of its `aliasDomains:` list. */
  aliasDomains: Array<{ name: string; at: Place }>;
}

/** The facts of one file's domain entries. */
export function domainFacts(parsed: ParsedYaml, domains: readonly DomainEntry[]): DomainFacts[] {
  const place = (path: Path, side: 'key' | 'value'): Place => ({
    file: parsed.file,
    ...lineColOf(parsed.lineStarts, offsetOf(parsed, path, side)),
  });
  return domains.map((domain) => {
    const list = field(domain.spec, 'aliasDomains');
    const aliasDomains: DomainFacts['aliasDomains'] = [];
    if (Array.isArray(list)) {
      for (const [index, name] of list.entries()) {
        if (typeof name === 'string')
          aliasDomains.push({ name, at: place([...domain.path, 'aliasDomains', index], 'value') });
      }
    }
    return { name: domain.name, key: place(domain.path, 'key'), aliasDomains };
  });
}

function errorAt(place: Place, code: DiagnosticCode, message: string): Diagnostic {
  return { severity: 'error', code, message, file: place.file, line: place.line, col: place.col };
}

/** "at line 3", or "in domains/a.yaml at line 3" when the place is in another file than `here`. */
function where(place: Place, here: string): string {
  return place.file === here ? `at line ${place.line}` : `in ${place.file} at line ${place.line}`;
}

/** Domain names, each declared once across all files. */
export function domainRules(domains: readonly DomainFacts[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  const seen = new Map<string, DomainFacts>();
  for (const domain of domains) {
    const problem = domainNameProblem(domain.name);
    if (problem) out.push(errorAt(domain.key, 'invalid-name', `domain ${quote(domain.name)}: ${problem}`));
    const first = seen.get(domain.name);
    if (first) {
      const message = `domain ${quote(domain.name)} is declared twice (first ${where(first.key, domain.key.file)})`;
      out.push(errorAt(domain.key, 'duplicate-domain', message));
    } else seen.set(domain.name, domain);
  }
  return out;
}

/** Alias domains: valid names, not a declared domain, listed once across all domains. */
export function aliasDomainRules(domains: readonly DomainFacts[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  const declared = new Map(domains.map((d) => [d.name, d]));
  const seen = new Map<string, { domain: DomainFacts; at: Place }>();
  for (const domain of domains) {
    const here = domain.key.file;
    for (const { name, at } of domain.aliasDomains) {
      const report = (code: DiagnosticCode, message: string): void => {
        out.push(errorAt(at, code, `aliasDomains: ${quote(name)} ${message}`));
      };
      const problem = domainNameProblem(name);
      const other = declared.get(name);
      const first = seen.get(name);
      if (problem) report('invalid-name', `is not valid: ${problem}`);
      else if (other) report('alias-domain-conflict', `is also declared as a domain (${where(other.key, here)})`);
      else if (first && first.domain === domain)
        report('duplicate-alias-domain', `is listed twice (first ${where(first.at, here)})`);
      else if (first)
        report(
          'duplicate-alias-domain',
          `is already an alias domain of ${quote(first.domain.name)} (${where(first.at, here)})`,
        );
      if (!first) seen.set(name, { domain, at });
    }
  }
  return out;
}
