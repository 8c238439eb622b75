import { mkdirSync, mkdtempSync, readdirSync, lstatSync, renameSync, rmSync, type Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { describeKind, ExitError, ioReason, writeOutputFile } from './io.js';

/**
 * Refuses an output directory (`import --split DIR`) that holds anything, or is anything but a
 * directory (lstat: a link is never followed): a split import never mixes with files already there.
 */
export function checkOutputDir(target: string, shown: string): void {
  if (shown === '') throw new ExitError('--split needs a directory name');
  let info: Stats | undefined;
  try {
    info = lstatSync(target, { throwIfNoEntry: false });
  } catch (error) {
    throw new ExitError(`cannot write into ${shown}: ${ioReason(error)}; nothing was written.`);
  }
  if (!info) return;
  if (!info.isDirectory())
    throw new ExitError(
      `refusing to write into ${shown}: it is ${info.isFile() ? 'a file' : describeKind(info)}, not a directory; nothing was written.`,
    );
  const entries = readdirSync(target);
  if (entries.length > 0)
    throw new ExitError(
      `refusing to write into ${shown}: it is not empty (${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}); give a new or empty directory; nothing was written.`,
    );
}

/**
 * Writes a set of files (paths relative to `target`) as one: they are made in a fresh directory
 * beside the target (mode 0700, the files 0600: they hold password hashes), which then takes the
 * target's name by rename (rename(2) replaces an empty directory). Half a tree is never left.
 */
export function writeOutputDir(target: string, shown: string, files: ReadonlyMap<string, string>): void {
  checkOutputDir(target, shown);
  let temp: string;
  try {
    temp = mkdtempSync(join(dirname(target), `.${basename(target)}.tmp-`));
  } catch (error) {
    throw new ExitError(`cannot write into ${shown}: ${ioReason(error)}; nothing was written.`);
  }
  try {
    for (const [path, data] of files) {
      mkdirSync(dirname(join(temp, path)), { recursive: true, mode: 0o700 });
      writeOutputFile(join(temp, path), join(shown, path), data);
    }
    checkOutputDir(target, shown);
    renameSync(temp, target);
  } catch (error) {
    rmSync(temp, { recursive: true, force: true });
    if (error instanceof ExitError) throw error;
    throw new ExitError(`cannot write into ${shown}: ${ioReason(error)}; nothing was written.`);
  }
}
