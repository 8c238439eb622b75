import { join } from 'node:path';
import {
  EMPTY_DOMAIN_DIR_CONTROL,
  formatDirControl,
  nextUserDir,
  parseDirControl,
  takeFreeSlot,
} from '../formats/dir-control.js';
import { readText, type ApplyIo } from './io.js';

/**
 * Places new users as vadduser would: oldest freed hashed slot first, then the .dir-control
 * counter. Returns the directories and the bookkeeping to write back.
 */
export function placeUsers(
  io: ApplyIo,
  domainDir: string,
  names: readonly string[],
): { dirs: Map<string, string>; dirControl: string; freeSlots: string | undefined } {
  const controlText = readText(io, join(domainDir, '.dir-control'));
  // No .dir-control yet: a domain this apply created; its postmaster becomes account #1 as in vadddomain.
  const control = parseDirControl(controlText || EMPTY_DOMAIN_DIR_CONTROL);
  if (!control)
    throw new Error(`${domainDir}/.dir-control is not in vpopmail's format: refusing to guess where new users go`);
  const freePath = join(domainDir, '.dir_control_free');
  const freeText = readText(io, freePath);
  const free = freeText.split('\n').filter(Boolean);
  const freeBefore = free.length;
  const dirs = new Map<string, string>();
  for (const name of names) {
    const hashDir = takeFreeSlot(control, free) ?? nextUserDir(control);
    dirs.set(name, hashDir === '' ? `${domainDir}/${name}` : `${domainDir}/${hashDir}/${name}`);
  }
  const freeSlots = free.length === freeBefore ? undefined : free.map((slot) => `${slot}\n`).join('');
  return { dirs, dirControl: formatDirControl(control), freeSlots };
}
