import type { Diagnostic } from '../model/diagnostic.js';
import { field } from './domains.js';
import type { FileRuleContext } from './file-rule.js';
import { problemsAt } from './parse.js';
import { parseQuota } from './value-specs.js';
import { isRecord, own } from './yaml-tree.js';
import type { ParsedYaml, Path } from './yaml-tree.js';

/** `defaults.quota` of the main file. */
export function mainDefaultQuotaRules(main: ParsedYaml): Diagnostic[] {
  return defaultQuotaProblems(main, ['defaults'], field(main.data, 'defaults'));
}

/** `defaults.quota` of each of the file's domains. */
export function domainDefaultQuotaRules(ctx: FileRuleContext): Diagnostic[] {
  return ctx.domains.flatMap((d) => defaultQuotaProblems(d.parsed, [...d.path, 'defaults'], field(d.spec, 'defaults')));
}

function defaultQuotaProblems(parsed: ParsedYaml, path: Path, defaults: unknown): Diagnostic[] {
  if (!isRecord(defaults) || !Object.hasOwn(defaults, 'quota')) return [];
  const quota = parseQuota(own(defaults, 'quota'));
  return quota.ok ? [] : problemsAt(parsed, [...path, 'quota'], quota.problems);
}
