import { dirname } from 'node:path';
import { applyPlan } from '../apply/apply-plan.js';
import { archiveStamp } from '../apply/archive.js';
import { domainOwner } from '../apply/domain-files.js';
import { dryRunIo, type DryRunIo } from '../apply/dry-run-io.js';
import { filesDriver } from '../apply/files-driver.js';
import { guardedIo } from '../apply/guarded-io.js';
import type { ApplyIo } from '../apply/io.js';
import { ApplyStepError, newCounters, type ApplyEnvironment } from '../apply/types.js';
import type { FileDiff, FileDiffs } from '../model/file-diff.js';
import { nodeIo } from '../io/node-io.js';
import { textOf, textPatch } from '../render/file-patch.js';
import type { PlanRun } from './plan.js';

export interface DryRunOptions {
  isRoot?: boolean;
  /** The disk to read (default: the real one, through nodeIo). */
  disk?: ApplyIo;
  now?: Date;
}

/**
 * What the files driver would write for `run.plan`, file by file: the plan applied over an
 * overlay of the disk (apply/dry-run-io.ts), behind the same tree guard as a real apply, so a
 * path apply would refuse stops the dry run too. Nothing reaches the disk and nothing is locked.
 * The diff is the files driver's even when apply would choose the vpopmail driver: its writes are
 * the ones mailstate makes itself and can show.
 */
export async function dryRunFiles(run: PlanRun, options: DryRunOptions = {}): Promise<FileDiffs> {
  const { live, desired } = run;
  const disk = options.disk ?? nodeIo(options.isRoot);
  const overlay = dryRunIo(disk, { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 });
  const io = guardedIo(overlay, live.vpopmailHome, desired.domainBases);
  const env: ApplyEnvironment = {
    vpopmailHome: live.vpopmailHome,
    qmailHome: live.qmailHome,
    live,
    now: options.now ?? new Date(),
    ownerOf: (domain) => domainOwner(io, live, domain),
    counters: newCounters(),
    done: () => {},
    io,
    addedUserDirs: new Map(),
    addedDomainDirs: new Map(),
  };
  let stopped: string | undefined;
  try {
    await applyPlan(run.plan, filesDriver, env);
  } catch (error) {
    if (!(error instanceof ApplyStepError)) throw error;
    stopped = error.message;
  }
  const diffs = fileDiffsOf(overlay, disk, { prefix: `${live.vpopmailHome}/archive/`, stamp: archiveStamp(env.now) });
  return stopped === undefined ? { diffs } : { diffs, stopped };
}

/** Whatever a file of the disk holds, or undefined (a file that cannot be read is shown as new). */
function diskBytes(disk: ApplyIo, path: string): Buffer | undefined {
  try {
    return disk.entry(path)?.kind === 'file' ? disk.read(path) : undefined;
  } catch {
    return undefined;
  }
}

/** Where archived things go, and the time stamp this run gave their names. */
export interface ArchiveNaming {
  prefix: string;
  stamp: string;
}

/**
 * The overlay's records as the review sees them: each file once, with its final content against
 * the disk. An archive name shows `<UTC time>` for its stamp, as the plan does: apply stamps it
 * with the time it runs, not the time of this review.
 */
export function fileDiffsOf(overlay: DryRunIo, disk: ApplyIo, archive: ArchiveNaming): FileDiff[] {
  const diffs: FileDiff[] = [];
  const written = new Set<string>();
  const created = new Set<string>();
  for (const record of overlay.records) {
    switch (record.kind) {
      case 'write': {
        if (written.has(record.path)) break;
        written.add(record.path);
        const after = overlay.written(record.path);
        // Written, then moved or removed again in the same run: nothing of it stays.
        if (after === undefined) break;
        const before = diskBytes(disk, record.path);
        if (before?.equals(after)) break;
        const beforeText = before === undefined ? undefined : textOf(before);
        const afterText = textOf(after);
        if (afterText === undefined || (before !== undefined && beforeText === undefined))
          diffs.push({ kind: 'binary', path: record.path, created: before === undefined });
        else diffs.push({ kind: 'text', path: record.path, diff: textPatch(record.path, beforeText, afterText) });
        break;
      }
      case 'mkdir':
        created.add(record.path);
        if (!created.has(dirname(record.path))) diffs.push({ kind: 'mkdir', path: record.path });
        break;
      case 'move':
        if (record.to.startsWith(archive.prefix)) {
          const to = record.to.replace(`-${archive.stamp}`, '-<UTC time>');
          diffs.push({ kind: 'move', from: record.from, to, archive: true });
        } else diffs.push({ kind: 'move', from: record.from, to: record.to, archive: false });
        break;
      case 'remove':
        if (disk.entry(record.path) !== undefined && !written.has(record.path))
          diffs.push({ kind: 'remove', path: record.path });
        break;
      case 'run':
        diffs.push({ kind: 'run', argv: record.argv });
        break;
      case 'chmod':
        // A mode or owner is no content: the plan itself says whose files are whose.
        break;
    }
  }
  return diffs;
}
