import { inert } from '../model/display.js';
import type { FileDiff, FileDiffs } from '../model/file-diff.js';
/** Colours for added, removed and hunk lines: the text plan's TextStyle fits. */
export interface DiffStyle {
  add(text: string): string;
  remove(text: string): string;
  change(text: string): string;
}

const PLAIN: DiffStyle = { add: String, change: String, remove: String };

/** The one line of what is not a text diff (paths made inert: a name in the mail tree is the vpopmail account's). */
function operationLine(diff: Exclude<FileDiff, { kind: 'text' }>): string {
  switch (diff.kind) {
    case 'binary':
      return `binary file ${diff.created ? 'created' : 'rebuilt'}: ${inert(diff.path)}`;
    case 'mkdir':
      return `mkdir ${inert(diff.path)}`;
    case 'move':
      return `${diff.archive ? 'archive: ' : ''}mv ${inert(diff.from)} ${inert(diff.to)}`;
    case 'remove':
      return `rm ${inert(diff.path)}`;
    case 'run':
      return `run: ${diff.argv.map(inert).join(' ')}`;
  }
}

/** Every line of the diffs, in apply's order: unified diffs of text files, one line for anything else. */
function diffLines(diffs: readonly FileDiff[]): string[] {
  const lines: string[] = [];
  for (const diff of diffs) {
    if (diff.kind !== 'text') lines.push(operationLine(diff));
    else for (const line of diff.diff.replace(/\n$/, '').split('\n')) lines.push(line);
  }
  return lines;
}

function stoppedLine(stopped: string): string {
  return `The dry run stopped: ${stopped.replace(/\.$/, '')}. apply would stop there too; what it would write before that is shown.`;
}

const HEADING = 'Files apply would change (files driver, dry run):';

/**
 * `plan --diff` as text, to follow the plan: the unified diff of every file the files driver
 * would write (vpasswd with hashes and clear texts redacted), then directories, archive moves,
 * binary rebuilds and program runs, one line each. `style` colours + and - lines as the plan's.
 */
export function renderFileDiffs(fileDiffs: FileDiffs, style: DiffStyle = PLAIN): string {
  const lines = [HEADING, ''];
  if (fileDiffs.diffs.length === 0) lines.push('No file would change.');
  for (const line of diffLines(fileDiffs.diffs)) {
    if (line.startsWith('+++ ') || line.startsWith('--- ')) lines.push(line);
    else if (line.startsWith('+')) lines.push(style.add(line));
    else if (line.startsWith('-')) lines.push(style.remove(line));
    else if (line.startsWith('@@')) lines.push(style.change(line));
    else lines.push(line);
  }
  if (fileDiffs.stopped !== undefined) lines.push('', stoppedLine(fileDiffs.stopped));
  return `${lines.join('\n')}\n`;
}

/** A fence longer than any run of backticks in `lines`, so no line of a file can close it. */
function fenceFor(lines: readonly string[]): string {
  let longest = 0;
  for (const line of lines) for (const run of line.match(/`+/g) ?? []) longest = Math.max(longest, run.length);
  return '`'.repeat(Math.max(3, longest + 1));
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** `plan --diff` in Markdown: each text file folded in its own block, the one-line operations in one fence. */
export function renderFileDiffsMarkdown(fileDiffs: FileDiffs): string {
  const lines = ['### Files apply would change', ''];
  if (fileDiffs.diffs.length === 0) lines.push('No file would change.', '');
  for (const diff of fileDiffs.diffs) {
    if (diff.kind !== 'text') continue;
    const body = diff.diff.replace(/\n$/, '').split('\n');
    const fence = fenceFor(body);
    lines.push(`<details><summary>${escapeHtml(inert(diff.path))}</summary>`, '', `${fence}diff`);
    for (const line of body) lines.push(line);
    lines.push(fence, '', '</details>', '');
  }
  const operations = fileDiffs.diffs.flatMap((diff) => (diff.kind === 'text' ? [] : [operationLine(diff)]));
  if (operations.length > 0) {
    const fence = fenceFor(operations);
    lines.push(`${fence}text`, ...operations, fence, '');
  }
  if (fileDiffs.stopped !== undefined)
    lines.push(`> [!WARNING]`, `> ${escapeHtml(stoppedLine(fileDiffs.stopped))}`, '');
  return `${lines.join('\n')}`;
}

/** The JSON plan's `fileDiffs` (text and binary files) and `fileOperations` (the one-line rest), with `--diff` only. */
export function fileDiffsToJson(fileDiffs: FileDiffs): object {
  return {
    fileDiffs: fileDiffs.diffs.flatMap((diff): object[] =>
      diff.kind === 'text'
        ? [{ path: diff.path, diff: diff.diff }]
        : diff.kind === 'binary'
          ? [{ path: diff.path, binary: true }]
          : [],
    ),
    fileOperations: fileDiffs.diffs.flatMap((diff) =>
      diff.kind === 'text' || diff.kind === 'binary' ? [] : [operationLine(diff)],
    ),
    ...(fileDiffs.stopped === undefined ? {} : { fileDiffsStopped: fileDiffs.stopped }),
  };
}
