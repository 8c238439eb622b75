import { basename, isAbsolute, join, relative } from 'node:path';
import type { Diagnostic } from '../model/diagnostic.js';
import { FLAG_NAMES } from '../model/flags.js';
import { aliasNameProblem, commentProblem, domainNameProblem, normaliseTarget, targetProblem, userNameProblem } from '../model/names.js';
import { relayAddressProblem } from '../model/relay.js';
import { quote } from './describe.js';
import { field, members } from './domains.js';
import type { DomainEntry } from './domains.js';
import { diagnosticAt, lineAt } from './parse.js';
import { parsePassword, parseQuota } from './value-specs.js';
import type { Problem } from './value-specs.js';
import { isRecord, own } from './yaml-tree.js';
import type { ParsedYaml, Path } from './yaml-tree.js';

/**
 * Checks the schema cannot express. Each rule looks only at values of the right type (the schema
 * reports the others), so a problem is reported once.
 */
export interface RuleContext {
  main: ParsedYaml;
  domains: readonly DomainEntry[];
  /** The directory on disk that relative paths in a file resolve against. */
  baseDir: (parsed: ParsedYaml) => string;
}

export type Rule = (ctx: RuleContext) => Diagnostic[];

export const RULES: readonly Rule[] = [domainRules, aliasDomainRules, userRules, aliasRules, defaultQuotaRules, relayRules, secretFileRules];

export function runRules(ctx: RuleContext): Diagnostic[] {
  return RULES.flatMap((rule) => rule(ctx));
}

/** "at line 3", or "in domains/a.yaml at line 3" when the place is in another file than `here`. */
function where(place: { parsed: ParsedYaml; path: Path }, here: ParsedYaml, side: 'key' | 'value' = 'value'): string {
  const line = lineAt(place.parsed, place.path, side);
  return place.parsed === here ? `at line ${line}` : `in ${place.parsed.file} at line ${line}`;
}

function problemsAt(parsed: ParsedYaml, base: Path, problems: readonly Problem[]): Diagnostic[] {
  return problems.map((p) => diagnosticAt(parsed, [...base, ...p.path], p.side, 'invalid-value', p.message));
}

function domainRules(ctx: RuleContext): Diagnostic[] {
  const out: Diagnostic[] = [];
  const seen = new Map<string, DomainEntry>();
  for (const domain of ctx.domains) {
    const problem = domainNameProblem(domain.name);
    if (problem) out.push(diagnosticAt(domain.parsed, domain.path, 'key', 'invalid-name', `domain ${quote(domain.name)}: ${problem}`));
    const first = seen.get(domain.name);
    if (first) {
      const message = `domain ${quote(domain.name)} is declared twice (first ${where(first, domain.parsed, 'key')})`;
      out.push(diagnosticAt(domain.parsed, domain.path, 'key', 'duplicate-domain', message));
    } else seen.set(domain.name, domain);
  }
  return out;
}

function aliasDomainRules(ctx: RuleContext): Diagnostic[] {
  const out: Diagnostic[] = [];
  const declared = new Map(ctx.domains.map((d) => [d.name, d]));
  const seen = new Map<string, { domain: DomainEntry; path: Path }>();
  for (const domain of ctx.domains) {
    const list = field(domain.spec, 'aliasDomains');
    if (!Array.isArray(list)) continue;
    for (const [index, name] of list.entries()) {
      if (typeof name !== 'string') continue;
      const path = [...domain.path, 'aliasDomains', index];
      const report = (code: string, message: string): void => {
        out.push(diagnosticAt(domain.parsed, path, 'value', code, `aliasDomains: ${quote(name)} ${message}`));
      };
      const problem = domainNameProblem(name);
      const other = declared.get(name);
      const first = seen.get(name);
      if (problem) report('invalid-name', `is not valid: ${problem}`);
      else if (other) report('alias-domain-conflict', `is also declared as a domain (${where(other, domain.parsed, 'key')})`);
      else if (first && first.domain === domain) report('duplicate-alias-domain', `is listed twice (first ${where({ parsed: domain.parsed, path: first.path }, domain.parsed)})`);
      else if (first) {
        const place = { parsed: first.domain.parsed, path: first.path };
        report('duplicate-alias-domain', `is already an alias domain of ${quote(first.domain.name)} (${where(place, domain.parsed)})`);
      }
      if (!first) seen.set(name, { domain, path });
    }
  }
  return out;
}

const FLAG_SET = new Set<string>(FLAG_NAMES);

