import { hasErrors } from '../model/diagnostic.js';
import type { Diagnostic } from '../model/diagnostic.js';
import type { DesiredDomain } from '../model/state.js';
import { aliasRules } from './alias-rules.js';
import type { FileRole } from './describe.js';
import { domainFacts } from './domain-rules.js';
import type { DomainFacts } from './domain-rules.js';
import { domainEntries } from './domains.js';
import type { FileRule } from './file-rule.js';
import { normalizeDomain } from './normalize.js';
import { secretFileRules } from './path-rules.js';
import { SPREAD } from '../fleet/names.js';
import { placementRules } from './fleet-rules.js';
import type { FleetNames } from './fleet-rules.js';
import { domainDefaultQuotaRules } from './quota-rules.js';
import { userRules } from './user-rules.js';
import { validateAgainstSchema } from './validate.js';
import type { ParsedYaml } from './yaml-tree.js';

/** What checking one file needs to know of the others: the main file's name, place and default quota. */
export interface SharedContext {
  mainFile: string;
  /** The main file's directory on disk. */
  mainDir: string;
  /** The main file's `defaults.quota`, canonical (see topQuotaOf). */
  topQuota: string;
  /** The main file's `servers:` names, for the `server:` pins of every file; absent without servers. */
  fleet?: FleetNames;
}

export interface FileContext extends SharedContext {
  role: FileRole;
  /** This file's directory on disk: its relative `file:` secrets resolve against it. */
  fileDir: string;
}

/** Everything one file contributes to loading the desired state, as plain data. */
export interface FileOutcome {
  file: string;
  /** YAML problems, then schema problems, then each file rule's, as listed in FILE_RULES. */
  parse: Diagnostic[];
  schema: Diagnostic[];
  rules: Record<FileRuleName, Diagnostic[]>;
  /** For the rules that compare domains across files. */
  domains: DomainFacts[];
  /** The file's domains, normalised; absent when the file has an error of its own. */
  normalized?: DesiredDomain[];
}

/** The rules of one file, by name, in the order their reports are listed. */
const FILE_RULES = {
  users: userRules,
  aliases: aliasRules,
  defaultQuotas: domainDefaultQuotaRules,
  secretFiles: secretFileRules,
  placement: placementRules,
} as const satisfies Record<string, FileRule>;

export type FileRuleName = keyof typeof FILE_RULES;

const RULE_NAMES = Object.keys(FILE_RULES) as FileRuleName[];

/**
 * Checks one parsed file on its own: schema, the per-file rules, and normalisation of its domains.
 * A pure function of the file and the context, so files can be checked on any thread.
 */
export function checkFile(parsed: ParsedYaml, ctx: FileContext): FileOutcome {
  const schema = parsed.broken ? [] : validateAgainstSchema(parsed, ctx.role);
  const entries = domainEntries([parsed]);
  const ruleContext = {
    parsed,
    domains: entries,
    mainFile: ctx.mainFile,
    mainDir: ctx.mainDir,
    fileDir: ctx.fileDir,
    ...(ctx.fleet ? { fleet: ctx.fleet } : {}),
  };
  const rules = Object.fromEntries(RULE_NAMES.map((name) => [name, FILE_RULES[name](ruleContext)])) as Record<
    FileRuleName,
    Diagnostic[]
  >;
  const outcome: FileOutcome = {
    file: parsed.file,
    parse: parsed.diagnostics,
    schema,
    rules,
    domains: domainFacts(parsed, entries),
  };
  if (!hasErrors([...parsed.diagnostics, ...schema, ...Object.values(rules).flat()])) {
    const placement = ctx.fleet?.defaultPlacement;
    const defaultServer = placement === undefined || placement === SPREAD ? undefined : placement;
    outcome.normalized = entries.map((entry) => normalizeDomain(entry, ctx.topQuota, ctx.fileDir, defaultServer));
  }
  return outcome;
}
