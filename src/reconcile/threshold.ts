import type { Plan } from '../model/change.js';
import { breachSettings, describeBreach, planBreaches } from '../render/thresholds.js';
import type { ThresholdRefusal } from './refusal.js';

export { overThreshold } from '../render/thresholds.js';

/** The refusal of a plan over its safety limits, as data: what it is over and which settings could allow it. */
export function thresholdRefusal(plan: Plan): ThresholdRefusal {
  const breaches = planBreaches(plan);
  return {
    breaches: breaches.map(describeBreach),
    settings: [...new Set(breaches.flatMap(breachSettings))],
  };
}

/** What stops the plan, as the start of the CLI's sentence ("the plan is over policy.maxChangePercent"). */
export function thresholdCause(plan: Plan): string {
  const { settings } = thresholdRefusal(plan);
  const loopback = plan.policyBreaches.some((breach) => breach.kind === 'loopback-relay');
  const causes = [
    ...(settings.length > 0 ? [`is over ${settings.join(' and ')}`] : []),
    ...(loopback ? ['deletes the loopback relay rule'] : []),
  ];
  return `the plan ${causes.join(' and ')}`;
}

/** Where the watcher reads its desired state, for the command that applies a refused commit by hand. */
export interface HandApply {
  /** The desired-state file, as a path a shell in the working copy's parent understands. */
  file: string;
  commit: string;
  vpopmailHome?: string | undefined;
  qmailHome?: string | undefined;
  domainBases?: readonly string[] | undefined;
  driver: string;
}

const SHELL_SAFE = /^[\w@%+=:,./-]+$/;

function shellWord(word: string): string {
  return SHELL_SAFE.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** `mailstate apply --force …` with the watcher's own settings, ready to paste. */
export function handApplyCommand(hand: HandApply): string {
  const words = ['mailstate', 'apply', '--force', '-f', hand.file];
  if (hand.vpopmailHome !== undefined) words.push('--vpopmail-home', hand.vpopmailHome);
  if (hand.qmailHome !== undefined) words.push('--qmail-home', hand.qmailHome);
  for (const base of hand.domainBases ?? []) words.push('--domain-base', base);
  if (hand.driver !== 'auto') words.push('--driver', hand.driver);
  return words.map(shellWord).join(' ');
}

/**
 * The watcher's words for a commit refused by a safety limit: it has no --force, so it says what
 * its user can do instead, in sentences that each start with a capital.
 */
export function watcherThresholdReason(threshold: ThresholdRefusal, hand: HandApply): string {
  const raise = threshold.settings.length > 0 ? `commit a higher ${threshold.settings.join(' and ')}, or ` : '';
  return (
    `Nothing was applied: the plan is over its safety limits (${threshold.breaches.join('; ')}). ` +
    `The watcher never forces a plan: ${raise}apply commit ${hand.commit} by hand, from a working copy at that commit: ${handApplyCommand(hand)}`
  );
}
