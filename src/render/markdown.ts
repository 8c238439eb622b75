import { CHANGE_ACTION, type Plan } from '../model/change.js';
import { changeSection, describeChange } from './describe.js';
import { NO_CHANGES, describeUnmanaged, renderChangeBody, renderThresholds, summaryLine } from './text.js';

/** Markdown for one pull-request comment: counts first, destructive changes called out, the full plan folded. */
export function renderMarkdown(plan: Plan): string {
  const lines = ['## mailstate plan', ''];
  if (plan.changes.length === 0) {
    lines.push(NO_CHANGES);
  } else {
    lines.push(`**${summaryLine(plan.summary)}**`);
    const destructive = plan.changes.filter((change) => CHANGE_ACTION[change.kind] === 'delete');
    if (destructive.length > 0) {
      lines.push('', '> [!CAUTION]', `> ${destructive.length} destructive change${destructive.length === 1 ? '' : 's'}:`);
      for (const change of destructive) lines.push(`> - \`${changeSection(change)}\`: ${describeChange(change).headline}`);
    }
  }
  for (const warning of renderThresholds(plan)) lines.push('', `> [!WARNING]`, `> ${warning}`);
  if (plan.changes.length > 0) {
    lines.push('', `<details><summary>Full plan (${plan.changes.length} changes)</summary>`, '', '```diff', ...renderChangeBody(plan), '```', '', '</details>');
  }
  if (plan.unmanaged.length > 0 || plan.unmanagedDomains.length > 0) {
    lines.push('', `<details><summary>Left alone (${plan.unmanaged.length + plan.unmanagedDomains.length} unmanaged)</summary>`, '');
    if (plan.unmanagedDomains.length > 0) lines.push(`- domains not in the YAML: ${plan.unmanagedDomains.join(', ')}`);
    for (const object of plan.unmanaged) lines.push(`- ${describeUnmanaged(object).replace(/[`<>]/g, (c) => `&#${c.charCodeAt(0)};`)}`);
    lines.push('', '</details>');
  }
  return lines.join('\n') + '\n';
}
