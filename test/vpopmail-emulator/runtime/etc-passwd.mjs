// @ts-check
// getpwnam()/getpwuid() over a passwd file (emulator.json's passwdFile, else /etc/passwd), for
// vadddomain -u and the per-uid domain counters.

import { atoi } from './cstring.mjs';
import { readBin } from './files.mjs';
import { PASSWD_FILE } from './invocation.mjs';

/** @typedef {{ name: string, uid: number, gid: number, dir: string }} PasswdEntry */

/** @returns {PasswdEntry[]} */
function passwdEntries() {
  const t = readBin(PASSWD_FILE) ?? '';
  return t
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split(':'))
    .filter((f) => f.length >= 7)
    .map((f) => ({ name: f[0], uid: atoi(f[2]), gid: atoi(f[3]), dir: f[5] }));
}
/** @param {string} name */
export const getpwnam = (name) => passwdEntries().find((e) => e.name === name) ?? null;
/** @param {number} uid */
export const getpwuid = (uid) => passwdEntries().find((e) => e.uid === uid) ?? null;
