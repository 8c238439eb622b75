import { normaliseTarget, targetProblem } from '../model/names.js';

/**
 * What a `.qmail` file does, as far as mailstate can say it. `forward` is exactly what mailstate
 * writes itself (`&address` lines, plus the user's own Maildir when a copy is kept); everything
 * else is `unmanaged` and is reported, never rewritten.
 */
export type DotQmailClass =
  | { kind: 'forward'; to: string[]; keepCopy: boolean }
  | {
      kind: 'unmanaged';
      reason: string;
      /** The file runs a program (`|` line): reported as program delivery rather than a plain file. */
      program: boolean;
    };

/** Whose file it is, which decides which Maildir line counts as "keep a copy". */
export interface DotQmailContext {
  /**
   * The absolute directory of the user the file forwards for (vpasswd field 6), or undefined for
   * an alias: an alias has no mailbox of its own, so any Maildir line makes it unmanaged.
   */
  userDir?: string;
  /**
   * True for qmailadmin's per-user `<dir>/.qmail`, which vdelivermail reads after chdir'ing to the
   * user's directory, so `./Maildir/` is that user's mailbox as well.
   */
  perUser?: boolean;
}

/**
 * Classifies the text of a `.qmail-<name>` (qmail-local) or per-user `<dir>/.qmail` (vdelivermail)
 * by the first character of each line, as both programs do (qmail-local.c; vdelivermail.c): `#` comment,
 * `|` program, `.` or `/` file or Maildir, `&` or anything else a forward address.
 */
export function classifyDotQmail(text: string, context: DotQmailContext = {}): DotQmailClass {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const program = lines.some((line) => line.startsWith('|'));
  const unmanaged = (reason: string): DotQmailClass => ({ kind: 'unmanaged', reason, program });

  if (lines.length === 0) {
    return unmanaged('the file is empty: qmail delivers as if it did not exist');
  }
  if (lines[0] === '') {
    return unmanaged(
      'the first line is empty: qmail-local defers every message ("first line of .qmail file is blank")',
    );
  }
  if (lines.every((line) => line.startsWith('#'))) {
    return unmanaged(`only comment lines: mail is accepted and silently dropped (blackhole): ${quote(lines[0]!)}`);
  }

  const own = ownMaildirLines(context);
  const to: string[] = [];
  let keepCopy = false;
  for (const [index, line] of lines.entries()) {
    const where = `line ${index + 1}`;
    if (line === '') return unmanaged(`${where} is empty (delivery may defer)`);
    const first = line[0];
    if (first === '|') return unmanaged(`${where} runs a program: ${quote(line)}`);
    if (first === '#') return unmanaged(`${where} is a comment, which mailstate cannot keep: ${quote(line)}`);
    if (first === '.' || first === '/') {
      if (own.has(line)) {
        keepCopy = true;
        continue;
      }
      const whose =
        context.userDir === undefined && !context.perUser
          ? 'an alias has no mailbox of its own'
          : "not the user's own Maildir";
      return unmanaged(`${where} delivers to a file or Maildir (${whose}): ${quote(line)}`);
    }
    const address = first === '&' ? line.slice(1) : line;
    const problem = targetProblem(address);
    if (problem) return unmanaged(`${where} ${quote(line)}: ${problem}`);
    to.push(normaliseTarget(address));
  }
  if (to.length === 0) {
    // Only the own-Maildir line: the same as no file, which qmailadmin deletes rather than writes.
    return unmanaged("the file only delivers to the user's own Maildir");
  }
  return { kind: 'forward', to, keepCopy };
}

/** The exact Maildir lines that mean "this user's own mailbox" (a trailing `/` makes it a Maildir). */
function ownMaildirLines(context: DotQmailContext): Set<string> {
  const lines = new Set<string>();
  if (context.userDir?.startsWith('/')) {
    lines.add(`${context.userDir.replace(/\/+$/, '')}/Maildir/`);
  }
  if (context.perUser) lines.add('./Maildir/');
  return lines;
}

function quote(line: string): string {
  return JSON.stringify(line.length > 80 ? `${line.slice(0, 77)}...` : line);
}

/**
 * The absolute paths a `.qmail` file delivers into, or hands to a program (a catch-all's
 * `vdelivermail '' /path/to/mailbox`), with `./x` resolved against the directory qmail-local runs
 * in. The planner warns when a mailbox it archives is among them.
 */
export function deliveryPaths(text: string, homeDir: string): string[] {
  const paths = new Set<string>();
  for (const line of text.split('\n')) {
    if (line.startsWith('/')) paths.add(line);
    else if (line.startsWith('./')) paths.add(`${homeDir}/${line.slice(2)}`);
    else if (line.startsWith('|'))
      for (const token of line.slice(1).split(/[\s'"]+/)) if (token.startsWith('/')) paths.add(token);
  }
  return [...paths];
}
