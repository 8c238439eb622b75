import { join } from 'node:path';
import type { RelayChange } from '../model/change.js';
import { RELAY_RULE_SUFFIX, relayRuleLine } from '../formats/tcp-rules.js';
import { vpopmailAccount } from './domain-files.js';
import { readText } from './io.js';
import type { ApplyEnvironment } from './types.js';

/** The changes that edit tcp.smtp itself. */
type RuleChange = Exclude<RelayChange, { kind: 'rebuild-tcp-smtp-cdb' }>;

/**
 * tcp.smtp with the managed rules changed and every other line where it was: deleted rules are
 * dropped by line number (checked against their text), new ones go after the last managed rule,
 * or first when there is none, so they precede a catch-all such as `:allow`.
 */
export function editTcpSmtp(text: string, changes: readonly RuleChange[]): string {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const dropped = new Set<number>();
  for (const change of changes) {
    if (change.kind !== 'delete-relay') continue;
    const index = change.line - 1;
    if (lines[index] !== relayRuleLine(change.address)) {
      throw new Error(
        `tcp.smtp line ${change.line} is no longer "${relayRuleLine(change.address)}": the file changed since the plan`,
      );
    }
    dropped.add(index);
  }
  const kept = lines.flatMap((line, index) =>
    dropped.has(index) ? [] : [{ line, managed: line.endsWith(RELAY_RULE_SUFFIX) }],
  );
  const lastManaged = kept.map((entry) => entry.managed).lastIndexOf(true);
  const added = changes
    .filter((c) => c.kind === 'add-relay')
    .map((c) => ({ line: relayRuleLine(c.address), managed: true }));
  // concat, not splice(…, ...added): a spread of a huge list overflows the stack.
  const all = kept.slice(0, lastManaged + 1).concat(added, kept.slice(lastManaged + 1));
  return all.map((entry) => entry.line).join('\n') + (all.length > 0 ? '\n' : '');
}

/** open-smtp lines without their TAB and timestamp: the roaming (POP-before-SMTP) clients of now. */
export function roamingRules(openSmtp: string): string {
  return openSmtp
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => line.split('\t')[0]!)
    .join('\n');
}

/**
 * Compiles tcp.smtp.cdb the way vpopmail's update_rules does: tcp.smtp followed by the current
 * open-smtp entries piped into `tcprules tcp.smtp.cdb tcp.smtp.tmp`, so roaming users keep
 * relaying. tcprules writes the temp file and renames it: the old cdb stays on a parse error.
 */
export function compileTcpRules(env: ApplyEnvironment): void {
  const etc = join(env.vpopmailHome, 'etc');
  const rules = env.io.read(join(etc, 'tcp.smtp'))?.toString('utf8');
  if (rules === undefined) throw new Error(`${join(etc, 'tcp.smtp')} does not exist`);
  const roaming = roamingRules(readText(env.io, join(etc, 'open-smtp')));
  const input = rules + (rules.endsWith('\n') || rules === '' ? '' : '\n') + (roaming ? `${roaming}\n` : '');
  const argv = ['tcprules', join(etc, 'tcp.smtp.cdb'), join(etc, 'tcp.smtp.tmp')];
  env.counters.commands.push(argv);
  const result = env.io.run(argv[0]!, argv.slice(1), { input });
  if (result.error || result.status !== 0) {
    env.io.remove(join(etc, 'tcp.smtp.tmp'));
    const stderr = (result.error?.message ?? result.stderr).trim();
    throw new Error(`tcprules failed${stderr ? `: ${stderr}` : ''}; tcp.smtp.cdb was left as it was`);
  }
  // vpopmail hands the compiled rules to vpopmail:vchkpw (golden 10), mode as tcprules made it.
  if (env.io.isRoot) {
    const cdb = join(etc, 'tcp.smtp.cdb');
    const made = env.io.entry(cdb);
    if (made) env.io.setModeAndOwner(cdb, made.mode, vpopmailAccount(env.io, env.live));
  }
  env.counters.tcpRulesBuilds++;
}

export function applyRelayChanges(changes: readonly RelayChange[], env: ApplyEnvironment): void {
  const relayChanges = changes.filter((c): c is RuleChange => c.kind !== 'rebuild-tcp-smtp-cdb');
  if (relayChanges.length > 0) {
    const path = join(env.vpopmailHome, 'etc', 'tcp.smtp');
    const text = readText(env.io, path);
    env.io.writeAtomic(path, editTcpSmtp(text, relayChanges), { mode: 0o644, keepExisting: true });
    for (const change of relayChanges) env.done(change);
  }
  for (const change of changes) {
    if (change.kind !== 'rebuild-tcp-smtp-cdb') continue;
    compileTcpRules(env);
    env.done(change);
  }
}
