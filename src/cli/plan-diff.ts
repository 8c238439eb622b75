import type { FileDiffs } from '../model/file-diff.js';
import { dryRunFiles } from '../reconcile/dry-run.js';
import type { PlanRun } from '../reconcile/index.js';
import { type DiffStyle, renderFileDiffs } from '../render/file-diffs.js';
import type { OptionSpec } from './args.js';
import { ExitError } from './io.js';

/** `plan --diff`, as Ansible's --diff and Terraform's detail view show what a run would write. */
export const DIFF_OPTION = {
  type: 'boolean',
  default: false,
  help: "also show the unified diff of every file apply's files driver would write (vpasswd\nwith hashes and clear texts redacted); needs the server, not --live or --base",
} as const satisfies OptionSpec;

/** Checked before planning: only a plan against the server has files to diff, a snapshot or a git ref has none. */
export function checkDiffFlags(values: { diff: boolean; live?: string | undefined; base?: string | undefined }): void {
  if (values.diff && (values.live !== undefined || values.base !== undefined))
    throw new ExitError(
      `mailstate plan: --diff shows the files of the server, so it cannot go with --${values.live !== undefined ? 'live' : 'base'}`,
    );
}

/** The dry run of apply for `plan --diff`, or undefined without the flag. */
export async function fileDiffsFor(diff: boolean, run: PlanRun): Promise<FileDiffs | undefined> {
  return diff ? dryRunFiles(run) : undefined;
}

/** The diffs as text after the plan (in the plan's colours when `style` is given), '' without --diff. */
export function fileDiffsText(fileDiffs: FileDiffs | undefined, style?: DiffStyle): string {
  if (!fileDiffs) return '';
  return `\n${style ? renderFileDiffs(fileDiffs, style) : renderFileDiffs(fileDiffs)}`;
}

/** A dry run that stopped at a step fails the command (after the output): apply would fail there. */
export function exitIfDryRunStopped(fileDiffs: FileDiffs | undefined): void {
  if (fileDiffs?.stopped !== undefined)
    throw new ExitError(`mailstate plan --diff: the dry run of apply stopped: ${fileDiffs.stopped}`);
}
