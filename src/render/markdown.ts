import { CHANGE_ACTION, type Plan } from '../model/change.js';
import { formatDiagnostic } from '../model/diagnostic.js';
import { changeSection, describeChange } from './describe.js';
import type { FileDiffs } from '../model/file-diff.js';
import { planDigest } from './digest.js';
import { renderFileDiffsMarkdown } from './file-diffs.js';
import {
  describeUnmanaged,
  noChanges,
  renderFleet,
  renderPartial,
  renderChangeBody,
  renderThresholds,
  summaryLine,
} from './text.js';

export interface MarkdownOptions {
  /** What the plan was made against ("the snapshot live.json of mail1, …"), shown in the footer. */
  against?: string;
  /** The desired-state file as the user named it. */
  label?: string;
  /** plan --diff: the files apply would write, each folded, before the footer. */
  fileDiffs?: FileDiffs;
}

/** Text from a server or a YAML file, made inert in Markdown: no code span, no HTML tag can start. */
export function markdownInert(text: string): string {
  return text.replace(/[`<]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Markdown for one pull-request comment: counts first, destructive changes called out, warnings,
 * the full plan folded, and a footer with the plan's sha256 digest for `apply --expect-digest`.
 */
export function renderMarkdown(plan: Plan, options: MarkdownOptions = {}): string {
  const lines = ['## mailstate plan', ''];
  const partial = renderPartial(plan);
  if (partial.length > 0) lines.push('> [!IMPORTANT]', ...partial.map((line) => `> ${markdownInert(line)}`), '');
  const fleet = renderFleet(plan);
  if (fleet.info.length > 0) lines.push(...fleet.info.map((line) => markdownInert(line)), '');
  for (const warning of fleet.warnings) lines.push('> [!WARNING]', `> ${markdownInert(warning)}`, '');
  if (plan.changes.length === 0) {
    lines.push(noChanges(options.label));
  } else {
    lines.push(`**${summaryLine(plan.summary)}**`);
    const destructive = plan.changes.filter((change) => CHANGE_ACTION[change.kind] === 'delete');
    if (destructive.length > 0) {
      lines.push(
        '',
        '> [!CAUTION]',
        `> ${destructive.length} destructive change${destructive.length === 1 ? '' : 's'}:`,
      );
      for (const change of destructive)
        lines.push(`> - \`${changeSection(change)}\`: ${markdownInert(describeChange(change).headline)}`);
    }
    const moves = plan.changes.filter((change) => CHANGE_ACTION[change.kind] === 'move');
    if (moves.length > 0) {
      lines.push(
        '',
        '> [!IMPORTANT]',
        `> ${moves.length} move${moves.length === 1 ? '' : 's'} between servers (apply needs --allow-moves):`,
      );
      for (const change of moves)
        lines.push(`> - \`${changeSection(change)}\`: ${markdownInert(describeChange(change).headline)}`);
    }
  }
  for (const warning of renderThresholds(plan)) lines.push('', `> [!WARNING]`, `> ${warning}`);
  if (plan.warnings.length > 0) {
    lines.push('', '> [!NOTE]', `> ${plan.warnings.length} warning${plan.warnings.length === 1 ? '' : 's'}:`);
    for (const warning of plan.warnings) lines.push(`> - ${markdownInert(formatDiagnostic(warning))}`);
  }
  if (plan.changes.length > 0) {
    const body = renderChangeBody(plan);
    // A fence longer than any run of backticks in the body: a live gecos cannot close it early.
    // (Loops, not Math.max(...body) or push(...body): spreading a 200k-line body overflows the stack.)
    let longest = 0;
    for (const line of body) for (const run of line.match(/`+/g) ?? []) longest = Math.max(longest, run.length);
    const fence = '`'.repeat(Math.max(3, longest + 1));
    lines.push('', `<details><summary>Full plan (${plan.changes.length} changes)</summary>`, '', `${fence}diff`);
    for (const line of body) lines.push(line);
    lines.push(fence, '', '</details>');
  }
  if (plan.unmanaged.length > 0 || plan.unmanagedDomains.length > 0) {
    lines.push(
      '',
      `<details><summary>Left alone (${plan.unmanaged.length + plan.unmanagedDomains.length} unmanaged)</summary>`,
      '',
    );
    if (plan.unmanagedDomains.length > 0)
      lines.push(`- domains not in the YAML: ${markdownInert(plan.unmanagedDomains.join(', '))}`);
    for (const object of plan.unmanaged) lines.push(`- ${markdownInert(describeUnmanaged(object))}`);
    lines.push('', '</details>');
  }
  if (options.fileDiffs) lines.push('', renderFileDiffsMarkdown(options.fileDiffs).trimEnd());
  const against = options.against === undefined ? '' : `Planned against ${markdownInert(options.against)}. `;
  lines.push('', `<sub>${against}Plan digest (sha256): <code>${planDigest(plan)}</code></sub>`);
  return `${lines.join('\n')}\n`;
}
