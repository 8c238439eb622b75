import { join } from 'node:path';
import type { LiveState } from '../model/state.js';
import { filesDriver } from './files-driver.js';
import { exists, type ApplyIo } from './io.js';
import type { Driver } from './types.js';

export type DriverName = 'files' | 'vpopmail' | 'auto';

/** What --driver accepts, for the commands that take it. */
export const DRIVER_NAMES: readonly DriverName[] = ['files', 'vpopmail', 'auto'];

/**
 * auto: the official binaries when they exist and the server is not cdb-backed (an SQL backend
 * keeps no vpasswd files, so only vpopmail's own tools can change it); the files driver otherwise.
 */
export async function chooseDriver(name: DriverName, live: LiveState, io: ApplyIo): Promise<Driver> {
  const binaries = exists(io, join(live.vpopmailHome, 'bin', 'vadduser'));
  const cdbBacked = [...live.domains.values()].some((domain) => domain.vpasswdExists);
  const wanted = name === 'auto' ? (binaries && !cdbBacked ? 'vpopmail' : 'files') : name;
  if (wanted === 'files') return filesDriver;
  if (!binaries) throw new Error(`--driver vpopmail: ${join(live.vpopmailHome, 'bin', 'vadduser')} does not exist`);
  const { vpopmailDriver } = await import('./vpopmail-driver.js');
  return vpopmailDriver;
}
