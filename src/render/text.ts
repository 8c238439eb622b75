import type { Plan, PlanSummary } from '../model/change.js';
import type { UnmanagedObject } from '../model/state.js';
import { inert } from '../model/display.js';
import { changeSection, describeChange, quote } from './describe.js';
import { renderThresholds } from './thresholds.js';

/** The last line of a plan with nothing to do; `label` is the desired-state file as the user named it. */
export function noChanges(label = 'mailstate.yaml'): string {
  return `No changes. The live state matches ${label}.`;
}

const UNMANAGED_LISTED = 20;

/** How a text plan looks: which file it names, how much it lists of what it leaves alone, colours. */
export interface TextOptions {
  label?: string;
  /** The "Left alone" list: none (--quiet), the first 20 (default), or all of it (--verbose). */
  unmanaged?: 'none' | 'first' | 'all';
  style?: TextStyle;
}

/** Colours for a terminal, as Terraform's: adds green, changes yellow, deletes red. */
export interface TextStyle {
  add(text: string): string;
  change(text: string): string;
  remove(text: string): string;
  warning(text: string): string;
}

const PLAIN: TextStyle = { add: String, change: String, remove: String, warning: String };
const BY_SYMBOL = { '+': 'add', '~': 'change', '-': 'remove', '>': 'change', '<': 'change' } as const;

/** "1 to add, 0 to change, 0 to delete, 1 CDB rebuild": the plan's and the watch log's counts. */
export function summaryCounts(summary: PlanSummary): string {
  const rebuilds = `${summary.cdbRebuilds} CDB rebuild${summary.cdbRebuilds === 1 ? '' : 's'}`;
  const moves = summary.move > 0 ? `, ${summary.move} to move` : '';
  return `${summary.add} to add, ${summary.change} to change, ${summary.delete} to delete${moves}, ${rebuilds}`;
}

export function summaryLine(summary: PlanSummary): string {
  return `Plan: ${summaryCounts(summary)}.`;
}

/** The change lines grouped by section, without summary: the body shared with Markdown. */
export function renderChangeBody(plan: Plan, style: TextStyle = PLAIN): string[] {
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
    const line = `  ${described.symbol} ${described.headline}`;
    lines.push(described.symbol === '*' ? line : style[BY_SYMBOL[described.symbol]](line));
    for (const detail of described.details) lines.push(`      ${detail}`);
  }
  return lines;
}

export function describeUnmanaged(object: UnmanagedObject): string {
  const where = object.domain ? `${inert(object.domain)}: ` : '';
  return `${where}${object.kind} ${quote(object.name)} (${inert(object.file)}): ${inert(object.reason)}`;
}

// The safety limits' lines have their own module, which the watcher's refusal shares.
export { renderThresholds } from './thresholds.js';

function renderUnmanaged(plan: Plan, shown: NonNullable<TextOptions['unmanaged']>): string[] {
  if (shown === 'none' || (plan.unmanaged.length === 0 && plan.unmanagedDomains.length === 0)) return [];
  const listed = shown === 'all' ? plan.unmanaged.length : UNMANAGED_LISTED;
  const lines = ['Left alone (not managed by mailstate):'];
  if (plan.unmanagedDomains.length > 0)
    lines.push(`  domains not in the YAML: ${plan.unmanagedDomains.map(inert).join(', ')}`);
  for (const object of plan.unmanaged.slice(0, listed)) lines.push(`  ${describeUnmanaged(object)}`);
  if (plan.unmanaged.length > listed)
    lines.push(`  … and ${plan.unmanaged.length - listed} more (--verbose or --format json lists them all)`);
  return lines;
}

/** What a `--domain` plan left out, so that nobody takes it for the whole server's plan. */
export function renderPartial(plan: Plan): string[] {
  if (!plan.partial) return [];
  const { patterns, domains, leftOut, relayLeftOut } = plan.partial;
  const notPlanned = [
    ...(leftOut.length > 0 ? [`${leftOut.length === 1 ? 'domain' : 'domains'} ${leftOut.map(inert).join(', ')}`] : []),
    ...(relayLeftOut ? ['relay rules'] : []),
  ];
  return [
    `Partial plan (--domain ${patterns.map(inert).join(' --domain ')}): only ${domains.map(inert).join(', ')}.`,
    ...(notPlanned.length > 0 ? [`Not planned, also declared: ${notPlanned.join('; ')}.`] : []),
  ];
}

/** Which server of a fleet the plan is for, what it leaves to the others, and the routes it lacks. */
export function renderFleet(plan: Plan): { info: string[]; warnings: string[] } {
  if (!plan.fleet) return { info: [], warnings: [] };
  const { server, elsewhere, forwards, missingRoutes } = plan.fleet;
  const others =
    elsewhere.length === 0
      ? 'no declared domain lives wholly elsewhere'
      : `left to the other servers: ${elsewhere.length <= 10 ? elsewhere.map(inert).join(', ') : `${elsewhere.length} domains`}`;
  const info = [
    `Server ${inert(server)} of the fleet: ${forwards} user${forwards === 1 ? '' : 's'} of its domains live${forwards === 1 ? 's' : ''} on other servers (a forward here); ${others}.`,
  ];
  const warnings = (missingRoutes ?? []).map(
    (line) =>
      `Warning: control/smtproutes has no route for the forwards to ${inert(line.slice(line.indexOf(':') + 1))}: add the line "${inert(line)}" (or make that name resolve to the server from here).`,
  );
  return { info, warnings };
}

export function renderText(plan: Plan, options: TextOptions = {}): string {
  const style = options.style ?? PLAIN;
  const blocks: string[][] = [];
  if (plan.changes.length > 0) blocks.push(renderChangeBody(plan, style));
  const unmanaged = renderUnmanaged(plan, options.unmanaged ?? 'first');
  if (unmanaged.length > 0) blocks.push(unmanaged);
  const thresholds = renderThresholds(plan).map((line) => style.warning(line));
  if (thresholds.length > 0) blocks.push(thresholds);
  const partial = renderPartial(plan).map((line) => style.warning(line));
  if (partial.length > 0) blocks.push(partial);
  const fleet = renderFleet(plan);
  if (fleet.info.length > 0) blocks.push([...fleet.info, ...fleet.warnings.map((line) => style.warning(line))]);
  blocks.push([plan.changes.length === 0 ? noChanges(options.label) : summaryLine(plan.summary)]);
  return `${blocks.map((block) => block.join('\n')).join('\n\n')}\n`;
}
