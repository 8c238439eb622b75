import { basename, isAbsolute, join, relative } from 'node:path';
import type { Diagnostic, DiagnosticCode } from '../model/diagnostic.js';
import { FLAG_NAMES } from '../model/flags.js';
import { CONTROL_CHARACTER } from '../model/display.js';
import {
  aliasNameProblem,
  commentProblem,
  domainNameProblem,
  normaliseTarget,
  targetProblem,
  userNameProblem,
} from '../model/names.js';
import { relayAddressProblem, relayBreadthWarning } from '../model/relay.js';
import { quote } from './describe.js';
import { field, members, userPassword, userQuota } from './domains.js';
import type { DomainEntry } from './domains.js';
import { diagnosticAt, lineAt } from './parse.js';
import { parseQuota } from './value-specs.js';
import type { Problem } from './value-specs.js';
import { isRecord, lineColOf, offsetOf, own } from './yaml-tree.js';
import type { ParsedYaml, Path } from './yaml-tree.js';

/**
 * Checks the schema cannot express. Each rule looks only at values of the right type (the schema
 * reports the others), so a problem is reported once.
 *
 * Most rules look at one file at a time (FILE_RULES), so that files can be checked in parallel
 * (check-pool.ts); the two that compare domains across files work on DomainFacts, the little that
 * is needed of each domain: where its name is and which alias domains it lists.
 */

/** One file's domains, and the directories relative paths resolve against on disk. */
export interface FileRuleContext {
  parsed: ParsedYaml;
  domains: readonly DomainEntry[];
  /** The main file's name as messages show it, and its directory, which `file:` secrets should stay inside. */
  mainFile: string;
  mainDir: string;
  /** The directory of this file, which its relative `file:` secrets resolve against. */
  fileDir: string;
}

export type FileRule = (ctx: FileRuleContext) => Diagnostic[];

/** The rules of one file, by name, in the order their reports are listed. */
export const FILE_RULES = {
  users: userRules,
  aliases: aliasRules,
  defaultQuotas: domainDefaultQuotaRules,
  secretFiles: secretFileRules,
} as const;

export type FileRuleName = keyof typeof FILE_RULES;

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

function problemsAt(parsed: ParsedYaml, base: Path, problems: readonly Problem[]): Diagnostic[] {
  return problems.map((p) => diagnosticAt(parsed, [...base, ...p.path], p.side, 'invalid-value', p.message));
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

const FLAG_SET = new Set<string>(FLAG_NAMES);

function userRules(ctx: FileRuleContext): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const domain of ctx.domains) {
    const parsed = domain.parsed;
    for (const user of members(domain, 'users')) {
      const problem = userNameProblem(user.name);
      if (problem)
        out.push(diagnosticAt(parsed, user.path, 'key', 'invalid-name', `user ${quote(user.name)}: ${problem}`));
      if (!isRecord(user.value)) continue;
      const spec = user.value;
      const comment = own(spec, 'comment');
      if (typeof comment === 'string') {
        const commentError = commentProblem(comment);
        if (commentError)
          out.push(diagnosticAt(parsed, [...user.path, 'comment'], 'value', 'invalid-value', commentError));
      }
      if (Object.hasOwn(spec, 'quota')) {
        const quota = userQuota(user);
        if (!quota.ok) out.push(...problemsAt(parsed, [...user.path, 'quota'], quota.problems));
      }
      if (Object.hasOwn(spec, 'password')) {
        const password = userPassword(user);
        if (!password.ok) out.push(...problemsAt(parsed, [...user.path, 'password'], password.problems));
      }
      const flags = own(spec, 'flags');
      if (Array.isArray(flags)) {
        const known = flags.map((flag) =>
          typeof flag === 'string' && FLAG_SET.has(flag) ? { key: flag, shown: flag } : undefined,
        );
        out.push(...duplicates(parsed, [...user.path, 'flags'], 'flags', known));
      }
      const to = field(own(spec, 'forward'), 'to');
      if (Array.isArray(to)) out.push(...addressList(parsed, [...user.path, 'forward', 'to'], 'to', to));
    }
  }
  return out;
}

function aliasRules(ctx: FileRuleContext): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const domain of ctx.domains) {
    const users = new Set(members(domain, 'users').map((u) => u.name));
    for (const alias of members(domain, 'aliases')) {
      const label = `alias ${quote(alias.name)}`;
      const problem = aliasNameProblem(alias.name);
      if (problem) out.push(diagnosticAt(domain.parsed, alias.path, 'key', 'invalid-name', `${label}: ${problem}`));
      else if (users.has(alias.name)) {
        out.push(
          diagnosticAt(
            domain.parsed,
            alias.path,
            'key',
            'alias-shadows-user',
            `${label} has the same name as a user of domain ${quote(domain.name)} (the alias would shadow the mailbox)`,
          ),
        );
      }
      if (Array.isArray(alias.value)) out.push(...addressList(domain.parsed, alias.path, label, alias.value));
    }
  }
  return out;
}

