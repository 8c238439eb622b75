import type { Diagnostic } from '../model/diagnostic.js';
import { aliasNameProblem } from '../model/names.js';
import { quote } from './describe.js';
import { members } from './domains.js';
import type { FileRuleContext } from './file-rule.js';
import { addressList } from './list-rules.js';
import { diagnosticAt } from './parse.js';

/** Every alias of the file's domains: a valid name that no user of its domain has, and its targets. */
export function aliasRules(ctx: FileRuleContext): Diagnostic[] {
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
