import type { Plan, PolicyBreach, ThresholdBreach, ThresholdExemption } from '../model/change.js';
import { inert } from '../model/display.js';

/** Every limit the plan is over, a domain's users first: apply refuses the plan without --force. */
export type AnyBreach = ThresholdBreach | PolicyBreach;

export function planBreaches(plan: Plan): AnyBreach[] {
  return [...plan.thresholdBreaches, ...plan.policyBreaches];
}

/** Whether apply refuses this plan without --force. */
export function overThreshold(plan: Plan): boolean {
  return plan.thresholdBreaches.length > 0 || plan.policyBreaches.length > 0;
}

/** What a breach is, as a clause without advice: the CLI and the watcher each say what to do about it. */
export function describeBreach(breach: AnyBreach): string {
  if (!('kind' in breach))
    return `${inert(breach.domain)}: ${breach.affectedUsers} of ${breach.liveUsers} users (${breach.percent}%) deleted or changed, over policy.maxChangePercent ${breach.limit}%`;
  switch (breach.kind) {
    case 'max-changes':
      return `the plan makes ${breach.changes} changes (adds, changes and deletes), over policy.maxChanges ${breach.limit}`;
    case 'relay-percent':
      return `relay rules: ${breach.affectedRules} of ${breach.liveRules} (${breach.percent}%) deleted, over policy.maxChangePercent ${breach.limit}%`;
    case 'loopback-relay':
      return `the loopback relay rule ${breach.address} is deleted, so local programs (qmail-inject over SMTP, webmail on the host) would lose relaying`;
    case 'move-percent':
      return `${inert(breach.domain)}: ${breach.moves} of ${breach.liveUsers} users (${breach.percent}%) move between servers, over policy.maxMovePercent ${breach.limit}%`;
  }
}

/** Which policy settings a breach is about: what a commit could raise instead (none for the loopback rule). */
export function breachSettings(breach: AnyBreach): string[] {
  if (!('kind' in breach) || breach.kind === 'relay-percent') return ['policy.maxChangePercent'];
  if (breach.kind === 'move-percent') return ['policy.maxMovePercent'];
  return breach.kind === 'max-changes' ? ['policy.maxChanges'] : [];
}

export function describeExemption(exemption: ThresholdExemption): string {
  const { affected, live, percent, limit, minimum } = exemption;
  if (exemption.subject === 'relay rules')
    return `relay rules: ${affected} of ${live} (${percent}%) deleted, over policy.maxChangePercent ${limit}%, allowed because there are fewer than ${minimum} relay rules`;
  return `${inert(exemption.domain ?? '')}: ${affected} of ${live} users (${percent}%) deleted or changed, over policy.maxChangePercent ${limit}%, allowed because the domain has fewer than ${minimum} users`;
}

/** The plan's lines about its limits: the breaches apply refuses without --force, then the exemptions that let a change through. */
export function renderThresholds(plan: Plan): string[] {
  return [
    ...planBreaches(plan).map((breach) => `Warning: ${describeBreach(breach)}: apply refuses this without --force.`),
    ...renderExemptions(plan),
  ];
}

/** Changes over policy.maxChangePercent that pass only because their set is small. */
export function renderExemptions(plan: Plan): string[] {
  return plan.thresholdExemptions.map((exemption) => `Warning: ${describeExemption(exemption)}.`);
}
