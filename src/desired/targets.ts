import picomatch from 'picomatch';
import type { DesiredState } from '../model/state.js';

export type TargetSelection = { ok: true; desired: DesiredState } | { ok: false; reason: string };

/**
 * `--domain PATTERN` (repeatable, globs such as `*.example.com`), as Terraform's -target and
 * DNSControl's --domains: the desired state cut down to the declared domains that match. The
 * others are neither read nor planned nor touched, and neither are relay rules (tcp.smtp is the
 * server's, not a domain's). A pattern that matches no declared domain is an error: a typo must
 * not turn into a plan that quietly does nothing.
 */
export function selectTargets(desired: DesiredState, patterns: readonly string[], label: string): TargetSelection {
  const declared = [...desired.domains.keys()].sort();
  const unmatched: string[] = [];
  const chosen = new Set<string>();
  for (const pattern of patterns) {
    // nocase: domain names are case-insensitive, and the YAML's are lowercase already.
    const matches = picomatch(pattern.toLowerCase(), { nocase: true, dot: true });
    const hits = declared.filter((name) => matches(name));
    if (hits.length === 0) unmatched.push(pattern);
    for (const name of hits) chosen.add(name);
  }
  if (unmatched.length > 0) {
    const list = unmatched.map((p) => `"${p}"`).join(', ');
    return {
      ok: false,
      reason: `--domain ${list} matches no domain declared in ${label} (declared: ${declared.join(', ') || 'none'}); nothing was planned or applied.`,
    };
  }
  const { relay: _relay, ...rest } = desired;
  return {
    ok: true,
    desired: {
      ...rest,
      domains: new Map([...desired.domains].filter(([name]) => chosen.has(name))),
      targets: {
        patterns: [...patterns],
        leftOut: declared.filter((name) => !chosen.has(name)),
        relayLeftOut: desired.relay !== undefined,
      },
    },
  };
}
