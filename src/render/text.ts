import type { Plan, PlanSummary } from '../model/change.js';
import type { UnmanagedObject } from '../model/state.js';
import { inert } from '../model/display.js';
import { changeSection, describeChange, quote } from './describe.js';

export const NO_CHANGES = 'No changes. The live state matches mailstate.yaml.';
const UNMANAGED_LISTED = 20;

export function summaryLine(summary: PlanSummary): string {
  const rebuilds = `${summary.cdbRebuilds} CDB rebuild${summary.cdbRebuilds === 1 ? '' : 's'}`;
  return `Plan: ${summary.add} to add, ${summary.change} to change, ${summary.delete} to delete, ${rebuilds}.`;
}

/** The change lines grouped by section, without summary: the body shared with Markdown. */
export function renderChangeBody(plan: Plan): string[] {
  const lines: string[] = [];
  let section: string | undefined;
  for (const change of plan.changes) {
    const next = changeSection(change);
    if (next !== section) {
      if (section !== undefined) lines.push('');
      lines.push(next);
      section = next;
    }
    const described = describeChange(change);
    lines.push(`  ${described.symbol} ${described.headline}`);
    for (const detail of described.details) lines.push(`      ${detail}`);
  }
  return lines;
}

export function describeUnmanaged(object: UnmanagedObject): string {
  const where = object.domain ? `${inert(object.domain)}: ` : '';
  return `${where}${object.kind} ${quote(object.name)} (${inert(object.file)}): ${inert(object.reason)}`;
}

export function renderThresholds(plan: Plan): string[] {
  return plan.thresholdBreaches.map(
    (b) =>
      `Warning: ${b.domain}: ${b.affectedUsers} of ${b.liveUsers} users (${b.percent}%) deleted or changed, over policy.maxChangePercent ${b.limit}%: apply refuses this without --force.`,
  );
}

function renderUnmanaged(plan: Plan): string[] {
  if (plan.unmanaged.length === 0 && plan.unmanagedDomains.length === 0) return [];
  const lines = ['Left alone (not managed by mailstate):'];
  if (plan.unmanagedDomains.length > 0)
    lines.push(`  domains not in the YAML: ${plan.unmanagedDomains.map(inert).join(', ')}`);
  for (const object of plan.unmanaged.slice(0, UNMANAGED_LISTED)) lines.push(`  ${describeUnmanaged(object)}`);
  if (plan.unmanaged.length > UNMANAGED_LISTED) {
    lines.push(`  … and ${plan.unmanaged.length - UNMANAGED_LISTED} more (--format json lists them all)`);
  }
  return lines;
}

export function renderText(plan: Plan): string {
  const blocks: string[][] = [];
  if (plan.changes.length > 0) blocks.push(renderChangeBody(plan));
  const unmanaged = renderUnmanaged(plan);
  if (unmanaged.length > 0) blocks.push(unmanaged);
  const thresholds = renderThresholds(plan);
  if (thresholds.length > 0) blocks.push(thresholds);
  blocks.push([plan.changes.length === 0 ? NO_CHANGES : summaryLine(plan.summary)]);
  return `${blocks.map((block) => block.join('\n')).join('\n\n')}\n`;
}