/** `defaults.quota` of the main file. */
export function mainDefaultQuotaRules(main: ParsedYaml): Diagnostic[] {
  return defaultQuotaProblems(main, ['defaults'], field(main.data, 'defaults'));
}

function domainDefaultQuotaRules(ctx: FileRuleContext): Diagnostic[] {
  return ctx.domains.flatMap((d) => defaultQuotaProblems(d.parsed, [...d.path, 'defaults'], field(d.spec, 'defaults')));
}

function defaultQuotaProblems(parsed: ParsedYaml, path: Path, defaults: unknown): Diagnostic[] {
  if (!isRecord(defaults) || !Object.hasOwn(defaults, 'quota')) return [];
  const quota = parseQuota(own(defaults, 'quota'));
  return quota.ok ? [] : problemsAt(parsed, [...path, 'quota'], quota.problems);
}

/**
 * `vpopmail.home` and `qmail.home` of the main file: every file mailstate writes is below them,
 * and a control character in a path is never what was meant (the schema requires a "/" first).
 */
export function homeRules(main: ParsedYaml): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const section of ['vpopmail', 'qmail']) {
    const home = field(field(main.data, section), 'home');
    if (typeof home === 'string' && CONTROL_CHARACTER.test(home)) {
      out.push(
        diagnosticAt(
          main,
          [section, 'home'],
          'value',
          'invalid-value',
          `home: ${quote(home)} contains a control character`,
        ),
      );
    }
  }
  return out;
}

/** `relay:` of the main file: valid addresses, each once. */
export function relayRules(main: ParsedYaml): Diagnostic[] {
  const relay = field(main.data, 'relay');
  if (!Array.isArray(relay)) return [];
  const out: Diagnostic[] = [];
  const valid: Array<ListItem | undefined> = [];
  for (const [index, address] of relay.entries()) {
    if (typeof address !== 'string') {
      valid.push(undefined);
      continue;
    }
    const problem = relayAddressProblem(address);
    if (problem)
      out.push(
        diagnosticAt(
          main,
          ['relay', index],
          'value',
          'invalid-relay',
          `relay: ${quote(address)} is refused: ${problem}`,
        ),
      );
    const breadth = problem ? undefined : relayBreadthWarning(address);
    if (breadth)
      out.push(
        diagnosticAt(main, ['relay', index], 'value', 'wide-relay', `relay: ${quote(address)} ${breadth}`, 'warning'),
      );
    valid.push(problem ? undefined : { key: address, shown: address });
  }
  return [...out, ...duplicates(main, ['relay'], 'relay', valid)];
}

/**
 * A `file:` secret outside the main file's directory draws a warning: a pull request could point it
 * at any file the reconciler can read on the server.
 */
function secretFileRules(ctx: FileRuleContext): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const domain of ctx.domains) {
    for (const user of members(domain, 'users')) {
      const file = field(field(user.value, 'password'), 'file');
      if (typeof file !== 'string' || file === '') continue;
      const inside = relative(ctx.mainDir, isAbsolute(file) ? file : join(ctx.fileDir, file));
      if (inside === '..' || inside.startsWith('../') || isAbsolute(inside)) {
        const message = `file: ${quote(file)} is outside the directory of ${basename(ctx.mainFile)}`;
        out.push(
          diagnosticAt(
            domain.parsed,
            [...user.path, 'password', 'file'],
            'value',
            'secret-outside',
            message,
            'warning',
          ),
        );
      }
    }
  }
  return out;
}

/** Targets of a forward or alias: each a plain address, none twice (domains compare lowercased). */
function addressList(parsed: ParsedYaml, path: Path, label: string, list: readonly unknown[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  const valid: Array<ListItem | undefined> = [];
  for (const [index, target] of list.entries()) {
    if (typeof target !== 'string') {
      valid.push(undefined);
      continue;
    }
    const problem = targetProblem(target);
    if (problem)
      out.push(
        diagnosticAt(
          parsed,
          [...path, index],
          'value',
          'invalid-target',
          `${label}: ${quote(target)} is refused: ${problem}`,
        ),
      );
    valid.push(problem ? undefined : { key: normaliseTarget(target), shown: target });
  }
  return [...out, ...duplicates(parsed, path, label, valid)];
}

/** A list item compared by `key` (e.g. the normalised address) and shown as written. */
interface ListItem {
  key: string;
  shown: string;
}

/** Items listed twice; `items` keeps list indexes, with undefined for items reported otherwise. */
function duplicates(
  parsed: ParsedYaml,
  path: Path,
  label: string,
  items: ReadonlyArray<ListItem | undefined>,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const first = new Map<string, number>();
  for (const [index, item] of items.entries()) {
    if (item === undefined) continue;
    const earlier = first.get(item.key);
    if (earlier === undefined) {
      first.set(item.key, index);
      continue;
    }
    const line = lineAt(parsed, [...path, earlier]);
    out.push(
      diagnosticAt(
        parsed,
        [...path, index],
        'value',
        'duplicate-item',
        `${label}: ${quote(item.shown)} is listed twice (first at line ${line})`,
      ),
    );
  }
  return out;
}