function userRules(ctx: RuleContext): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const domain of ctx.domains) {
    const parsed = domain.parsed;
    for (const user of members(domain, 'users')) {
      const problem = userNameProblem(user.name);
      if (problem) out.push(diagnosticAt(parsed, user.path, 'key', 'invalid-name', `user ${quote(user.name)}: ${problem}`));
      if (!isRecord(user.value)) continue;
      const spec = user.value;
      const comment = own(spec, 'comment');
      if (typeof comment === 'string') {
        const commentError = commentProblem(comment);
        if (commentError) out.push(diagnosticAt(parsed, [...user.path, 'comment'], 'value', 'invalid-value', commentError));
      }
      if (Object.hasOwn(spec, 'quota')) {
        const quota = parseQuota(own(spec, 'quota'));
        if (!quota.ok) out.push(...problemsAt(parsed, [...user.path, 'quota'], quota.problems));
      }
      if (Object.hasOwn(spec, 'password')) {
        const password = parsePassword(own(spec, 'password'));
        if (!password.ok) out.push(...problemsAt(parsed, [...user.path, 'password'], password.problems));
      }
      const flags = own(spec, 'flags');
      if (Array.isArray(flags)) {
        const known = flags.map((flag) => (typeof flag === 'string' && FLAG_SET.has(flag) ? { key: flag, shown: flag } : undefined));
        out.push(...duplicates(parsed, [...user.path, 'flags'], 'flags', known));
      }
      const to = field(own(spec, 'forward'), 'to');
      if (Array.isArray(to)) out.push(...addressList(parsed, [...user.path, 'forward', 'to'], 'to', to));
    }
  }
  return out;
}

function aliasRules(ctx: RuleContext): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const domain of ctx.domains) {
    const users = new Set(members(domain, 'users').map((u) => u.name));
    for (const alias of members(domain, 'aliases')) {
      const label = `alias ${quote(alias.name)}`;
      const problem = aliasNameProblem(alias.name);
      if (problem) out.push(diagnosticAt(domain.parsed, alias.path, 'key', 'invalid-name', `${label}: ${problem}`));
      else if (users.has(alias.name)) {
        out.push(
          diagnosticAt(domain.parsed, alias.path, 'key', 'alias-shadows-user', `${label} has the same name as a user of domain ${quote(domain.name)} (the alias would shadow the mailbox)`),
        );
      }
      if (Array.isArray(alias.value)) out.push(...addressList(domain.parsed, alias.path, label, alias.value));
    }
  }
  return out;
}

function defaultQuotaRules(ctx: RuleContext): Diagnostic[] {
  const places: Array<{ parsed: ParsedYaml; path: Path; defaults: unknown }> = [
    { parsed: ctx.main, path: ['defaults'], defaults: field(ctx.main.data, 'defaults') },
    ...ctx.domains.map((d) => ({ parsed: d.parsed, path: [...d.path, 'defaults'], defaults: field(d.spec, 'defaults') })),
  ];
  const out: Diagnostic[] = [];
  for (const place of places) {
    if (!isRecord(place.defaults) || !Object.hasOwn(place.defaults, 'quota')) continue;
    const quota = parseQuota(own(place.defaults, 'quota'));
    if (!quota.ok) out.push(...problemsAt(place.parsed, [...place.path, 'quota'], quota.problems));
  }
  return out;
}

function relayRules(ctx: RuleContext): Diagnostic[] {
  const relay = field(ctx.main.data, 'relay');
  if (!Array.isArray(relay)) return [];
  const out: Diagnostic[] = [];
  const valid: Array<ListItem | undefined> = [];
  for (const [index, address] of relay.entries()) {
    if (typeof address !== 'string') {
      valid.push(undefined);
      continue;
    }
    const problem = relayAddressProblem(address);
    if (problem) out.push(diagnosticAt(ctx.main, ['relay', index], 'value', 'invalid-relay', `relay: ${quote(address)} is refused: ${problem}`));
    valid.push(problem ? undefined : { key: address, shown: address });
  }
  return [...out, ...duplicates(ctx.main, ['relay'], 'relay', valid)];
}

/**
 * A `file:` secret outside the main file's directory draws a warning: a pull request could point it
 * at any file the reconciler can read on the server.
 */
function secretFileRules(ctx: RuleContext): Diagnostic[] {
  const out: Diagnostic[] = [];
  const root = ctx.baseDir(ctx.main);
  for (const domain of ctx.domains) {
    for (const user of members(domain, 'users')) {
      const file = field(field(user.value, 'password'), 'file');
      if (typeof file !== 'string' || file === '') continue;
      const inside = relative(root, isAbsolute(file) ? file : join(ctx.baseDir(domain.parsed), file));
      if (inside === '..' || inside.startsWith('../') || isAbsolute(inside)) {
        const message = `file: ${quote(file)} is outside the directory of ${basename(ctx.main.file)}`;
        out.push(diagnosticAt(domain.parsed, [...user.path, 'password', 'file'], 'value', 'secret-outside', message, 'warning'));
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
    if (problem) out.push(diagnosticAt(parsed, [...path, index], 'value', 'invalid-target', `${label}: ${quote(target)} is refused: ${problem}`));
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
function duplicates(parsed: ParsedYaml, path: Path, label: string, items: ReadonlyArray<ListItem | undefined>): Diagnostic[] {
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
    out.push(diagnosticAt(parsed, [...path, index], 'value', 'duplicate-item', `${label}: ${quote(item.shown)} is listed twice (first at line ${line})`));
  }
  return out;
}
