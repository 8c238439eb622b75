import type { Diagnostic } from '../model/diagnostic.js';
import { FLAG_NAMES } from '../model/flags.js';
import { commentProblem, userNameProblem } from '../model/names.js';
import { quote } from './describe.js';
import { field, members, userPassword, userQuota } from './domains.js';
import type { MemberEntry } from './domains.js';
import type { FileRuleContext } from './file-rule.js';
import { addressList, duplicates } from './list-rules.js';
import { diagnosticAt, problemsAt } from './parse.js';
import { isRecord, own } from './yaml-tree.js';
import type { ParsedYaml } from './yaml-tree.js';

const FLAG_SET = new Set<string>(FLAG_NAMES);

/** Every user of the file's domains. */
export function userRules(ctx: FileRuleContext): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const domain of ctx.domains) {
    for (const user of members(domain, 'users')) out.push(...oneUserRules(domain.parsed, user));
  }
  return out;
}

function oneUserRules(parsed: ParsedYaml, user: MemberEntry): Diagnostic[] {
  const out: Diagnostic[] = [];
  const problem = userNameProblem(user.name);
  if (problem) out.push(diagnosticAt(parsed, user.path, 'key', 'invalid-name', `user ${quote(user.name)}: ${problem}`));
  if (!isRecord(user.value)) return out;
  const spec = user.value;
  const comment = own(spec, 'comment');
  if (typeof comment === 'string') {
    const commentError = commentProblem(comment);
    if (commentError) out.push(diagnosticAt(parsed, [...user.path, 'comment'], 'value', 'invalid-value', commentError));
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
  if (Array.isArray(flags)) out.push(...flagRules(parsed, user, flags));
  const to = field(own(spec, 'forward'), 'to');
  if (Array.isArray(to)) out.push(...addressList(parsed, [...user.path, 'forward', 'to'], 'to', to));
  return out;
}

/** Known flags listed twice; the schema reports unknown ones. */
function flagRules(parsed: ParsedYaml, user: MemberEntry, flags: readonly unknown[]): Diagnostic[] {
  const known = flags.map((flag) =>
    typeof flag === 'string' && FLAG_SET.has(flag) ? { key: flag, shown: flag } : undefined,
  );
  return duplicates(parsed, [...user.path, 'flags'], 'flags', known);
}
